"""The trainer image builds under the local engine and runs the WorkflowTemplate's steps.

Like a restricted pod: uid 10001, read-only root filesystem, /tmp as tmpfs, no capabilities,
`--network host` (the only network here). The origin is a bare repository and the DVC
remote a directory, both handed to the container as volumes under /work.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
import yaml

from model import config
from model.core.dataset import packaged_bytes, to_csv_bytes
from model.training.spec import UID
from tests.conftest import ROOT, run
from tests.tools import docker_engine

if TYPE_CHECKING:
    from filelock import BaseFileLock

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

TAG = "credit-scoring-trainer:test"
TEMPLATE = ROOT / "k8s" / "workflows" / "credit-scoring-retrain-workflowtemplate.yaml"
BASE_IMAGE = os.environ.get("IMAGE_BASE", "local/python:3.11-bookworm")
# scripts/base-image.sh exits 77 when debootstrap can run neither as root nor via `sudo -n`.
BASE_IMAGE_CANNOT_RUN_HERE = 77


def docker_bin() -> str:
    """Debian's client (matched to its daemon), else whatever `docker` is on PATH."""
    return docker_engine()


@pytest.fixture(scope="module")
def trainer_image(trained_workspace: Path, base_image_lock: BaseFileLock) -> str:
    """Build the Dockerfile's `trainer` target; the context is a clone with its outputs."""
    docker = docker_bin()
    with base_image_lock:  # another xdist worker may be building it right now
        missing = subprocess.run([docker, "image", "inspect", BASE_IMAGE], capture_output=True)
        if missing.returncode:
            built = run(["bash", "scripts/base-image.sh"], ROOT, env={"BASE_IMAGE": BASE_IMAGE},
                        check=False, timeout=1800)  # fmt: skip
            if built.returncode == BASE_IMAGE_CANNOT_RUN_HERE:  # no root and no `sudo -n`
                pytest.skip(built.stderr.strip().splitlines()[-1])
            assert built.returncode == 0, f"scripts/base-image.sh failed:\n{built.stderr[-3000:]}"
    run(
        [
            docker,
            "build",
            "--network",
            "host",
            "--target",
            "trainer",
            "--build-arg",
            f"BASE_IMAGE={BASE_IMAGE}",
            "-t",
            TAG,
            str(trained_workspace),
        ],
        ROOT,
        env={"DOCKER_BUILDKIT": "1"},
        timeout=1800,
    )
    return TAG


def chown_tree(path: Path, uid: int) -> None:
    """chown -R: to the image's uid before (as fsGroup would), back to ours after."""
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the volumes to the trainer's uid")
    for dirpath, _, files in os.walk(path):
        os.chown(dirpath, uid, uid)
        for name in files:
            os.chown(Path(dirpath) / name, uid, uid, follow_symlinks=False)


def manifest_steps() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(step, container) in the order the committed WorkflowTemplate runs them."""
    doc = yaml.safe_load(TEMPLATE.read_text())
    templates = {t["name"]: t for t in doc["spec"]["templates"]}
    return [(g[0], templates[g[0]["template"]]["container"]) for g in templates["main"]["steps"]]


def docker_args(container: dict[str, Any], params: dict[str, str], mlflow: str) -> list[str]:
    """`docker run` flags mirroring the pod: user, read-only root, no caps, /tmp, env, args."""
    ctx = container["securityContext"]
    assert ctx["readOnlyRootFilesystem"] and ctx["capabilities"]["drop"] == ["ALL"]
    flags = [
        "--user",
        f"{ctx['runAsUser']}:{ctx['runAsGroup']}",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,exec",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-w",
        container["workingDir"],
    ]
    for var in container["env"]:
        if var["name"] == config.MODEL_DVC_REMOTE:
            continue  # the cluster's s3 remote; here the repo's default directory remote
        if "value" in var:
            flags += ["-e", f"{var['name']}={var['value']}"]
        elif var["name"] == config.MLFLOW_TRACKING_URI:  # a Secret in the cluster
            flags += ["-e", f"{var['name']}={mlflow}"]
    flags += ["-e", "GITHUB_ACTIONS=false"]
    args = container["args"]
    for key, value in params.items():
        args = [a.replace(f"{{{{workflow.parameters.{key}}}}}", value) for a in args]
    return [*flags, TAG, *args]


def should_run(step: dict[str, Any], codes: dict[str, int]) -> bool:
    """Evaluate the only `when` form the template uses: `{{steps.X.exitCode}} == N`."""
    if "when" not in step:
        return True
    left, right = step["when"].split("==")
    name = left.strip().removeprefix("{{steps.").removesuffix(".exitCode}}")
    return codes.get(name) == int(right)


def test_workflow_steps_run_inside_the_trainer_image(
    trainer_image: str, origin: Path, dvc_remote: Path, mlflow_server: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run(["git", "clone", "-q", "--bare", str(origin), str(work / "origin.git")], tmp_path)
    # The repo's default DVC remote is ../../credit-scoring-dvc-remote from .dvc/, i.e. a
    # directory beside the clone: /work/credit-scoring-dvc-remote for a clone at /work/repo.
    shutil.copytree(dvc_remote, work / "credit-scoring-dvc-remote")
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    (work / "snapshot.csv").write_bytes(to_csv_bytes(raw.iloc[200:]))  # the new export
    served = raw.sample(1500, random_state=0)
    served["Income"] = served["Income"] * 2  # traffic that has drifted
    (work / "current.csv").write_bytes(to_csv_bytes(served))
    chown_tree(work, UID)

    params = {
        "repo-url": "/work/origin.git",
        "revision": "main",
        "snapshot": "/work/snapshot.csv",
        "current": "/work/current.csv",
    }
    codes: dict[str, int] = {}
    for step, container in manifest_steps():
        if not should_run(step, codes):
            continue
        cmd = [
            docker_bin(),
            "run",
            "--rm",
            "--network",
            "host",
            "-v",
            f"{work}:/work",
            *docker_args(container, params, mlflow_server),
        ]
        proc = run(cmd, work, check=False, timeout=900)
        codes[step["name"]] = proc.returncode
        assert proc.returncode in (0, 1), f"{step['name']}: {proc.stderr[-3000:]}"
    assert list(codes) == ["checkout", "drift-check", "retrain", "push", "report"]
    assert codes["checkout"] == 0 and codes["drift-check"] == 1  # drift found: retrain ran
    assert codes["report"] == codes["retrain"]  # 1 only when the model report's gate said no

    chown_tree(work, os.geteuid())  # git refuses to read a repository another user owns
    drift = json.loads((work / "drift" / "drift.json").read_text())
    assert "Income" in drift["drifted_columns"]
    # checkout pulled the served ONNX model, so both sides were scored and compared too
    assert "score" in [c["name"] for c in drift["columns"]]
    summary = json.loads((work / "retrain.json").read_text())
    assert summary["status"] == "proposed" and summary["pushed"] is True
    branch = summary["branch"]
    refs = run(["git", "ls-remote", str(work / "origin.git"), branch], tmp_path).stdout
    assert refs.strip().endswith(f"refs/heads/{branch}")
    pinned = run(
        ["git", "--git-dir", str(work / "origin.git"), "show", f"{branch}:data.dvc"], tmp_path
    ).stdout
    assert yaml.safe_load(pinned)["outs"][0]["md5"] == summary["new_md5"] != summary["old_md5"]
