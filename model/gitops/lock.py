"""One promoter at a time per work tree: an advisory lock file in the git directory."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from model.gitops.land import LandError
from model.proc import git

LOCK_NAME = "model-promote.lock"
WAIT_S = 300.0  # longer than a promotion with every push retry; a dead holder frees it at once
POLL_S = 0.05


class LockError(LandError):
    """Another promotion kept this work tree for too long."""


def lock_path(root: Path) -> Path:
    """Where the lock lives: inside .git (per work tree), never in the tracked tree."""
    path = Path(git(root, "rev-parse", "--git-path", LOCK_NAME).strip())
    return path if path.is_absolute() else root / path


@contextlib.contextmanager
def held(root: Path, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the work tree's promotion lock; wait up to `wait_s` for another holder.

    flock, not a create-exclusive file: the kernel frees it when its holder dies, so a crashed
    promotion never leaves a stale lock behind.
    """
    fd = os.open(lock_path(root), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(
                        f"another `model promote` or `model rollback` has held this work tree "
                        f"for {wait_s:.0f} s ({lock_path(root)}); let it finish, then retry"
                    ) from None
                time.sleep(POLL_S)
        yield
    finally:
        os.close(fd)  # closing releases the lock
