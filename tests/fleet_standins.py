"""A fleet model whose dvc.lock pins stand-in train outputs: registry tests without training."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from model.core.artifact import bundle_sha256
from model.names import BUNDLE_FILES, PIN_FILE
from tests.conftest import run


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def pin_standins(repo: Path, name: str, tag: str) -> str:
    """Point fleet/<name>/dvc.lock's model files at stand-in bytes (made if absent), place them
    and models/model.sha256 as `dvc pull` would, commit; return the model digest.

    `tag` keeps each test's digest its own: tests share one MLflow server.
    """
    where = repo / "fleet" / name
    if not (where / "model.yaml").is_file():  # a bare repo: the files `model.fleet.layout` reads
        where.mkdir(parents=True)
        (where / "model.yaml").write_text(f"name: {name}\n")
        (where / "contract.yaml").write_text("target: churned\n")
        (where / "data.dvc").write_text(f"outs:\n- md5: {'3' * 32}.dir\n  path: data\n")
        (where / ".gitignore").write_text("/models/\n")
    lock_file = where / "dvc.lock"
    lock = yaml.safe_load(lock_file.read_text()) if lock_file.is_file() else {"schema": "2.0"}
    train = lock.setdefault("stages", {}).setdefault("train", {"cmd": "train"})
    outs = {o["path"]: o for o in train.setdefault("outs", [])}
    files = {f: f"{tag} {name} stand-in {f}\n".encode() for f in BUNDLE_FILES}
    (where / "models").mkdir(exist_ok=True)
    for file, data in files.items():
        out = outs.get(f"models/{file}")
        if out is None:
            out = {"path": f"models/{file}", "hash": "md5"}
            train["outs"].append(out)
        out.update(md5=_md5(data), size=len(data))
        (where / "models" / file).write_bytes(data)
    lock_file.write_text(yaml.safe_dump(lock, sort_keys=False))
    sha = bundle_sha256(files)
    (where / "models" / PIN_FILE).write_text(sha + "\n")
    run(["git", "add", f"fleet/{name}"], repo)
    run(
        ["git", "commit", "-qm", f"pipeline: fleet/{name}/dvc.lock pins the model under test"], repo
    )
    return sha
