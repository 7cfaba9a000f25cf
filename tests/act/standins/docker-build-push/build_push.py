"""build-push stand-in: see action.yml. Standard library only (runs with the host python3)."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REF = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_.-]{1,128})?$")


def lines(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").splitlines() if x.strip()]


def main() -> int:
    registry = Path(os.environ["ACT_STANDIN_REGISTRY"])
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    context = (workspace / os.environ["INPUT_CONTEXT"]).resolve()
    if workspace.resolve() not in (context, *context.parents):
        print(f"build-push stand-in: context {context} is outside the workspace", file=sys.stderr)
        return 1
    tags, labels, args = lines("INPUT_TAGS"), lines("INPUT_LABELS"), lines("INPUT_BUILD_ARGS")
    bad = [t for t in tags if not REF.match(t)]
    if bad or not tags:
        print(f"build-push stand-in: expected image tags, found {tags}", file=sys.stderr)
        return 1
    target = os.environ.get("INPUT_TARGET", "")
    if os.environ.get("ACT_STANDIN_DOCKER_BUILD") == "1":
        cmd = ["docker", "build", "--network", "host", "-q"]
        cmd += [f"--target={target}"] if target else []
        cmd += [x for t in tags for x in ("-t", t)]
        cmd += [x for label in labels for x in ("--label", label)]
        cmd += [x for a in args for x in ("--build-arg", a)]
        if os.environ.get("INPUT_FILE"):
            cmd += ["-f", str(workspace / os.environ["INPUT_FILE"])]
        digest = subprocess.run(
            [*cmd, str(context)], check=True, capture_output=True, text=True
        ).stdout.strip()
        built = True
    else:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=context, capture_output=True, text=True, check=False
        ).stdout.strip()
        what = json.dumps([head, target, tags, labels, args]).encode()
        digest, built = "sha256:" + hashlib.sha256(what).hexdigest(), False
    record = {
        "tags": tags,
        "digest": digest,
        "built": built,
        "target": target,
        "labels": labels,
        "build_args": args,
        "pushed": os.environ.get("INPUT_PUSH") == "true",
    }
    if record["pushed"]:
        registry.mkdir(parents=True, exist_ok=True)
        with (registry / "pushes.jsonl").open("a") as out:
            out.write(json.dumps(record) + "\n")
    with open(os.environ["GITHUB_OUTPUT"], "a") as out:
        out.write(f"digest={digest}\nimageid={digest}\n")
    print(f"build-push stand-in: {tags} {digest} built={built} pushed={record['pushed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
