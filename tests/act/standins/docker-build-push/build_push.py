"""docker/build-push-action stand-in (see action.yml): push a manifest to the registry stand-in."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

OCI = "application/vnd.oci.image.manifest.v1+json"


def fail(why: str) -> None:
    print(f"::error::build-push stand-in: {why}", file=sys.stderr)
    sys.exit(1)


def lines(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").splitlines() if x.strip()]


def main() -> None:
    context = Path(os.environ.get("INPUT_CONTEXT") or ".")
    dockerfile = Path(os.environ.get("INPUT_FILE") or context / "Dockerfile")
    target, tags = os.environ.get("INPUT_TARGET", ""), lines("INPUT_TAGS")
    if os.environ.get("INPUT_PUSH") != "true" or not tags:
        fail("expected push: true and at least one tag")
    stages = re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text())
    if target and target not in stages:
        fail(f"target stage {target!r} not found in {dockerfile} (stages: {stages})")
    # A single-stage build (no target) copies every COPY source: each must be in the context.
    text = dockerfile.read_text() if not target else ""
    for sources in re.findall(r"(?m)^COPY\s+(?!.*--from)(?:--\S+\s+)*(.+)\s+\S+\s*$", text):
        missing = [s for s in sources.split() if not (context / s).exists()]
        if missing:
            fail(f"COPY sources not in the context {context}: {missing}")
    recorded = describe(context)
    labels = dict(x.split("=", 1) for x in lines("INPUT_LABELS"))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": labels},
            "stand_in": {
                **recorded,
                "target": target,
                "build_args": lines("INPUT_BUILD_ARGS"),
            },
        },
        sort_keys=True,
    ).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI,
            "layers": [],
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": len(config),
                # Embedded (OCI 1.1 `data`): blobs are not modelled, so a test reads it here.
                "data": base64.b64encode(config).decode(),
            },
        },
        sort_keys=True,
    ).encode()
    digests = {push(tag, manifest) for tag in tags}
    if len(digests) != 1:
        fail(f"the registry answered different digests for one manifest: {digests}")
    (digest,) = digests
    with open(os.environ["GITHUB_OUTPUT"], "a") as out:
        out.write(f"digest={digest}\nimageid={config_digest}\n")
    print(f"build-push stand-in: pushed {', '.join(tags)} -> {digest}")


def describe(context: Path) -> dict[str, object]:
    """The repository's tree when the context is its work tree (the runtime and trainer builds),
    else every file of the context with its sha256 (a generated context, e.g. a fleet image's)."""
    top = subprocess.run(
        ["git", "-C", str(context), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if top and Path(top).resolve() == context.resolve():
        tree = subprocess.run(
            ["git", "-C", str(context), "rev-parse", "HEAD^{tree}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return {"context_tree": tree}
    files = sorted(p for p in context.rglob("*") if p.is_file())
    return {
        "context_files": {
            str(p.relative_to(context)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
        }
    }


def push(tag: str, manifest: bytes) -> str:
    ref, _, version = tag.rpartition(":")
    host, _, name = ref.partition("/")
    auth_file = Path(os.environ["ACT_STANDIN_REGISTRY"]) / "auth" / host
    if not auth_file.is_file():
        fail(f"not logged in to {host} (docker/login-action first)")
    request = urllib.request.Request(
        f"{os.environ['ACT_STANDIN_REGISTRY_URL']}/v2/{name}/manifests/{version}",
        data=manifest,
        method="PUT",
        headers={"Content-Type": OCI, "Authorization": "Basic " + auth_file.read_text()},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.headers["Docker-Content-Digest"]
    except urllib.error.HTTPError as err:
        fail(f"{host} refused the push of {tag}: HTTP {err.code}")
    raise AssertionError("unreachable")


if __name__ == "__main__":
    main()
