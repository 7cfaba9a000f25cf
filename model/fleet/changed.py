"""`model fleet changed`: which models a change touches, for a CI matrix.

A file under fleet/<name>/ touches that model; the default model's own files touch it; shared
code and configuration touch every model, and the answer says which file made it so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from model.fleet.layout import DEFAULT_MODEL, FLEET_ROOT, FleetError, names

# Shared by every model: the package, the pipeline declaration (each folder's dvc.yaml is
# rendered from it), and the locked environment.
SHARED_PREFIXES = ("model/",)
SHARED_FILES = frozenset({"dvc.yaml", "uv.lock", "pyproject.toml"})
# The default model's own files (it lives at the repository root). The root params.yaml is
# only the template `model new` copies once: each folder's stages read their own params.yaml.
DEFAULT_FILES = frozenset({"data.dvc", "dvc.lock", "params.yaml", ".github/promotion-gate.yaml"})
SHOWN = 3  # shared files named in the reason before "+N more"


@dataclass(frozen=True)
class Changed:
    """The models to run, whether that is all of them, and why."""

    models: list[str]
    all: bool
    reason: str
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The CI matrix input: {"models": [...], "all": bool, "reason": str}."""
        return {"models": self.models, "all": self.all, "reason": self.reason}

    def outputs(self) -> dict[str, str]:
        """pr.yaml's job outputs: the fleet models' JSON list (the matrix) and whether the
        root model changed (its own `review` job), as KEY=VALUE lines for $GITHUB_OUTPUT."""
        fleet = [m for m in self.models if m != DEFAULT_MODEL]
        return {
            "fleet": json.dumps(fleet, separators=(",", ":")),
            "root": "true" if DEFAULT_MODEL in self.models else "false",
        }


def shared(path: str) -> bool:
    """Whether a changed path touches every model."""
    return path in SHARED_FILES or path.startswith(SHARED_PREFIXES)


def classify(files: list[str], models: list[str]) -> Changed:
    """The models `files` touch, given the models that exist."""
    common = [f for f in files if shared(f)]
    if common:
        more = f" (+{len(common) - SHOWN} more)" if len(common) > SHOWN else ""
        return Changed(
            models, True, f"shared files changed: {', '.join(common[:SHOWN])}{more}", files
        )
    known, touched = set(models), set()
    for path in files:
        parts = path.split("/")
        if parts[0] == FLEET_ROOT and len(parts) > 2 and parts[1] in known:
            touched.add(parts[1])
        elif path in DEFAULT_FILES and DEFAULT_MODEL in known:
            touched.add(DEFAULT_MODEL)
    chosen = [m for m in models if m in touched]
    reason = f"model folders changed: {', '.join(chosen)}" if chosen else "no model changed"
    return Changed(chosen, False, reason, files)


def changed_files(root: Path, base: str) -> list[str]:
    """Paths changed between the merge base of `base` and HEAD (committed changes)."""
    from model.proc import ProcError, git

    if not base or base.startswith("-"):
        raise FleetError(f"--base: expected a git revision; found {base!r}")
    try:
        merge_base = git(root, "merge-base", "--", base, "HEAD").strip()
    except ProcError as err:
        raise FleetError(f"--base {base!r}: not a revision with history shared with HEAD") from err
    out = git(root, "diff", "--name-only", "--no-renames", "-z", merge_base, "HEAD", "--")
    return [p for p in out.split("\0") if p]


def changed(root: Path, base: str) -> Changed:
    """The models touched since `base` (see the module docstring)."""
    return classify(changed_files(root, base), names(root))
