"""Fleet-wide "would `dvc repro` do anything?" in one process, without opening N DVC projects.

Each fleet model is its own DVC project (model/fleet/pipeline.py), so `dvc status` over the
fleet costs one project load per model. The question a fleet view asks is narrower: does any
stage's command, dependency or parameter differ from what the folder's dvc.lock recorded?
That is answered by hashing the deps as DVC does (a file's md5; a directory's md5 of its
sorted {md5, relpath} listing, without bytecode caches, as .dvcignore says) with the shared
code hashed once for the whole fleet.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml


def _file_md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # DVC's content hash, not security


def dvc_md5(path: Path) -> str | None:
    """DVC's md5 of a dependency (None when it is missing)."""
    if path.is_file():
        return _file_md5(path)
    if not path.is_dir():
        return None
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )  # fmt: skip
    entries = [{"md5": _file_md5(p), "relpath": p.relative_to(path).as_posix()} for p in files]
    listing = json.dumps(sorted(entries, key=lambda e: e["relpath"]), sort_keys=True)
    return hashlib.md5(listing.encode()).hexdigest() + ".dir"


def _param(params: dict[str, Any], key: str) -> Any:
    value: Any = params
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def stale_stages(folder: Path, cache: dict[Path, str | None]) -> list[str]:
    """Stages of the folder's pipeline whose cmd, deps or params differ from its dvc.lock."""
    declared = yaml.safe_load((folder / "dvc.yaml").read_text())["stages"]
    try:
        locked = yaml.safe_load((folder / "dvc.lock").read_text())["stages"]
    except OSError:
        return list(declared)  # never run
    stale = []
    for name, body in declared.items():
        lock = locked.get(name)
        if lock is None or " ".join(str(lock["cmd"]).split()) != " ".join(str(body["cmd"]).split()):
            stale.append(name)
            continue
        changed = False
        for dep in lock.get("deps", []):
            path = (folder / dep["path"]).resolve()
            if path not in cache:
                cache[path] = dvc_md5(path)
            changed |= cache[path] != dep["md5"]
        for file, values in (lock.get("params") or {}).items():
            current = yaml.safe_load((folder / file).read_text())
            changed |= any(_param(current, k) != v for k, v in values.items())
        if changed:
            stale.append(name)
    return stale


def fleet_stale(folders: list[Path]) -> dict[str, list[str]]:
    """Every folder's stale stages, the shared code hashed once."""
    cache: dict[Path, str | None] = {}
    return {folder.name: stale_stages(folder, cache) for folder in folders}
