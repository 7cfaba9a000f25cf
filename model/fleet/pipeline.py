"""Each fleet model is its own DVC project (a subrepo) running the shared pipeline.

Why a subrepo per folder: DVC commands without targets act on every stage and pin of their
project. With fleet stages in the root project, the default model's bare `dvc pull` failed as
soon as a remote lacked one fleet model's data, and `dvc status` reported other models' outputs.
A folder with its own `.dvc/` is invisible to the root project, so every model's `dvc repro`,
`pull` and `status` stay its own, while the cache and the remote are shared with the root.

The folder's dvc.yaml is rendered from the root dvc.yaml (the one declaration of the
pipeline): the same stages, deps and outs, with the model's data file, `--contract` and
`--params`, and the shared code reached as ../../model/…. `model fleet sync` re-renders it.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import Any

import yaml

from model.fleet.layout import CONTRACT, DATA_DIR, FleetError, folder

DVC_YAML = "dvc.yaml"
DVC_DIR = ".dvc"
DVC_CONFIG = f"{DVC_DIR}/config"
UP = "../../"  # from fleet/<name>/ to the repository root
TRACKING_OFF = "MODEL_TRACKING=0"
DEFAULT_RAW = "data/credit_data.csv"
SUBREPO_NOTE = (
    "# This folder is its own DVC project (see model/fleet/pipeline.py): the root project\n"
    "# never sees it. Cache and remote are the root's. Written by `model fleet sync`.\n"
)


def shared_deps(root: Path, dep: str) -> list[str]:
    """A root dep on shared code, as a model folder's deps: a directory becomes its .py files.

    Why files: a subrepo hashes a path outside its own tree with no .dvcignore, so the bytecode
    caches any Python run writes into model/core changed a directory dep, every stage re-ran
    and the lock moved. The files are the code; a new module shows up at the next sync.
    """
    path = root / dep
    if not path.is_dir():
        return [UP + dep]
    files = [p for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts]
    return [UP + f.relative_to(root).as_posix() for f in files]


def _stage(root: Path, body: dict[str, Any], raw: str) -> dict[str, Any]:
    """One root stage, rewritten for a model folder."""
    cmd = " ".join(str(body["cmd"]).split()).replace(DEFAULT_RAW, raw)
    cmd += f" --contract {CONTRACT}"
    if body.get("params") and "model.pipeline.validate" not in cmd:
        cmd += " --params params.yaml"
    if "model.pipeline.evaluate" in cmd:
        # Not tracked yet: MLflow runs would land in credit-scoring's experiment and overwrite
        # its last_run.json (what `model register` registers). Per-model tracking is to come.
        cmd = f"{TRACKING_OFF} {cmd}"
    deps: list[str] = []
    for d in body.get("deps", []):
        deps.extend(
            shared_deps(root, d) if d.startswith("model/") else [raw if d == DEFAULT_RAW else d]
        )
    out: dict[str, Any] = {"cmd": cmd, "deps": [*deps, CONTRACT]}
    for key in ("params", "outs", "metrics"):
        if key in body:
            out[key] = body[key]
    return out


class _PlainDumper(yaml.SafeDumper):
    """PyYAML's own string style, whatever else is imported: hera re-registers `str` on
    SafeRepresenter (block literals), so the same render differed by import order."""


_PlainDumper.add_representer(str, yaml.representer.SafeRepresenter.represent_str)


def render(root: Path, raw: str) -> str:
    """The dvc.yaml of a model whose data file is `raw` (e.g. data/lending_club.csv)."""
    try:
        declared = yaml.safe_load((root / DVC_YAML).read_text())
    except OSError as err:
        raise FleetError(
            f"{root / DVC_YAML}: the root pipeline every model runs is missing"
        ) from err
    stages = {name: _stage(root, body, raw) for name, body in declared["stages"].items()}
    doc: dict[str, Any] = {"stages": stages}
    if "plots" in declared:
        doc["plots"] = declared["plots"]
    head = "# Rendered from the root dvc.yaml by `model fleet sync`; edit that one, not this.\n"
    return head + yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, width=10_000)  # 1 line/cmd


def _remote(root: Path, sub: Path) -> tuple[str, str]:
    """(name, url) of the root's default remote, its URL made valid from `sub`/.dvc."""
    parser = configparser.ConfigParser()
    parser.read_string((root / DVC_CONFIG).read_text())
    name = parser.get("core", "remote", fallback="")
    section = f"'remote \"{name}\"'"
    if not name or not parser.has_section(section):
        raise FleetError(f"{root / DVC_CONFIG}: expected a default remote (core.remote)")
    url = parser.get(section, "url")
    if "://" in url or os.path.isabs(url):
        return name, url
    target = os.path.normpath(root / DVC_DIR / url)
    return name, os.path.relpath(target, sub / DVC_DIR)


def subrepo_files(root: Path, sub: Path) -> dict[str, str]:
    """The files that make `sub` a DVC subrepo sharing the root's cache and default remote."""
    name, url = _remote(root, sub)
    cache = os.path.relpath(root / DVC_DIR / "cache", sub / DVC_DIR)
    config = (
        f"{SUBREPO_NOTE}[core]\n    remote = {name}\n    analytics = false\n"
        f"    check_update = false\n[cache]\n    dir = {cache}\n"
        f"['remote \"{name}\"']\n    url = {url}\n"
    )
    return {
        DVC_CONFIG: config,
        f"{DVC_DIR}/.gitignore": "/config.local\n/tmp\n/cache\n",
        ".dvcignore": (root / ".dvcignore").read_text(),
    }


def raw_file(root: Path, name: str) -> str:
    """The model's data file, relative to its folder, as its manifest names it."""
    manifest = yaml.safe_load((root / folder(name) / "model.yaml").read_text())
    raw = str(manifest.get("data", ""))
    if not raw.startswith(f"{DATA_DIR}/") or ".." in raw or raw.count("/") != 1:
        raise FleetError(f"{folder(name)}/model.yaml: data must name a file in {DATA_DIR}/")
    return raw


def expected(root: Path, sub: Path, raw: str) -> dict[str, str]:
    """Every generated file of a model folder, by path relative to the folder."""
    return {**subrepo_files(root, sub), DVC_YAML: render(root, raw)}


def sync(root: Path, name: str, *, write: bool = True) -> list[str]:
    """Re-render a model's generated files; the paths that differed (written when `write`)."""
    sub = root / folder(name)
    stale = []
    for rel, text in expected(root, sub, raw_file(root, name)).items():
        path = sub / rel
        if not path.is_file() or path.read_text() != text:
            stale.append(f"{folder(name)}/{rel}")
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return stale
