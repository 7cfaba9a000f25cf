"""`model verify-lock`: re-run the pipeline from a commit's dvc.lock inputs; compare every md5.

The run happens in a temporary git worktree of the commit, sharing the DVC cache, so the
check covers exactly what was committed and leaves the caller's work tree untouched. A fleet
model is the same check in its folder (fleet/<name>/, its own DVC project) of that worktree.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from model import config
from model.config import UsageError
from model.proc import git, run, venv_env

# Timings differ run to run by design (see dvc.yaml); every other output is byte-deterministic
# (skops is canonicalised in model/core/artifact.py), so any other md5 change is a real difference.
NON_DETERMINISTIC = frozenset({"reports/latency.json"})


class VerifyError(UsageError):
    """The check could not run (bad revision, pipeline failure): a usage or data error."""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    # input="": stdin is never a terminal, so dvc cannot stop to prompt ([y/n]) in a CI step.
    proc = run(cmd, cwd, env=env, check=False, input="")
    if proc.returncode != 0:
        raise VerifyError(
            f"`{' '.join(cmd)}` failed in {cwd}:\n{(proc.stdout + proc.stderr)[-3000:]}"
        )
    return proc.stdout


def hashes(lock: dict[str, Any]) -> dict[str, dict[tuple[str, str], str]]:
    """Per stage: (deps|outs, path) -> md5, leaving out the non-deterministic files."""
    out: dict[str, dict[tuple[str, str], str]] = {}
    for stage, body in (lock.get("stages") or {}).items():
        out[stage] = {
            (kind, entry["path"]): entry.get("md5", "")
            for kind in ("deps", "outs")
            for entry in body.get(kind, [])
            if entry["path"] not in NON_DETERMINISTIC
        }  # fmt: skip
    return out


def compare(committed: dict[str, Any], reproduced: dict[str, Any]) -> list[dict[str, str]]:
    """Every (stage, file) whose md5 differs, or that exists on one side only."""
    old, new = hashes(committed), hashes(reproduced)
    diffs = []
    for stage in sorted(set(old) | set(new)):
        a, b = old.get(stage, {}), new.get(stage, {})
        for kind, path in sorted(set(a) | set(b)):
            if a.get((kind, path)) != b.get((kind, path)):
                diffs.append({
                    "stage": stage, "kind": kind, "path": path,
                    "committed": a.get((kind, path), "absent"),
                    "reproduced": b.get((kind, path), "absent"),
                })  # fmt: skip
    return diffs


def _cache_dir(root: Path) -> str:
    """The caller's DVC cache ROOT (DVC 3's `cache.local.path` is its `files/md5` inside)."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return str(repo.cache.local_cache_dir)


def _data_into(workdir: Path, cache: str, dvc: list[str], env: dict[str, str], pull: str) -> None:
    """data.dvc's data from the shared cache, else the remote; both failures are shown."""
    try:
        _run([*dvc, "checkout", "data.dvc"], workdir, env)
    except VerifyError as not_cached:
        try:
            _run([*dvc, "pull", "data.dvc"], workdir, env)
        except VerifyError as not_pulled:
            raise VerifyError(
                f"expected data.dvc's data in the DVC cache {cache} or on the remote; found "
                f"neither.\n{not_cached}\n{not_pulled}\nRun `{pull}` (or restore the DVC "
                "cache), then verify again."
            ) from not_pulled


def reproduce(root: Path, sha: str, workdir: Path, folder: str = ".") -> dict[str, Any]:
    """Check `sha` out as a worktree in `workdir`, `dvc repro -f` in its `folder`; its dvc.lock.

    `folder` is the DVC project's path in the repository: "." for the root model, fleet/<name>
    for a fleet model (the whole commit is checked out: its stages depend on ../../model).
    """
    _run(["git", "worktree", "add", "--detach", "--force", str(workdir), sha], root)
    try:
        project, mine = workdir / folder, root / folder
        local = mine / ".dvc" / "config.local"
        if local.is_file():  # the caller's remote URL and credentials profile, never committed
            (project / ".dvc" / "config.local").write_text(local.read_text())
        dvc = [sys.executable, "-m", "dvc"]
        # The cache the caller's project uses (a fleet folder's is the root's, by a relative
        # cache.dir that would point into the temporary worktree if left alone).
        cache = _cache_dir(mine)
        _run([*dvc, "config", "--local", "cache.dir", cache], project)
        env = venv_env({config.MODEL_TRACKING: "0"})
        pull = "model data pull" if folder == "." else f"model fleet pull {Path(folder).name}"
        _data_into(project, cache, dvc, env, pull)  # the shared cache normally has it
        _run([*dvc, "repro", "--force"], project, env)
        return yaml.safe_load((project / "dvc.lock").read_text())
    finally:
        git(root, "worktree", "remove", "--force", str(workdir), check=False)


def verify(root: Path, rev: str = "HEAD", folder: str = ".") -> dict[str, Any]:
    """Re-run the pipeline of `folder` at `rev`; report which stages' md5s differ from its lock.

    `folder` is repository-relative ("." the root model, fleet/<name> a fleet model); the
    caller checks it (model names are hostile until model.fleet.layout.check_name).
    """
    from model.review.revs import RevError, resolve

    try:
        sha = resolve(root, rev)
    except RevError as err:
        raise VerifyError(str(err)) from err
    lock_path = PurePosixPath(folder, "dvc.lock").as_posix()
    text = _run(["git", "show", f"{sha}:{lock_path}"], root)
    committed = yaml.safe_load(text)
    with tempfile.TemporaryDirectory(prefix="verify-lock-") as tmp:
        reproduced = reproduce(root, sha, Path(tmp) / "wt", folder)
    diffs = compare(committed, reproduced)
    stages = sorted({d["stage"] for d in diffs})
    return {
        "rev": sha, "lock": lock_path, "reproducible": not diffs, "differing_stages": stages,
        "differences": diffs, "ignored": sorted(NON_DETERMINISTIC),
    }  # fmt: skip
