"""An origin whose dvc.lock pins stand-in train outputs, so release jobs run without training."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import yaml

from model.gitops import facts
from tests.conftest import run


def standin(path: str, tag: str) -> bytes:
    """Stand-in bytes for one output of the train stage.

    `tag` keeps each test module's model digest its own: they share one MLflow server, where a
    digest already registered by another module would change what register reports.
    """
    return f"{tag} act test stand-in: {path}\n".encode()


def pinned_origin(
    origin: Path, base: Path, tag: str, store: Callable[[str, bytes], None] | None = None
) -> tuple[Path, Path]:
    """A bare clone of `origin` whose main pins `standin` train outputs; returns (bare, seed).

    `store(md5, data)` puts each output where the job will pull it from (a DVC remote).
    """
    bare, seed = base / "origin.git", base / "seed"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    run(["git", "clone", "-q", str(bare), str(seed)], base)
    lock = yaml.safe_load((seed / "dvc.lock").read_text())
    for out in lock["stages"]["train"]["outs"]:
        data = standin(out["path"], tag)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        out.update(md5=md5, size=len(data))
        if store is not None:
            store(md5, data)
    (seed / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
    run(["git", "commit", "-qam", "pipeline: dvc.lock pins the model under test"], seed)
    run(["git", "push", "-q", "origin", "main"], seed)
    return bare, seed


def place_outputs(repo: Path, tag: str, rev: str = "HEAD") -> str:
    """Put the pinned outputs in `repo` (as `dvc pull` would); return the model digest at `rev`."""
    for out in yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["train"]["outs"]:
        (repo / out["path"]).parent.mkdir(parents=True, exist_ok=True)
        (repo / out["path"]).write_bytes(standin(out["path"], tag))
    return facts.model_sha256(repo, run(["git", "rev-parse", rev], repo).stdout.strip())
