"""Fleet releases as one small file per model and environment: deploy/<env>/<model>.yaml.

Each file is what one Argo CD Application needs (argocd/projects/fleet-applicationset.yaml
reads it with a git files generator): the model's image by digest, the model's sha256 and
version, and the pod's resources. Promotions of different models touch different files, so
they never conflict. Every value is checked before it is written: a release file is rendered
into Kubernetes objects by Go templates, so nothing in it may be free text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from model.fleet.layout import FleetError, check_name, folder
from model.gitops import ENVIRONMENTS
from model.gitops.overlay import OverlayState
from model.gitops.trailers import MODEL_VERSION

DEPLOY_ROOT = "deploy"
IMAGE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
SHA256 = re.compile(r"[0-9a-f]{64}")
VERSION = re.compile(MODEL_VERSION)  # the Model-Version trailer's shape: the two must agree
QUANTITY = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:m|Ki|Mi|Gi)?")
DEFAULT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
HEADER = "# One fleet release (model/fleet/release.py); read by the fleet ApplicationSet.\n"


@dataclass(frozen=True)
class FleetRelease:
    """What one model runs in one environment."""

    model: str
    env: str
    image: str  # repository of the thin per-model image, without tag or digest
    digest: str
    model_sha256: str
    model_version: str
    resources: dict[str, dict[str, str]] = field(default_factory=lambda: DEFAULT_RESOURCES)


def _check(value: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise FleetError(f"release {what}: expected {pattern.pattern}; found {value!r}")
    return value


def check(release: FleetRelease) -> FleetRelease:
    """The release when every field is well-formed; FleetError naming the first bad one."""
    check_name(release.model)
    if release.env not in ENVIRONMENTS:
        raise FleetError(f"release env: expected one of {ENVIRONMENTS}; found {release.env!r}")
    _check(release.image, IMAGE, "image")
    _check(release.digest, DIGEST, "digest")
    _check(release.model_sha256, SHA256, "model_sha256")
    _check(release.model_version, VERSION, "model_version")
    res = release.resources
    if not isinstance(res, dict) or set(res) != {"requests", "limits"}:
        raise FleetError("release resources: expected requests and limits")
    for kind, values in res.items():
        if not isinstance(values, dict) or set(values) != {"cpu", "memory"}:
            raise FleetError(f"release resources.{kind}: expected cpu and memory")
        for key, value in values.items():
            _check(value, QUANTITY, f"resources.{kind}.{key}")
    return release


def path(root: Path, env: str, model: str) -> Path:
    """deploy/<env>/<model>.yaml under `root`."""
    if env not in ENVIRONMENTS:
        raise FleetError(f"env: expected one of {ENVIRONMENTS}; found {env!r}")
    return root / DEPLOY_ROOT / env / f"{check_name(model)}.yaml"


def write(root: Path, release: FleetRelease) -> Path:
    """Write the release file (checked first); return its path."""
    target = path(root, release.env, check(release).model)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(asdict(release), sort_keys=False, default_flow_style=False)
    target.write_text(HEADER + body)
    return target


def read(file: Path) -> FleetRelease:
    """Read and check one release file; its name and folder must match its contents."""
    try:
        data = yaml.safe_load(file.read_text())
        release = check(FleetRelease(**data))
    except (OSError, yaml.YAMLError, TypeError) as err:
        raise FleetError(f"{file}: not a release file ({err})") from err
    if (file.parent.name, file.stem) != (release.env, release.model):
        raise FleetError(f"{file}: holds {release.model} for {release.env}; the path disagrees")
    return release


def releases(root: Path) -> list[FleetRelease]:
    """Every release file under deploy/, sorted by environment then model."""
    found = []
    for env in ENVIRONMENTS:
        found.extend(read(p) for p in sorted((root / DEPLOY_ROOT / env).glob("*.yaml")))
    return found


def trained_sha256(root: Path, name: str) -> str | None:
    """The digest in fleet/<name>/models/model.sha256 (what `dvc repro` wrote), None if absent."""
    from model.names import PIN_FILE

    pin = root / folder(name) / "models" / PIN_FILE
    try:
        value = pin.read_text().strip()
    except OSError:
        return None
    return _check(value, SHA256, f"{pin} (the trained model's digest)")


def from_folder(root: Path, name: str, env: str, image_ref: str, version: str) -> Path:
    """Release the model trained in fleet/<name>/ (its models/model.sha256) as `image_ref`."""
    image, _, digest = image_ref.partition("@")
    model_sha256 = trained_sha256(root, name)
    if model_sha256 is None:
        raise FleetError(f"{folder(name)}: no trained model; run `dvc repro` in {folder(name)}")
    return write(root, FleetRelease(name, env, image, digest, model_sha256, version))


def desired(root: Path, env: str, model: str) -> OverlayState:
    """What deploy/<env>/<model>.yaml pins, in the shape `model status` compares with."""
    where = path(root, env, model)
    if not where.is_file():
        raise FleetError(
            f"{where.relative_to(root)} not found: {model} has no release in {env}; promote it "
            f"first (`model promote {env} --model {model} --image REF@DIGEST`)"
        )
    release = read(where)
    return OverlayState(
        image=release.image, digest=release.digest, model_sha256=release.model_sha256,
        annotations={"model": release.model, "model-version": release.model_version},
    )  # fmt: skip
