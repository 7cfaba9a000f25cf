"""The train outputs dvc.lock pins, always releasable: pulled, else rebuilt; verified; pushed.

Nothing makes a PR push its outputs to the DVC remote, so a merged commit may pin a model the
remote lacks. The pipeline is bit-reproducible, so `release` does not depend on that push: it
pulls the train stage's outputs, rebuilds them with `dvc repro --force train` when any is
missing, compares every file's md5 with the committed dvc.lock, and pushes them from the
trusted release job. A rebuilt file that differs means the pipeline is not reproducible at that
commit: the release fails closed and pushes nothing. PR jobs only call `remote_status`, which
writes nothing and needs no credentials beyond read access.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from model.config import ModelError
from model.proc import ProcError, run, venv_env

STAGE = "train"
LOCK_FILE = "dvc.lock"
DATA_DVC = "data.dvc"


class ReleaseModelError(ModelError):
    """The outputs could not be released; `exit_code` is 1 (a check said no) or 2 (bad input)."""

    exit_code = 1


class LockError(ReleaseModelError):
    """dvc.lock is missing or pins no md5 for a train output: nothing to release."""

    exit_code = 2


class NotReproducible(ReleaseModelError):
    """A rebuilt output differs from its dvc.lock md5: the pipeline is not reproducible."""


@dataclass(frozen=True)
class Output:
    """One output of the train stage and the md5 dvc.lock pins for it."""

    path: str
    md5: str


@dataclass(frozen=True)
class Mismatch:
    """An output whose workspace file is absent (found None) or hashes differently."""

    output: Output
    found: str | None


@dataclass(frozen=True)
class RemoteStatus:
    """Which pinned outputs a DVC remote holds; `error` set when it could not be asked."""

    remote: str
    held: tuple[Output, ...]
    missing: tuple[Output, ...]
    error: str | None = None

    @property
    def state(self) -> str:
        """'held' (all of them), 'missing' (at least one) or 'unknown' (remote not asked)."""
        if self.error is not None:
            return "unknown"
        return "missing" if self.missing else "held"


@dataclass(frozen=True)
class Released:
    """How `release` materialised the outputs, and whether it pushed them to `remote`."""

    remote: str
    source: str  # "workspace", "remote" or "rebuilt"
    outputs: tuple[Output, ...]
    pushed: bool
    rebuilt_because: tuple[Mismatch, ...] = ()


def pinned_outputs(lock: Mapping[str, Any], stage: str = STAGE) -> tuple[Output, ...]:
    """The (path, md5) of every output `stage` has in a parsed dvc.lock."""
    body = (lock.get("stages") or {}).get(stage) if isinstance(lock, Mapping) else None
    outs = body.get("outs") if isinstance(body, Mapping) else None
    if not outs:
        raise LockError(
            f"{LOCK_FILE}: expected stage {stage!r} with outs; found none. Run `dvc repro` "
            f"and commit {LOCK_FILE}."
        )
    found = []
    for entry in outs:
        md5 = entry.get("md5") if isinstance(entry, Mapping) else None
        if not isinstance(md5, str) or not md5:
            raise LockError(f"{LOCK_FILE}: {stage} output {entry!r} has no md5; re-run `dvc repro`")
        found.append(Output(str(entry["path"]), md5))
    return tuple(found)


def read_outputs(root: Path, stage: str = STAGE) -> tuple[Output, ...]:
    """The outputs of `stage` that `root`'s dvc.lock pins."""
    lock = root / LOCK_FILE
    if not lock.is_file():
        raise LockError(f"expected {lock}; found none. Run `dvc repro` and commit {LOCK_FILE}.")
    try:
        parsed = yaml.safe_load(lock.read_text())
    except yaml.YAMLError as err:
        raise LockError(f"{lock} is not YAML: {err}") from err
    return pinned_outputs(parsed or {}, stage)


def file_md5(path: Path) -> str | None:
    """DVC 3's md5 of a file (of its bytes), or None when it does not exist."""
    if not path.is_file():
        return None
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mismatches(root: Path, outputs: tuple[Output, ...]) -> tuple[Mismatch, ...]:
    """The outputs whose file under `root` is absent or differs from the pinned md5."""
    found = ((out, file_md5(root / out.path)) for out in outputs)
    return tuple(Mismatch(out, md5) for out, md5 in found if md5 != out.md5)


def _holds(odb: Any, md5: str) -> bool:
    """True when the remote object store has `md5`; errors other than "not found" propagate."""
    # Not odb.exists: fsspec's isfile answers False for any error, so an unreachable remote or
    # missing credentials would read as "lacks the model" instead of "could not ask".
    try:
        odb.fs.info(odb.oid_to_path(md5))
    except FileNotFoundError:
        return False
    return True


