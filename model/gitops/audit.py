"""The promotion ledger, read from git trailers in ONE `git log` call (no diff walking)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from model.gitops.git import git
from model.gitops.trailers import Release, from_pairs, parse_pairs

# Unit and record separators never occur in commit subjects or trailer values.
_FIELD, _RECORD, _PAIR = "\x1f", "\x1d", "\x1e"
LOG_FORMAT = f"%H{_FIELD}%cI{_FIELD}%s{_FIELD}%(trailers:unfold,separator=%x1e){_RECORD}"
COLUMNS = (
    "when",
    "env",
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


def parse_log(out: str, env: str | None = None) -> list[Entry]:
    """Entries from LOG_FORMAT output, oldest first, keeping only promotion commits."""
    entries = []
    for record in out.split(_RECORD):
        parts = record.strip("\n").split(_FIELD)
        # Cheap pre-filter: most commits in a busy repo are not promotions.
        if len(parts) != 4 or "Environment:" not in parts[3]:
            continue
        release = from_pairs(parse_pairs(parts[3], _PAIR))
        if release is None or (env and release.environment != env):
            continue
        entries.append(Entry(commit=parts[0], date=parts[1], subject=parts[2], release=release))
    return entries


def ledger(
    root: Path, env: str | None = None, at: str | None = None, rev: str = "HEAD"
) -> list[Entry]:
    """Every promotion reachable from `rev` (committed before `at`), in the order it landed."""
    args = ["log", "--topo-order", "--reverse", f"--format={LOG_FORMAT}"]
    if at:
        args.append(f"--before={at}")
    return parse_log(git(root, *args, rev), env)


def current(entries: list[Entry]) -> dict[str, Entry]:
    """The last entry per environment: what each one is meant to run."""
    return {e.release.environment: e for e in entries}


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
