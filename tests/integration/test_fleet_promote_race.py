"""Concurrent promotions of different models against one origin: every one lands, none is lost.

Each touches only deploy/staging/<model>.yaml, so land()'s rebase after a rejected push never
conflicts: the loser fetches, rebases and pushes again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from model.gitops import audit
from tests.conftest import GIT_ENV, VENV_BIN
from tests.integration.fleet_repo import image, make_fleet_repo, write_pins
from tests.unit.gitops_repo import git

N = 8


def test_concurrent_promotions_of_different_models_all_land(tmp_path: Path) -> None:
    names = [f"m{i}" for i in range(N)]
    seed = make_fleet_repo(tmp_path / "seed", names)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    clones = []
    for name in names:
        clone = tmp_path / f"clone-{name}"
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        write_pins(clone, names)  # git-ignored: what `dvc pull` leaves in each clone
        clones.append(clone)
    env = {**os.environ, **GIT_ENV, "MODEL_REGISTRY": "0",
           "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}  # fmt: skip
    for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR"):
        env.pop(name, None)
    procs = [
        subprocess.Popen(
            ["model", "promote", "staging", "--model", name, "--image", image(name), "--push"],
            cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name, clone in zip(names, clones, strict=True)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * N, outputs
    landed = audit.ledger(origin, "staging", model=None)  # read the bare origin's own history
    assert sorted(e.release.model for e in landed) == names
    assert {e.release.image_ref for e in landed} == {image(name) for name in names}
    tree = git(origin, "ls-tree", "-r", "--name-only", "main", "deploy/staging").split()
    assert tree == [f"deploy/staging/{name}.yaml" for name in names]
    retried = [out for out in outputs if "attempt 1)" not in out]
    assert retried, "no promotion had to retry: the race was not exercised"
