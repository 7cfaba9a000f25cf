"""The promotion ledger, read from git trailers in ONE `git log` call (no diff walking)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from model.gitops import DEFAULT_MODEL
from model.gitops.trailers import (
    KEYS,
    REQUIRED,
    Release,
    check,
    fast_release,
    from_pairs,
    parse_block,
    problem,
)
from model.proc import git

# NUL between fields and between trailers: a commit message cannot hold NUL, so no value can
# fake a separator (any other control byte inside a value marks the commit malformed).
# `only` drops non-trailer lines; a record ends with a lone \x1d token.
_SEP, _END = "\x00", "\x00\x1d\x00"
LOG_FORMAT = "%H%x00%cI%x00%s%x00%(trailers:only,unfold,separator=%x00)%x00%x1d%x00"
# `git revert` writes no trailers; its body names the commit it undoes.
REVERT_FORMAT = "%H%x00%an <%ae>%x00%B%x00%x1d%x00"
_REVERT_SUBJECT = ('Revert "', 'Reapply "')
REVERT_BODY = "This reverts commit "
_REVERTS = re.compile(REVERT_BODY + r"([0-9a-f]{40})")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
COLUMNS = (
    "when",
    "env",
    "model",
    "version",
    "image digest",
    "model sha256",
    "data md5",
    "source",
    "PR",
    "by",
    "commit",
    "rollback of",
)


@dataclass(frozen=True)
class Entry:
    """One promotion or rollback commit."""

    commit: str
    date: str
    subject: str
    release: Release

    def row(self) -> tuple[str, ...]:
        """Short, human-sized cells for table and markdown output."""
        r = self.release
        return (
            self.date,
            r.environment,
            r.model,
            r.model_version,
            r.image_digest.removeprefix("sha256:")[:12],
            r.model_sha256[:12],
            r.data_md5[:8],
            r.source_commit[:8],
            r.source_pr,
            r.promoted_by.split(" <")[0],
            self.commit[:8],
            r.rollback_of[:8],
        )

    def as_dict(self) -> dict[str, str]:
        """Everything, for JSON."""
        return {
            "commit": self.commit,
            "date": self.date,
            "subject": self.subject,
            **self.release.as_dict(),
        }


@dataclass(frozen=True)
class Malformed:
    """A commit that claims to be a promotion but is not one `model promote` could have written."""

    commit: str
    subject: str
    reason: str
    model: str = ""  # the model it names, when that much is readable ("" concerns every model)


@dataclass(frozen=True)
class Ledger:
    """Promotions in the order they landed, and the commits that only pretend to be one."""

    entries: list[Entry] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)


@dataclass(frozen=True)
class _Revert:
    commit: str
    date: str
    subject: str


def _claims_promotion(pairs: dict[str, str]) -> bool:
    return "environment" in pairs


def _record(record: str) -> Entry | Malformed | _Revert | None:
    """One log record as an entry, a malformed claim, a revert to resolve, or None (other)."""
    parts = record.lstrip("\n").split(_SEP)
    sha, subject = parts[0], parts[2] if len(parts) > 2 else ""
    if len(parts) < 3 or not _SHA.fullmatch(sha):
        return Malformed(sha[:40], "", "unreadable log record") if "nvironment" in record else None
    block = _SEP.join(parts[3:])
    claims = "nvironment" in block.lower()  # cheap pre-filter: most commits are not promotions
    if subject.startswith(_REVERT_SUBJECT) and not claims:  # `git revert [-s]` copies no trailers
        return _Revert(sha, parts[1], subject)
    if not claims:
        return None
    fast = fast_release(block)
    if fast is not None:
        return Entry(commit=sha, date=parts[1], subject=subject, release=fast)
    pairs, problems = parse_block(block, _SEP)
    if not _claims_promotion(pairs):
        return None
    missing = [KEYS[name] for name in REQUIRED if not pairs.get(KEYS[name].lower())]
    if missing:
        problems.append(f"lacks the {', '.join(missing)} trailer(s)")
    release = None if problems else from_pairs(pairs)
    if release is None:
        named = pairs.get("model", DEFAULT_MODEL)
        model = "" if problem("model", named) else named
        return Malformed(sha, subject, "; ".join(problems) or "unreadable trailers", model)
    return Entry(commit=sha, date=parts[1], subject=subject, release=release)


def parse(out: str, reverted: dict[str, tuple[str, str]] | None = None) -> Ledger:
    """A ledger from LOG_FORMAT output (oldest first); `reverted` maps revert -> (target, by)."""
    book = Ledger()
    # Keyed by (model, env): each model's environments are separate histories in one log.
    last: dict[tuple[str, str], Release] = {}
    before: dict[str, tuple[tuple[str, str], Release | None]] = {}  # event -> (slot, before it)
    for record in out.split(_END):
        item = _record(record)
        if isinstance(item, _Revert):
            item = _resolve(item, (reverted or {}).get(item.commit), before)
        if isinstance(item, Malformed):
            book.malformed.append(item)
        elif isinstance(item, Entry):
            slot = (item.release.model, item.release.environment)
            before[item.commit] = (slot, last.get(slot))
            last[slot] = item.release
            book.entries.append(item)
    return book


def _resolve(
    rev: _Revert,
    target: tuple[str, str] | None,
    before: dict[str, tuple[tuple[str, str], Release | None]],
) -> Entry | Malformed | None:
    """A revert of a ledger event puts its model's environment back where it was before it."""
    if target is None or target[0] not in before:
        return None  # reverts something that is not a promotion: not a ledger event
    (model, env), earlier = before[target[0]]
    if earlier is None:
        reason = f"reverts the first promotion of {env} ({target[0][:12]}): nothing is pinned"
        return Malformed(rev.commit, rev.subject, reason, model)
    release = earlier.with_(rollback_of=target[0], promoted_by=target[1])
    return Entry(commit=rev.commit, date=rev.date, subject=rev.subject, release=release)


