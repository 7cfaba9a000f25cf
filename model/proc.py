"""Subprocess helpers: git (every call explicit, errors say what failed)."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """A git command exited non-zero."""


def git(cwd: Path, *args: str, check: bool = True, stdin: str | None = None) -> str:
    """Run `git ARGS` in `cwd` and return stdout; raise GitError with stderr on failure."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def attempt(cwd: Path, *args: str) -> tuple[bool, str]:
    """Run `git ARGS` and return (succeeded, stderr): for commands whose refusal is an answer."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return proc.returncode == 0, proc.stderr


def ok(cwd: Path, *args: str) -> bool:
    """True when `git ARGS` exits 0 (output discarded)."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False).returncode == 0


def toplevel(cwd: Path) -> Path:
    """The work tree root containing `cwd`."""
    return Path(git(cwd, "rev-parse", "--show-toplevel").strip())


def head(cwd: Path) -> str:
    """Full sha of HEAD."""
    return git(cwd, "rev-parse", "HEAD").strip()


def current_branch(cwd: Path) -> str:
    """The checked-out branch name ('HEAD' when detached)."""
    return git(cwd, "rev-parse", "--abbrev-ref", "HEAD").strip()


def dirty_files(cwd: Path) -> list[str]:
    """Tracked files with uncommitted changes (staged or not)."""
    out = git(cwd, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in out.splitlines() if line.strip()]


def show(cwd: Path, rev: str, path: str) -> str | None:
    """File content at `rev`, or None when it does not exist there."""
    proc = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=cwd, capture_output=True, text=True, check=False
    )
    return proc.stdout if proc.returncode == 0 else None


def user(cwd: Path) -> str:
    """'Name <email>' of the configured committer, for the Promoted-By trailer."""
    # `git var` honours GIT_AUTHOR_* variables as well as config, exactly like a commit does.
    ident = git(cwd, "var", "GIT_AUTHOR_IDENT", check=False).strip()
    return ident.rsplit(" ", 2)[0] if ident else "unknown"
