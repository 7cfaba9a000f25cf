"""Build and parse the structured git trailers that make each promotion commit auditable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

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
}
REQUIRED = ("environment", "model_sha256", "image", "image_digest")


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


def to_lines(release: Release) -> list[str]:
    """'Key: value' trailer lines for a release (empty optional fields are left out)."""
    values = release.as_dict()
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
    out: dict[str, str] = {}
    for line in block.split(separator):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out[key.strip().lower()] = value.strip()
    return out


_BY_KEY = {key.lower(): name for name, key in KEYS.items()}
# Optional fields missing from a commit read back as "" (not the constructor defaults), so a
# parsed release says exactly what the commit recorded.
_EMPTY = {f.name: "" for f in fields(Release)}


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