def _reverts(root: Path, out: str) -> dict[str, tuple[str, str]]:
    """revert commit -> (commit it reverts, who reverted), read only for revert-shaped subjects."""
    shas = [
        record.lstrip("\n").split(_SEP, 1)[0]
        for record in out.split(_END)
        if _SEP + 'Revert "' in record or _SEP + 'Reapply "' in record
    ]
    if not shas:
        return {}
    found = {}
    body = git(root, "log", "--no-walk=unsorted", "--stdin", f"--format={REVERT_FORMAT}",
               stdin="\n".join(shas) + "\n")  # fmt: skip
    for record in body.split(_END):
        parts = record.lstrip("\n").split(_SEP)
        match = _REVERTS.search(parts[2]) if len(parts) == 3 else None
        if match:
            found[parts[0]] = (match[1], parts[1])
    return found


def read(
    root: Path,
    env: str | None = None,
    at: str | None = None,
    rev: str = "HEAD",
    model: str | None = DEFAULT_MODEL,
) -> Ledger:
    """Every promotion of `model` (None: of every model) reachable from `rev`, committed before
    `at`, and every malformed claim that names that model or none readable."""
    args = ["log", "--topo-order", "--reverse", f"--format={LOG_FORMAT}"]
    if at:
        args.append(f"--before={at}")
    if model is not None and model != DEFAULT_MODEL:
        args += prefilter(model)
    out = git(root, *args, rev)
    book = parse(out, _reverts(root, out))
    return select(book, env, model)


def prefilter(model: str) -> list[str]:
    """`git log` options that keep only commits mentioning a fleet model, and reverts.

    git formats only what matches, so one model's ledger costs a walk, not 10,000 trailer
    blocks. A superset on purpose (any line naming the model; any revert): `select` then keeps
    what the parsed trailers say. The default model cannot be prefiltered: its commits from
    before the fleet carry no Model trailer at all.
    """
    check("model", model)  # a plain name: it goes into git's arguments
    return ["--fixed-strings", f"--grep={model}", f"--grep={REVERT_BODY}"]


def select(book: Ledger, env: str | None = None, model: str | None = DEFAULT_MODEL) -> Ledger:
    """The part of `book` about one environment and/or one model (None: all of them)."""
    entries = [
        e for e in book.entries
        if (not env or e.release.environment == env)
        and (model is None or e.release.model == model)
    ]  # fmt: skip
    malformed = [m for m in book.malformed if model is None or m.model in ("", model)]
    return Ledger(entries, malformed)


def ledger(
    root: Path,
    env: str | None = None,
    at: str | None = None,
    rev: str = "HEAD",
    model: str | None = DEFAULT_MODEL,
) -> list[Entry]:
    """Well-formed promotions of `model` reachable from `rev` (before `at`), in landing order."""
    return read(root, env, at, rev, model).entries


def current(entries: list[Entry]) -> dict[str, Entry]:
    """The last entry per environment: what each one is meant to run (entries of ONE model)."""
    return {e.release.environment: e for e in entries}


def current_by_model(entries: list[Entry]) -> dict[tuple[str, str], Entry]:
    """The last entry per (model, environment), models in order of first promotion."""
    return {(e.release.model, e.release.environment): e for e in entries}


def render(entries: list[Entry], fmt: str) -> str:
    """The ledger as a plain-text table, markdown, or JSON."""
    if fmt == "json":
        return json.dumps([e.as_dict() for e in entries], indent=2)
    rows = [e.row() for e in entries]
    if fmt == "md":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c or "" for c in row) + " |" for row in rows]
        return "\n".join(lines)
    # Plain fixed-width text: rich tables cost seconds on a 10,000-row ledger.
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS)]
    fmt_row = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt_row.format(*row).rstrip() for row in [COLUMNS, *rows])
