"""`model promote prod --push --open-pr` on real git against the recording GitHub API stand-in.

Honest and idempotent: a refusal or a network error fails the command with one line (no
traceback), and a rerun reuses the pushed branch and updates the open PR instead of failing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run
from tests.github_api import FORBIDDEN, FakeGitHub, serve
from tests.unit.gitops_repo import MODEL_BYTES, git, make_repo, with_origin

pytestmark = pytest.mark.e2e
IMAGE = "ghcr.io/org/credit-scoring@sha256:" + "c" * 64
BRANCH = "promote/prod-" + "c" * 12


@pytest.fixture
def api() -> Iterator[FakeGitHub]:
    with serve() as state:
        yield state


def _env(url: str) -> dict[str, str]:
    return {
        "MODEL_REGISTRY": "0",
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "org/credit-scoring",
        "GITHUB_TOKEN": "t0ken",
    }


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    """A bare origin whose main has IMAGE promoted to staging."""
    work = make_repo(tmp_path / "seed")
    bare = tmp_path / "origin.git"
    with_origin(work, bare)
    run(
        ["model", "promote", "staging", "--image", IMAGE, "--push"],
        work,
        env={"MODEL_REGISTRY": "0"},
    )
    return bare


def _checkout(bare: Path, dest: Path) -> Path:
    """A fresh clone, as each workflow run checks out, with the pinned model in place."""
    git(bare.parent, "clone", "-q", str(bare), str(dest))
    (dest / "models").mkdir(exist_ok=True)
    (dest / "models/model.onnx").write_bytes(MODEL_BYTES)
    return dest


def _open_pr(ws: Path, url: str) -> tuple[int, str, str]:
    cmd = ["model", "promote", "prod", "--image", IMAGE, "--push", "--open-pr"]
    proc = run(cmd, ws, check=False, env=_env(url))
    return proc.returncode, proc.stdout, proc.stderr


def test_opens_the_pr_and_a_rerun_reuses_branch_and_pr(
    staged: Path, api: FakeGitHub, tmp_path: Path
) -> None:
    code, out, err = _open_pr(_checkout(staged, tmp_path / "run1"), api.url)
    assert code == 0, err
    tip = git(staged, "rev-parse", BRANCH).strip()
    assert [(r.method, r.body.get("head")) for r in api.writes()] == [("POST", BRANCH)]
    assert "https://github.test/org/credit-scoring/pull/1" in out

    code, out, err = _open_pr(_checkout(staged, tmp_path / "run2"), api.url)
    assert code == 0, f"a rerun must reuse the promotion, not fail:\n{out}\n{err}"
    assert [r.method for r in api.writes()] == ["POST", "PATCH"] and len(api.pulls) == 1
    assert git(staged, "rev-parse", BRANCH).strip() == tip, "the rerun must not rewrite the branch"
    assert "pull/1" in out


def test_a_403_fails_with_one_line_and_a_rerun_then_succeeds(
    staged: Path, api: FakeGitHub, tmp_path: Path
) -> None:
    api.refuse = (403, FORBIDDEN)
    code, _, err = _open_pr(_checkout(staged, tmp_path / "run1"), api.url)
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "403" in err and FORBIDDEN in err and "PROMOTION_TOKEN" in err
    api.refuse = None  # the token is fixed; the rerun finds the branch it pushed
    code, _out, err = _open_pr(_checkout(staged, tmp_path / "run2"), api.url)
    assert code == 0, err
    assert len(api.pulls) == 1 and api.pulls[1]["head"] == BRANCH


def test_a_refused_connection_fails_with_one_line(staged: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = _open_pr(_checkout(staged, tmp_path / "run1"), f"http://127.0.0.1:{port}")
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"could not reach GitHub at http://127.0.0.1:{port}" in err
