"""Which models a commit re-pinned: whose MLflow aliases a merged promotion moves.

promote.yaml's `sync-alias` job runs on the push that merges a prod promotion PR. It must learn
the model from something Git holds, never from the PR's title or branch: the paths the merged
commit changed are read here, and only names the fleet accepts come out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from model.fleet.layout import DEFAULT_MODEL, NAME, FleetError
from model.fleet.release import DEPLOY_ROOT
from model.gitops import ENVIRONMENTS, OVERLAY_ROOT


def models_in(paths: Iterable[str]) -> list[str]:
    """The models whose pins `paths` touch, each once in first-seen order: credit-scoring for
    k8s/overlays/<env>/…, NAME for deploy/<env>/NAME.yaml; every other path names none."""
    found: dict[str, None] = {}
    for path in paths:
        parts = path.split("/")
        if "/".join(parts[:2]) == OVERLAY_ROOT and len(parts) > 3 and parts[2] in ENVIRONMENTS:
            found[DEFAULT_MODEL] = None
        elif len(parts) == 3 and parts[0] == DEPLOY_ROOT and parts[1] in ENVIRONMENTS:
            stem, dot, ext = parts[2].rpartition(".")
            if dot and ext == "yaml" and NAME.fullmatch(stem):
                found[stem] = None
    return list(found)


def changed_paths(root: Path, rev: str) -> list[str]:
    """Paths commit `rev` added or modified against its first parent (a merged PR's change)."""
    from model.proc import ProcError, git

    if not rev or rev.startswith("-"):
        raise FleetError(f"--changed-in: expected a commit; found {rev!r}")
    try:
        line = git(root, "rev-list", "--parents", "-n", "1", f"{rev}^{{commit}}", "--").split()
    except ProcError as err:
        raise FleetError(f"--changed-in: {rev!r} is not a commit in this repository") from err
    if len(line) == 1:  # the first commit: everything in it is new
        out = git(root, "ls-tree", "-r", "-z", "--name-only", line[0])
    else:
        args = ("diff", "--name-only", "--no-renames", "--diff-filter=d", "-z")
        out = git(root, *args, line[1], line[0], "--")
    return [p for p in out.split("\0") if p]


def repinned(root: Path, rev: str) -> list[str]:
    """The models whose pins commit `rev` changed (deleted release files re-pin nothing)."""
    return models_in(changed_paths(root, rev))
