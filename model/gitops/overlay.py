"""Read and write an overlay with ruamel.yaml round-trip, keeping comments and key order."""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.config import UsageError
from model.gitops import ANNOTATION_PREFIX, ENVIRONMENTS, KUSTOMIZATION, OVERLAY_ROOT, RELEASE_FILE
from model.gitops.trailers import Release
from model.names import IMAGE_NAME

IMAGE_REF = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"@(?P<digest>sha256:[0-9a-f]{64})$"
)
# Annotation (suffix after the prefix) for each Release field kept on the Deployment.
ANNOTATED = {
    "model-version": "model_version",
    "model-sha256": "model_sha256",
    "data-md5": "data_md5",
    "mlflow-run": "mlflow_run",
    "metrics": "metrics",
    "source-commit": "source_commit",
}
SHA_ENV = "MODEL_SHA256"


class OverlayError(UsageError, ValueError):
    """The overlay or an input to it is not what promotion expects."""


@dataclass(frozen=True)
class OverlayState:
    """What an overlay currently pins."""

    image: str
    digest: str
    model_sha256: str
    annotations: dict[str, str]
    selfcheck_sha256: str = ""  # the PreSync self-check Job's pin: it must match the Deployment's


def parse_image_ref(ref: str) -> tuple[str, str]:
    """Split REF@sha256:<64 hex> into (name, digest); raise OverlayError with a fix otherwise."""
    match = IMAGE_REF.match(ref.strip())
    if not match:
        raise OverlayError(
            f"image {ref!r} is not REF@sha256:<64 lowercase hex> "
            "(e.g. ghcr.io/org/credit-scoring@sha256:…, no tag). Pass the digest the build printed."
        )
    return match["name"], match["digest"]


def check_env(env: str) -> str:
    """Return env if it is a known environment, else raise with the valid names."""
    if env not in ENVIRONMENTS:
        raise OverlayError(
            f"unknown environment {env!r}; expected one of {', '.join(ENVIRONMENTS)}"
        )
    return env


def overlay_dir(root: Path, env: str) -> Path:
    """k8s/overlays/ENV under the work tree root."""
    return root / OVERLAY_ROOT / check_env(env)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long values such as the metrics line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _load_all(path: Path) -> list[Any]:
    return list(_yaml().load_all(path.read_text()))


def _dump_all(path: Path, docs: list[Any]) -> None:
    """Write atomically (temp file + os.replace): a reader never sees half an overlay."""
    buf = io.StringIO()
    _yaml().dump_all(docs, buf)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(buf.getvalue())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _image_entry(kustomization: Any) -> Any:
    for entry in kustomization.get("images") or []:
        if entry.get("name") == IMAGE_NAME:
            return entry
    raise OverlayError(f"no images: entry named {IMAGE_NAME!r} in the overlay's {KUSTOMIZATION}")


def _containers_env(doc: Any) -> list[Any]:
    if doc is None:
        return []
    containers = doc["spec"]["template"]["spec"]["containers"]
    return [c.setdefault("env", []) for c in containers]


def read(root: Path, env: str) -> OverlayState:
    """The image, digest, model sha256 and annotations the overlay pins now."""
    folder = overlay_dir(root, env)
    entry = _image_entry(_load_all(folder / KUSTOMIZATION)[0])
    docs = _load_all(folder / RELEASE_FILE)
    deployment = next(d for d in docs if d.get("kind") == "Deployment")
    notes = dict(deployment["metadata"].get("annotations") or {})
    shas = {str(v["value"]) for e in _containers_env(deployment) for v in e if v["name"] == SHA_ENV}
    job = next((d for d in docs if d.get("kind") == "Job"), None)
    job_shas = {str(v["value"]) for e in _containers_env(job) for v in e if v["name"] == SHA_ENV}
    return OverlayState(
        image=str(entry.get("newName", IMAGE_NAME)),
        digest=str(entry.get("digest", "")),
        model_sha256=shas.pop() if len(shas) == 1 else "",
        annotations={str(k).removeprefix(ANNOTATION_PREFIX): str(v) for k, v in notes.items()},
        selfcheck_sha256=job_shas.pop() if len(job_shas) == 1 else "",
    )


def write(root: Path, env: str, release: Release) -> list[Path]:
    """Pin `release` in the overlay (digest, model sha256, annotations); return files written."""
    folder = overlay_dir(root, env)
    kpath, rpath = folder / KUSTOMIZATION, folder / RELEASE_FILE
    kdocs = _load_all(kpath)
    entry = _image_entry(kdocs[0])
    entry["newName"] = release.image
    entry["digest"] = release.image_digest
    _dump_all(kpath, kdocs)

    docs = _load_all(rpath)
    values = release.as_dict()
    for doc in docs:
        if doc.get("kind") == "Deployment":
            notes = doc["metadata"].setdefault("annotations", {})
            for suffix, field in ANNOTATED.items():
                notes[ANNOTATION_PREFIX + suffix] = values[field] or "none"
        for env_list in _containers_env(doc):
            _set_env(env_list, SHA_ENV, release.model_sha256)
    _dump_all(rpath, docs)
    return [kpath, rpath]


def _set_env(env_list: list[Any], name: str, value: str) -> None:
    for item in env_list:
        if item.get("name") == name:
            item["value"] = value
            return
    env_list.append({"name": name, "value": value})
