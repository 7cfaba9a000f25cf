"""Issue 11 §3: a push the remote refuses never strands a commit, and a retry never lies.

The remote is a real bare repository with a real pre-receive hook, as a protected branch or a
server-side policy would refuse a push.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from model.cli.console import EXIT_FAILED, EXIT_USAGE
from tests.conftest import run
from tests.unit.gitops_repo import git, make_repo, with_origin

pytestmark = [pytest.mark.e2e, pytest.mark.security]
GOOD = "ghcr.io/org/credit-scoring@sha256:" + "b" * 64
ENV = {"MODEL_REGISTRY": "0", "MODEL_PUSH_ATTEMPTS": "4"}
REASON = "promotions are frozen until Monday (change freeze)"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A promoter's clone whose origin is a real bare repository."""
    work = make_repo(tmp_path / "work")
    with_origin(work, tmp_path / "origin.git")
    return work


def _refuse_pushes(bare: Path, count: Path, reason: str = REASON) -> None:
    """A pre-receive hook that counts its calls and refuses every push with `reason`."""
    hook = bare / "hooks/pre-receive"
    hook.write_text(f"#!/bin/sh\necho x >> '{count}'\nprintf '%s\\n' '{reason}' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _tips(repo: Path) -> tuple[str, str]:
    git(repo, "fetch", "-q", "origin")
    return git(repo, "rev-parse", "HEAD").strip(), git(repo, "rev-parse", "origin/main").strip()


def _promote(repo: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = run(["model", "promote", "staging", "--image", GOOD, *extra], repo, check=False,
               env={**ENV, **(env or {})})  # fmt: skip
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def test_a_refused_push_stops_at_once_shows_why_and_strands_nothing(
    repo: Path, tmp_path: Path
) -> None:
    count = tmp_path / "hook-calls"
    _refuse_pushes(tmp_path / "origin.git", count)
    before = _tips(repo)
    code, output = _promote(repo, "--push")
    assert code == EXIT_FAILED, output
    assert REASON in output  # the remote's own words
    assert count.read_text().count("x") == 1  # a hook is not a race: no retries
    assert _tips(repo) == before and git(repo, "status", "--porcelain") == ""
    # The rerun meets the same refusal; it never says "no-op" over a stranded commit.
    code, output = _promote(repo, "--push")
    assert code == EXIT_FAILED and "no-op" not in output and REASON in output
    assert _tips(repo) == before


def test_a_refused_push_keeps_the_users_own_unpushed_commits(repo: Path, tmp_path: Path) -> None:
    (repo / "NOTES.md").write_text("work in progress\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "my own work, not pushed yet")
    mine = git(repo, "rev-parse", "HEAD").strip()
    _refuse_pushes(tmp_path / "origin.git", tmp_path / "calls")
    code, output = _promote(repo, "--push")
    assert code == EXIT_FAILED and REASON in output, output
    assert git(repo, "rev-parse", "HEAD").strip() == mine  # the promotion dropped, mine kept
    assert git(repo, "status", "--porcelain") == ""


def test_a_hostile_rejection_message_is_shown_defanged(repo: Path, tmp_path: Path) -> None:
    _refuse_pushes(tmp_path / "origin.git", tmp_path / "calls", "\x1b[2J[/bold red] frozen")
    code, output = _promote(repo, "--push")
    assert code == EXIT_FAILED and "Traceback" not in output, output
    assert "?[2J[/bold red] frozen" in output  # no terminal escape, no rich markup


def test_a_rerun_pushes_a_commit_already_ahead_of_the_remote(repo: Path) -> None:
    code, output = _promote(repo)  # committed locally, as a stranded promotion would be
    assert code == 0, output
    local, remote = _tips(repo)
    assert local != remote
    code, output = _promote(repo, "--push")
    assert code == 0 and "no-op" not in output and "pushed to origin/main" in output, output
    assert _tips(repo) == (local, local)


@pytest.mark.parametrize("value", ["0", "-3", "abc", "2.5", "1000000"])
def test_push_attempts_is_validated_before_anything_is_committed(repo: Path, value: str) -> None:
    before = _tips(repo)
    code, output = _promote(repo, "--push", env={"MODEL_PUSH_ATTEMPTS": value})
    assert code == EXIT_USAGE, output
    assert "MODEL_PUSH_ATTEMPTS" in output and repr(value) in output
    assert _tips(repo) == before and git(repo, "status", "--porcelain") == ""


def test_rollback_push_refused_resets_too(repo: Path, tmp_path: Path) -> None:
    for digest in ("b", "c"):
        image = GOOD.replace("b" * 64, digest * 64)
        proc = run(["model", "promote", "staging", "--image", image, "--push"], repo, env=ENV)
        assert proc.returncode == 0
    _refuse_pushes(tmp_path / "origin.git", tmp_path / "hook-calls")
    before = _tips(repo)
    proc = run(["model", "rollback", "staging", "--push"], repo, check=False, env=ENV)
    assert proc.returncode == EXIT_FAILED and REASON in " ".join(proc.stderr.split())
    assert _tips(repo) == before and git(repo, "status", "--porcelain") == ""


RACE = """To /tmp/origin.git
 ! [rejected]        HEAD -> main (fetch first)
error: failed to push some refs to '/tmp/origin.git'
hint: Updates were rejected because the remote contains work that you do not
"""
NON_FF = " ! [rejected]        HEAD -> main (non-fast-forward)\n"
LOCKED = (
    " ! [remote rejected] HEAD -> main (failed to update ref)\n"
    "remote: error: cannot lock ref 'refs/heads/main': is at 1 but expected 2\n"
)
HOOK = " ! [remote rejected] HEAD -> main (pre-receive hook declined)\nremote: frozen\n"
PROTECTED = " ! [remote rejected] main -> main (protected branch hook declined)\n"
AUTH = "fatal: Authentication failed for 'https://github.com/org/repo.git/'\n"
DENIED = "ERROR: Permission to org/repo.git denied to bot.\nfatal: Could not read from remote\n"


@pytest.mark.parametrize(
    ("stderr", "race"),
    [(RACE, True), (NON_FF, True), (LOCKED, True), (HOOK, False), (PROTECTED, False),
     (AUTH, False), (DENIED, False), ("", False),
     (RACE + HOOK, False)],  # a race AND a hook: the hook would refuse again
)  # fmt: skip
def test_only_non_fast_forward_races_are_retried(stderr: str, race: bool) -> None:
    from model.gitops.land import is_race

    assert is_race(stderr) is race
