"""Trailers parsed back through a real `git log --format=%(trailers)` (the parsers: unit)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from model.gitops import audit
from model.gitops.trailers import (
    Release,
    message,
)
from tests.sample_release import RELEASE


def test_git_parses_our_trailers_back(tmp_path: Path) -> None:
    def git(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            ["git", *args], cwd=tmp_path, input=stdin, text=True, capture_output=True, check=True
        ).stdout

    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "unrelated commit\n\nSigned-off-by: x <x@y>")
    git("commit", "-q", "--allow-empty", "-F", "-", stdin=message("promote", "body", RELEASE))
    rolled = RELEASE.with_(rollback_of="e" * 40, environment="prod")
    git("commit", "-q", "--allow-empty", "-F", "-", stdin=message("rollback", "", rolled))
    entries = audit.ledger(tmp_path)
    assert [e.release for e in entries] == [RELEASE, rolled]
    assert [e.release.environment for e in audit.ledger(tmp_path, env="prod")] == ["prod"]
    assert audit.current(entries)["prod"].release.rollback_of == "e" * 40
    rendered = audit.render(entries, "md").splitlines()
    assert len(rendered) == 4 and rendered[2].count("|") == len(audit.COLUMNS) + 1
    assert '"image_digest"' in audit.render(entries, "json")


def test_audit_at_time_shows_what_was_meant_to_run_then(tmp_path: Path) -> None:
    def commit(release: Release, when: str) -> None:
        env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-F", "-"], cwd=tmp_path, env=env,
                       input=message("promote", "", release), text=True, check=True)  # fmt: skip

    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    first = RELEASE.with_(image_digest="sha256:" + "1" * 64)
    commit(first, "2026-01-01T10:00:00+00:00")
    commit(RELEASE, "2026-02-01T10:00:00+00:00")
    then = audit.current(audit.ledger(tmp_path, at="2026-01-15T00:00:00+00:00"))
    assert then["staging"].release.image_digest == "sha256:" + "1" * 64
    now = audit.current(audit.ledger(tmp_path))
    assert now["staging"].release.image_digest == RELEASE.image_digest
