"""What the fleet ApplicationSet generates, computed here from the same files and template.

Argo CD expands argocd/projects/fleet-applicationset.yaml as a matrix: each element of its
list generator (an environment) times each file its git files generator matches for that
element (deploy/<env>/*.yaml). The template is Go text/template with `missingkey=error`; it
may only use plain field access ({{.a.b}}), which this module evaluates exactly, so anything
else in the template is an error here rather than a silent difference from Argo CD.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from model.fleet.layout import FleetError

APPSET = Path("argocd/projects/fleet-applicationset.yaml")
ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# libyaml's safe loader when PyYAML has it: the pure-Python one dominated rendering 2,000 files
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FIELD = re.compile(r"\s*\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*")


def _lookup(params: dict[str, Any], dotted: str) -> Any:
    value: Any = params
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise FleetError(f"template field .{dotted}: no such key (missingkey=error)")
        value = value[key]
    return value


def render_text(text: str, params: dict[str, Any]) -> str:
    """Evaluate every {{.field}} action in `text`; FleetError on any other action."""

    def one(match: re.Match[str]) -> str:
        field = FIELD.fullmatch(match[1])
        if field is None:
            raise FleetError(f"template action {match[0]!r}: only {{{{.field}}}} is supported")
        value = _lookup(params, field[1])
        if isinstance(value, dict | list):
            raise FleetError(f"template field .{field[1]}: a map or list, not a scalar")
        return str(value)

    return ACTION.sub(one, text)


def render(node: Any, params: dict[str, Any]) -> Any:
    """The template with every string (keys included) rendered."""
    if isinstance(node, dict):
        return {render_text(k, params): render(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [render(v, params) for v in node]
    return render_text(node, params) if isinstance(node, str) else node


def file_params(root: Path, file: Path) -> dict[str, Any]:
    """The git files generator's parameters for one file (goTemplate mode): its YAML + path."""
    rel = file.relative_to(root)
    data = yaml.load(file.read_text(), Loader=SAFE_LOADER)  # a safe loader either way
    if not isinstance(data, dict):
        raise FleetError(f"{rel}: a release file must be a mapping")
    folder = rel.parent.as_posix()
    return {
        **data,
        "path": {
            "path": folder, "basename": rel.parent.name, "filename": rel.name,
            "basenameNormalized": rel.parent.name.replace("_", "-").replace(".", "-"),
            "filenameNormalized": rel.name.replace("_", "-").replace(".", "-"),
            "segments": list(rel.parent.parts),
        },
    }  # fmt: skip


def applications(root: Path, appset: Path = APPSET) -> list[dict[str, Any]]:
    """Every Application the fleet ApplicationSet generates from the release files at `root`."""
    spec = yaml.safe_load((root / appset).read_text())["spec"]
    (matrix,) = spec["generators"]
    envs, git = matrix["matrix"]["generators"]
    apps = []
    for element in envs["list"]["elements"]:
        for pattern in git["git"]["files"]:
            glob = render_text(pattern["path"], element)
            for file in sorted(root.glob(glob)):
                params = {**element, **file_params(root, file)}
                app = render(spec["template"], params)
                apps.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app})
    return apps
