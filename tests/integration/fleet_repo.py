"""A small real repo with the default model and fleet models: what the fleet promotion tests use."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tests.conftest import ROOT, run
from tests.unit.gitops_repo import git, make_repo

DATA_MD5 = "2" * 32 + ".dir"


def model_sha(name: str) -> str:
    """A distinct stand-in model digest per fleet model."""
    return hashlib.sha256(f"model {name}".encode()).hexdigest()


def image(name: str, i: int = 0) -> str:
    """A per-model image by digest, distinct per (model, i)."""
    return f"ghcr.io/acme/{name}@sha256:" + hashlib.sha256(f"{name} {i}".encode()).hexdigest()


def add_models(repo: Path, names: list[str]) -> None:
    """fleet/<name>/ with a data pin, metrics and a trained model's pin file (git-ignored)."""
    for name in names:
        where = repo / "fleet" / name
        (where / "models").mkdir(parents=True)
        (where / "reports").mkdir()
        (where / "model.yaml").write_text(f"name: {name}\n")
        (where / "data.dvc").write_text(f"outs:\n- md5: {DATA_MD5}\n  path: data\n")
        (where / "reports/metrics.json").write_text('{"roc_auc": 0.71, "n_test": 100}\n')
    write_pins(repo, names)
    ignore = repo / ".gitignore"
    if "/fleet/*/models/" not in ignore.read_text():
        ignore.write_text(ignore.read_text() + "/fleet/*/models/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"fleet: {', '.join(names)}")


def write_pins(repo: Path, names: list[str]) -> None:
    """What `dvc repro`/`dvc pull` leaves in each clone: fleet/<name>/models/model.sha256."""
    for name in names:
        pin = repo / "fleet" / name / "models" / "model.sha256"
        pin.parent.mkdir(parents=True, exist_ok=True)
        pin.write_text(model_sha(name) + "\n")


def make_fleet_repo(path: Path, names: list[str]) -> Path:
    """make_repo (the default model) plus fleet models `names`."""
    repo = make_repo(path)
    add_models(repo, names)
    return repo


def dvc_repo(root: Path) -> Path:
    """A git + DVC repository at `root` with the default model's files and a local remote
    beside it (what `model new` needs); one commit, no fleet yet."""
    (root / ".github").mkdir(parents=True)
    for rel in ("params.yaml", "data.dvc", "dvc.yaml", ".dvcignore", ".github/promotion-gate.yaml"):
        shutil.copy(ROOT / rel, root / rel)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    run(["dvc", "remote", "add", "-d", "store", str(root.parent / "remote")], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "base"], root)
    return root
