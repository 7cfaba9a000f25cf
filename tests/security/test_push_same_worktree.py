"""Issue 11 §3: two promoters in ONE work tree never corrupt the overlay or swap outcomes.

Real concurrent `model promote` processes, started together in the same clone.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from model.gitops import audit, overlay
from tests.conftest import GIT_ENV, VENV_BIN
from tests.unit.gitops_repo import git, make_repo, with_origin

pytestmark = [pytest.mark.e2e, pytest.mark.security]
IMAGE = "ghcr.io/org/credit-scoring@sha256:"
N = 4


def _race(repo: Path, push: bool) -> list[tuple[int, str, str]]:
    """Start N promotions of distinct digests at once; (exit code, output, digest) each."""
    path = f"{VENV_BIN}:{os.environ['PATH']}"
    env = {**os.environ, **GIT_ENV, "MODEL_REGISTRY": "0", "PATH": path}
    digests = [f"{i:x}" * 64 for i in range(1, N + 1)]
    procs = [
        subprocess.Popen(
            ["model", "promote", "staging", "--image", IMAGE + d, *(["--push"] if push else [])],
            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for d in digests
    ]  # fmt: skip
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    rows = zip(procs, outputs, digests, strict=True)
    return [(p.returncode, out, "sha256:" + d) for p, out, d in rows]


def _own_commit(output: str) -> str:
    match = re.search(r"commit ([0-9a-f]{12})", output)
    assert match, output
    return match[1]


@pytest.mark.parametrize("push", [False, True], ids=["local", "push"])
def test_concurrent_promoters_in_one_work_tree_each_report_their_own_commit(
    tmp_path: Path, push: bool
) -> None:
    repo = make_repo(tmp_path / "work")
    with_origin(repo, tmp_path / "origin.git")
    results = _race(repo, push)
    for code, output, _ in results:
        assert code == 0, output
    for _, output, digest in results:
        trailers = git(repo, "log", "-1", "--format=%(trailers)", _own_commit(output))
        assert f"Image-Digest: {digest}" in trailers, (output, trailers)  # its own, not a rival's
    entries = audit.ledger(repo, "staging")
    assert sorted(e.release.image_digest for e in entries) == sorted(d for *_, d in results)
    assert overlay.read(repo, "staging").digest == entries[-1].release.image_digest
    assert git(repo, "status", "--porcelain") == ""
    if push:
        git(repo, "fetch", "-q", "origin")
        assert git(repo, "rev-parse", "HEAD") == git(repo, "rev-parse", "origin/main")
