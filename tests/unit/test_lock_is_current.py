"""The committed dvc.lock must match the committed code and params (a generated file)."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

LOCK = yaml.safe_load(Path("dvc.lock").read_text())


def code_deps() -> list[tuple[str, str, str]]:
    return [
        (stage, d["path"], d["md5"])
        for stage, body in LOCK["stages"].items()
        for d in body.get("deps", [])
        if d["path"].startswith("model/")
    ]


def dvc_md5(path: Path) -> str:
    """DVC's md5 of a dep: the file's bytes, or for a directory `<md5 of its listing>.dir`.

    The listing is DVC's: sorted `{"md5", "relpath"}` entries as JSON, without what
    .dvcignore drops (bytecode caches).
    """
    if path.is_file():
        return hashlib.md5(path.read_bytes()).hexdigest()
    files = [
        p for p in sorted(path.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]  # fmt: skip
    entries = [
        {"md5": hashlib.md5(p.read_bytes()).hexdigest(), "relpath": p.relative_to(path).as_posix()}
        for p in files
    ]
    listing = json.dumps(sorted(entries, key=lambda e: e["relpath"]), sort_keys=True)
    return hashlib.md5(listing.encode()).hexdigest() + ".dir"


@pytest.mark.parametrize(("stage", "path", "md5"), code_deps())
def test_code_dependency_matches_lock(stage: str, path: str, md5: str) -> None:
    found = dvc_md5(Path(path))
    assert found == md5, f"dvc.lock is stale for stage {stage}: {path} changed; run `dvc repro`"


def test_params_match_lock() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())
    for stage, body in LOCK["stages"].items():
        for section in body.get("params", {}).values():
            for key, value in section.items():
                head, _, tail = key.partition(".")
                current = params[head][tail] if tail else params[head]
                assert current == value, f"dvc.lock is stale for stage {stage}: params {key}"


def test_lock_covers_every_stage() -> None:
    stages = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    assert set(LOCK["stages"]) == set(stages)
    assert code_deps(), "no code dependencies found in dvc.lock"
