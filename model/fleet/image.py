"""A fleet model's release image: the one serving runtime by digest, plus one model layer.

Every model runs the same runtime (the serving image `make image` builds), so a release of
model N only adds a layer holding N's artifacts (Dockerfile.model). The runtime is resolved
to its digest first and the image is built FROM that digest, so a runtime retagged meanwhile
cannot slip in. The build context holds only the four files the layer copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from model.fleet.layout import FleetError, check_name, folder
from model.gitops import images
from model.gitops.trailers import DIGEST, IMAGE_NAME
from model.names import PIN_FILE
from model.proc import run

DOCKERFILE = "Dockerfile.model"
REPOSITORY = "fleet"  # local images are fleet/<name>:<version>; CI pushes REGISTRY/fleet/<name>
ARTIFACTS = ("model.onnx", "model.json", PIN_FILE)
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
RUNTIME_REF = re.compile(rf"({IMAGE_NAME})(?::({_TAG}))?(?:@({DIGEST}))?")
TAG = re.compile(_TAG)


@dataclass(frozen=True)
class ModelImage:
    """What one build produced."""

    model: str
    tag: str
    image_id: str  # sha256:… of the built image: its digest until a registry gives one
    runtime: str  # the runtime it was built FROM, by digest
    model_sha256: str
    version: str


def check_runtime(ref: str) -> str:
    """`ref` when it is an image reference (name[:tag][@sha256:…]); FleetError otherwise."""
    if not isinstance(ref, str) or not RUNTIME_REF.fullmatch(ref):
        raise FleetError(f"runtime image: expected NAME[:TAG][@sha256:<64 hex>]; found {ref!r}")
    return ref


def runtime_digest(ref: str, client: str) -> str:
    """The runtime's digest: the one in `ref`, else the local image's ID (never pulls)."""
    match = RUNTIME_REF.fullmatch(check_runtime(ref))
    assert match is not None
    info = images.inspect([ref], client)
    if info is None:
        raise FleetError(f"runtime image {ref} is not in the local engine: build it (make image)")
    return match.group(3) or str(info["Id"])


def model_pin(model_dir: Path) -> str:
    """The trained model's digest (models/model.sha256), checked against the files themselves."""
    from model.core.artifact import bundle_sha256, read_bundle

    try:
        pin = (model_dir / PIN_FILE).read_text().strip()
        actual = bundle_sha256(read_bundle(model_dir))
    except (OSError, ValueError) as err:
        raise FleetError(f"{model_dir}: no trained model ({err}); run `dvc repro` there") from err
    if pin != actual:
        raise FleetError(
            f"{model_dir}: {PIN_FILE} says {pin[:80]!r} but model.json + model.onnx hash to "
            f"{actual}: run `dvc repro` (or `dvc checkout`) there"
        )
    return pin


def write_context(root: Path, name: str, dest: Path, version: str, commit: str) -> str:
    """Copy the model's artifacts and its build-info.json into `dest`; return its pin.

    Exactly the four files Dockerfile.model copies: the Dockerfile itself stays outside the
    context (`-f`), so nothing else of the repository is sent to the builder.
    """
    from model.serving import buildinfo

    where = root / folder(check_name(name))
    pin = model_pin(where / "models")
    for file in ARTIFACTS:
        shutil.copyfile(where / "models" / file, dest / file)
    info = buildinfo.collect(where, where / "reports" / "metrics.json", version, commit)
    (dest / buildinfo.FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return pin


@dataclass(frozen=True)
class Context:
    """A written build context and the build args Dockerfile.model takes (their one home)."""

    model: str
    version: str  # the image tag
    pin: str
    args: dict[str, str]


def prepare(
    root: Path, name: str, dest: Path, runtime: str, runtime_digest: str, version: str, commit: str
) -> Context:
    """Write `dest` (write_context) and return the build args for FROM `runtime`."""
    from model.serving.buildinfo import data_md5

    check_runtime(runtime)
    pin = write_context(root, name, dest, version, commit)
    version = version or pin[:12]
    if not TAG.fullmatch(version):
        raise FleetError(f"version {version!r}: expected an image tag ({TAG.pattern})")
    args = {
        "RUNTIME": runtime,
        "RUNTIME_DIGEST": runtime_digest,
        "MODEL_NAME": name,
        "MODEL_VERSION": version,
        "MODEL_SHA256": pin,
        "DATA_MD5": data_md5(root / folder(name)) or "",
        "REVISION": commit,
    }
    return Context(name, version, pin, args)


def pinned_digest(ref: str) -> str:
    """The sha256:… of REF@DIGEST; FleetError for a reference without one (a tag can move)."""
    match = RUNTIME_REF.fullmatch(check_runtime(ref))
    assert match is not None
    if not match.group(3):
        raise FleetError(f"runtime image {ref}: expected a reference by digest (…@sha256:…)")
    return match.group(3)


def build(
    root: Path, name: str, runtime: str, *, version: str = "", client: str | None = None
) -> ModelImage:
    """Build fleet/<name>:<version> FROM the runtime's digest; return what was built."""
    from model.proc import head_or_none

    client = client or images.docker()
    if client is None:
        raise FleetError("no Docker engine answers: a fleet model image needs one")
    base = runtime_digest(runtime, client)
    base_ref = runtime if "@" in runtime else base  # a local ID is a valid FROM with BuildKit off
    commit = head_or_none(root) or ""
    with tempfile.TemporaryDirectory(prefix="fleet-image-") as tmp:
        ctx = prepare(root, name, Path(tmp), base_ref, base, version, commit)
        tag = f"{REPOSITORY}/{name}:{ctx.version}"
        cmd = [client, "build", "--network", "host", "-f", str(root / DOCKERFILE), "-t", tag]
        for key, value in ctx.args.items():
            cmd += ["--build-arg", f"{key}={value}"]
        run([*cmd, "."], Path(tmp), env={**os.environ, "DOCKER_BUILDKIT": "0"}, timeout=600)
    info = images.inspect([tag], client)
    assert info is not None, f"docker built {tag} but cannot inspect it"
    return ModelImage(name, tag, str(info["Id"]), base, ctx.pin, ctx.version)