def remote_status(root: Path, remote: str | None, stage: str = STAGE) -> RemoteStatus:
    """Ask `remote` (default: the repo's) which pinned outputs it holds; writes nothing."""
    from dvc.repo import Repo

    outputs = read_outputs(root, stage)
    name = remote or "default"
    try:
        with Repo(str(root)) as repo:
            odb = repo.cloud.get_remote_odb(remote, "status")
            held = {out.md5 for out in outputs if _holds(odb, out.md5)}
    except Exception as err:  # any failure to ask (credentials, network) is an answer: unknown
        return RemoteStatus(name, (), outputs, f"{type(err).__name__}: {err}")
    return RemoteStatus(
        name,
        tuple(o for o in outputs if o.md5 in held),
        tuple(o for o in outputs if o.md5 not in held),
    )


def describe(status: RemoteStatus) -> str:
    """One line for a job summary: does the remote already hold this commit's model?"""
    count = len(status.held) + len(status.missing)
    where = f"DVC remote `{status.remote}`"
    if status.state == "held":
        return f"{where} already holds all {count} `{STAGE}` outputs dvc.lock pins."
    if status.state == "unknown":
        return (
            f"{where} could not be asked whether it holds the `{STAGE}` outputs "
            f"({status.error}); the release rebuilds whatever it lacks."
        )
    paths = ", ".join(f"`{m.path}`" for m in status.missing)
    return (
        f"{where} lacks {len(status.missing)} of {count} `{STAGE}` outputs ({paths}); "
        "after merge the release rebuilds them, checks their md5 against dvc.lock and pushes them."
    )


def _dvc(root: Path, *args: str) -> None:
    """Run `dvc ARGS` in `root`; ReleaseModelError naming the command and its output tail."""
    # Stage commands call `python -m ...`: this interpreter's venv first on PATH; no MLflow run.
    env = venv_env({"MODEL_TRACKING": "0"})
    try:
        run([sys.executable, "-m", "dvc", *args], root, env=env)
    except ProcError as err:
        raise ReleaseModelError(f"rebuilding the {STAGE} outputs failed: {err}") from err


def _targets(root: Path, names: list[str]) -> list[str]:
    """DVC targets for `root` whatever the cwd: DVC's API resolves a relative target against
    the process's cwd, so from another folder (`--repo`, a fleet model's project) `train`
    matched nothing and push and pull moved nothing, without an error."""
    return [str(root / n) if n.endswith(".dvc") else f"{root / 'dvc.yaml'}:{n}" for n in names]


def _pull(root: Path, remote: str | None, targets: list[str]) -> bool:
    """dvc pull `targets` from `remote`; False when it could not fetch them all."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        try:
            repo.pull(targets=_targets(root, targets), remote=remote)
        except DvcException:
            return False  # the remote lacks some of them (or is unreachable): rebuild instead
    return True


def _data(root: Path, remote: str | None) -> None:
    """data/ at data.dvc's pin: from `remote`, else `model data pull` (packaged source)."""
    if _pull(root, remote, [DATA_DVC]):
        return
    from model.pipeline.datapull import DataPullError, pull

    try:
        pull(root)
    except DataPullError as err:
        raise ReleaseModelError(f"cannot rebuild the model without its data: {err}") from err


def _push(root: Path, remote: str | None) -> None:
    """Push the data and the train outputs to `remote` (already-present objects are skipped)."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        repo.push(targets=_targets(root, [DATA_DVC, STAGE]), remote=remote)


def not_reproducible_message(wrong: tuple[Mismatch, ...]) -> str:
    """What a person reads when rebuilt outputs differ from dvc.lock."""
    lines = [
        f"  {m.output.path}: dvc.lock pins {m.output.md5}, rebuilt {m.found or 'nothing'}"
        for m in wrong
    ]
    return (
        f"the rebuilt `{STAGE}` outputs differ from {LOCK_FILE}; the pipeline is not "
        "reproducible at this commit, so nothing was pushed:\n" + "\n".join(lines) + "\n"
        f"Run `model verify-lock` to see every differing stage, then `dvc repro` and commit "
        f"{LOCK_FILE} with the outputs it produced."
    )


def rebuild(root: Path, remote: str | None, outputs: tuple[Output, ...]) -> None:
    """`dvc repro --force train` (validate, prepare, train) and check every md5 against the lock.

    dvc.lock is put back as it was found: the committed pins are the truth, never the rebuild.
    """
    lock = root / LOCK_FILE
    pinned = lock.read_bytes()
    try:
        _data(root, remote)
        _dvc(root, "repro", "--force", STAGE)
    finally:
        lock.write_bytes(pinned)
    wrong = mismatches(root, outputs)
    if wrong:
        raise NotReproducible(not_reproducible_message(wrong))


def release(root: Path, remote: str | None, *, push: bool = True) -> Released:
    """The train outputs dvc.lock pins, in `root`'s workspace and (with `push`) on `remote`."""
    outputs = read_outputs(root)
    name = remote or "default"
    missing = mismatches(root, outputs)
    if not missing:
        source = "workspace"
    elif _pull(root, remote, [STAGE]) and not mismatches(root, outputs):
        return Released(name, "remote", outputs, pushed=False)
    else:
        source = "rebuilt"
        rebuild(root, remote, outputs)
    if push:
        _push(root, remote)
    return Released(name, source, outputs, push, missing if source == "rebuilt" else ())
