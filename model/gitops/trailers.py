"""Build and parse the structured git trailers that make each promotion commit auditable."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from model.gitops import DEFAULT_MODEL, ENVIRONMENTS, MODEL_NAME

# Trailer key for each Release field, in the order they are written.
KEYS: dict[str, str] = {
    "environment": "Environment",
    "model_version": "Model-Version",
    "model_sha256": "Model-Sha256",
    "data_md5": "Data-Md5",
    "image": "Image",
    "image_digest": "Image-Digest",
    "source_commit": "Source-Commit",
    "source_pr": "Source-PR",
    "mlflow_run": "Mlflow-Run",
    "metrics": "Metrics",
    "promoted_by": "Promoted-By",
    "rollback_of": "Rollback-Of",
    # Last, so the block still opens with Environment; commits from before the fleet lack it
    # and read as the default model (see _EMPTY).
    "model": "Model",
}
REQUIRED = ("environment", "model_sha256", "image", "image_digest")

# The shapes `model promote` writes. A value that is not one of these was not written by us, so
# the parser reports the commit instead of trusting it. Fields not listed (added later) still get
# the generic check: one printable line, no control or format characters, bounded length.
IMAGE_NAME = r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
DIGEST = r"sha256:[0-9a-f]{64}"
MODEL_VERSION = r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}"
SOURCE_PR = r"none|[0-9]{1,10}"
SHAPES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "environment": "|".join(ENVIRONMENTS),
        "model_version": MODEL_VERSION,
        "model_sha256": r"[0-9a-f]{64}",
        "data_md5": r"[0-9a-f]{32}(?:\.dir)?|unknown|none",
        "image": IMAGE_NAME,
        "image_digest": DIGEST,
        "source_commit": r"[0-9a-f]{40}|[0-9a-f]{64}",
        "source_pr": SOURCE_PR,
        "mlflow_run": r"[A-Za-z0-9_-]{1,64}",
        "rollback_of": r"[0-9a-f]{40}|[0-9a-f]{64}",
        "model": MODEL_NAME,
    }.items()
}
MAX_VALUE = 512


class TrailerError(ValueError):
    """A value cannot go into a trailer as it is: it would forge or garble the ledger."""


@dataclass(frozen=True)
class Release:
    """What one environment is meant to run, as recorded in one promotion commit."""

    environment: str
    model_version: str
    model_sha256: str
    data_md5: str
    image: str
    image_digest: str
    source_commit: str
    source_pr: str = "none"
    mlflow_run: str = "none"
    metrics: str = ""
    promoted_by: str = "unknown"
    rollback_of: str = ""
    model: str = DEFAULT_MODEL

    @property
    def image_ref(self) -> str:
        """REF@DIGEST, what Kubernetes pulls."""
        return f"{self.image}@{self.image_digest}"

    def with_(self, **changes: str) -> Release:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, str]:
        """Plain dict (for JSON output)."""
        return asdict(self)


def format_metrics(metrics: dict[str, float]) -> str:
    """'k=v,k=v' sorted by key: one trailer line, easy to grep."""
    return ",".join(f"{k}={v}" for k, v in sorted(metrics.items()))


def parse_metrics(text: str) -> dict[str, float]:
    """Inverse of format_metrics; ignores malformed pairs."""
    out: dict[str, float] = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        try:
            if sep:
                out[key.strip()] = float(value)
        except ValueError:
            continue
    return out


def problem(name: str, value: str) -> str | None:
    """Why `value` cannot be the trailer for field `name`, or None when it can."""
    if len(value) > MAX_VALUE:
        return f"is {len(value)} characters long (at most {MAX_VALUE})"
    if not value.isprintable():
        bad = next(ch for ch in value if not ch.isprintable())
        return f"holds the control or invisible character {bad!r}; trailers are one plain line"
    if value != value.strip():
        return "has leading or trailing whitespace"
    if name == "model" and not value:  # an empty Model would be left out, then read as default
        return "is empty: every promotion names its model"
    shape = SHAPES.get(name)
    if shape is not None and value and not shape.fullmatch(value):
        return f"does not match {shape.pattern!r}"
    return None


def check(name: str, value: str, what: str | None = None) -> str:
    """Return `value` when it is safe as the trailer for `name`; raise TrailerError otherwise."""
    why = problem(name, value)
    if why is not None:
        raise TrailerError(f"{what or KEYS.get(name, name)} {value!r} {why}: pass a plain value")
    return value


def check_release(release: Release) -> Release:
    """The release, once every field is a safe trailer value (raise TrailerError otherwise)."""
    for name, value in release.as_dict().items():
        check(name, value)
    return release


def to_lines(release: Release) -> list[str]:
    """'Key: value' trailer lines for a release (empty optional fields are left out)."""
    values = check_release(release).as_dict()
    return [f"{KEYS[name]}: {values[name]}" for name in KEYS if values[name] != ""]


def message(subject: str, body: str, release: Release) -> str:
    """A full commit message: subject, body, blank line, trailer block."""
    parts = [subject.strip()]
    if body.strip():
        parts.append(body.strip())
    parts.append("\n".join(to_lines(release)))
    return "\n\n".join(parts) + "\n"


def parse_pairs(block: str, separator: str = "\n") -> dict[str, str]:
    """Parse 'Key: value' trailers (as printed by %(trailers)) into a dict; last wins."""
    return parse_block(block, separator)[0]


def parse_block(block: str, separator: str = "\n") -> tuple[dict[str, str], list[str]]:
    """Parse 'Key: value' trailers into a dict, plus why the block is not one we wrote.

    A known key that appears twice is a problem, never "last wins": a second Environment or
    Promoted-By is how a forged value would hide behind a genuine one.
    """
    out: dict[str, str] = {}
    problems: list[str] = []
    for line in block.split(separator):
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not (sep and key):
            continue
        name = _BY_KEY.get(key)
        if name and key in out:
            problems.append(f"repeats the {KEYS[name]} trailer")
        elif name and (why := problem(name, value)):
            problems.append(f"{KEYS[name]} {value!r} {why}")
        out[key] = value
    return out, problems


_BY_KEY = {key.lower(): name for name, key in KEYS.items()}
# Optional fields missing from a commit read back as "" (not the constructor defaults), so a
# parsed release says exactly what the commit recorded; except Model: every commit from before
# the fleet promoted the default model.
_EMPTY = {**{f.name: "" for f in fields(Release)}, "model": DEFAULT_MODEL}


def from_pairs(pairs: dict[str, str]) -> Release | None:
    """A Release from parsed trailers, or None when a required trailer is missing."""
    values = dict(_EMPTY)
    for key, value in pairs.items():
        name = _BY_KEY.get(key)
        if name:
            values[name] = value
    if not all(values[name] for name in REQUIRED):
        return None
    return Release(**values)


def _canonical_block() -> re.Pattern[str]:
    """The exact block `to_lines` writes, NUL-separated: what nearly every promotion looks like."""
    parts = []
    for name, key in KEYS.items():
        shape = SHAPES[name].pattern if name in SHAPES else rf"[^\x00-\x1f\x7f]{{1,{MAX_VALUE}}}"
        line = f"{re.escape(key)}: (?P<{name}>(?:{shape}))\x00"
        parts.append(line if name in REQUIRED else f"(?:{line})?")
    return re.compile("".join(parts))


_CANONICAL = _canonical_block()
_UNSHAPED = [name for name in KEYS if name not in SHAPES]


def fast_release(block: str) -> Release | None:
    """The Release of a NUL-separated block exactly as we write it, else None (parse slowly).

    One C-level regex match per commit keeps `model audit` near the `git log` floor; anything
    unusual (a repeated key, another order, a foreign trailer) takes the checked slow path.
    """
    match = _CANONICAL.fullmatch(block + "\x00")
    if match is None:
        return None
    found = {name: value for name, value in match.groupdict().items() if value is not None}
    values = {**_EMPTY, **found}
    if not all(values[name].isprintable() and values[name] == values[name].strip()
               for name in _UNSHAPED):  # fmt: skip
        return None
    return Release(**values)
