"""Read OCI labels from the local Docker engine, when there is one (never pulls)."""

from __future__ import annotations

import json
import shutil

from model.names import LOCAL_TAG
from model.proc import ProcError, run

_DOCKER_CANDIDATES = ("/usr/bin/docker", "docker")


def _answers(cmd: list[str], timeout: float) -> str | None:
    """stdout of `cmd` when it succeeds in time; None otherwise (no engine is an answer here)."""
    try:
        proc = run(cmd, check=False, timeout=timeout)
    except ProcError:  # timed out: an engine that hangs is as good as none
        return None
    return proc.stdout if proc.returncode == 0 else None


def docker() -> str | None:
    """Path of a docker client whose engine answers, else None."""
    for candidate in _DOCKER_CANDIDATES:
        path = shutil.which(candidate)
        if path and _answers([path, "version"], 10) is not None:
            return path
    return None


def inspect(refs: list[str], client: str | None = None) -> dict | None:
    """`docker image inspect` of the first ref that exists locally, else None."""
    client = client or docker()
    if client is None:
        return None
    for ref in refs:
        out = _answers([client, "image", "inspect", ref], 30)
        if out is not None:
            return json.loads(out)[0]
    return None


def labels(image: str, digest: str, client: str | None = None) -> dict[str, str] | None:
    """OCI labels of IMAGE@DIGEST (or of a local image whose ID is DIGEST), None if absent."""
    info = inspect([f"{image}@{digest}", digest], client)
    return None if info is None else dict((info.get("Config") or {}).get("Labels") or {})


def local_id(tag: str = LOCAL_TAG, client: str | None = None) -> str | None:
    """Content-addressed ID (sha256:…) of a local image: stands in for a registry digest."""
    info = inspect([tag], client)
    return None if info is None else str(info["Id"])
