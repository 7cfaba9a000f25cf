"""The trainer image builds under the local engine and runs the in-cluster steps.

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

import pandas as pd
import pytest
import yaml

from model.dataset import packaged_bytes, to_csv_bytes
from model.workflows.spec import DVC_SITE_CACHE, UID
from tests.conftest import ROOT, run

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

TAG = "credit-scoring-trainer:test"
BASE_IMAGE = os.environ.get("IMAGE_BASE", "local/python:3.11-bookworm")


def docker_bin() -> str:
    """Debian's client (matched to its daemon), else whatever `docker` is on PATH."""
    found = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else shutil.which("docker")
    if found is None:
        pytest.skip("no docker client on this machine (CI provides one)")
    if subprocess.run([found, "info"], capture_output=True).returncode != 0:
        pytest.skip(
            f"{found} cannot reach a Docker engine; start one with scripts/docker-engine.sh"
        )
    return found


@pytest.fixture(scope="module")
def trainer_image(trained_workspace: Path) -> str:
    """Build the Dockerfile's `trainer` target; the context is a clone with its outputs."""
    docker = docker_bin()
    if subprocess.run([docker, "image", "inspect", BASE_IMAGE], capture_output=True).returncode:
        run(["bash", "scripts/base-image.sh"], ROOT, env={"BASE_IMAGE": BASE_IMAGE})
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


def in_container(image: str, work: Path, args: list[str], workdir: str, mlflow: str):
    cmd = [
        docker_bin(),
        "run",
        "--rm",
        "--network",
        "host",
        "--user",
        f"{UID}:{UID}",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,exec",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-v",
        f"{work}:/work",
        "-w",
        workdir,
        "-e",
        f"MLFLOW_TRACKING_URI={mlflow}",
        "-e",
        "GITHUB_ACTIONS=false",
        "-e",
        f"DVC_SITE_CACHE_DIR={DVC_SITE_CACHE}",
        image,
        *args,
    ]
    return run(cmd, work, check=False, timeout=900)


def test_retrain_runs_inside_the_trainer_image(
    trainer_image: str, origin: Path, dvc_remote: Path, mlflow_server: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run(["git", "clone", "-q", "--bare", str(origin), str(work / "origin.git")], tmp_path)
    # The repo's default DVC remote is ../../credit-scoring-dvc-remote from .dvc/, i.e. a
    # directory beside the clone: /work/credit-scoring-dvc-remote for a clone at /work/repo.
    shutil.copytree(dvc_remote, work / "credit-scoring-dvc-remote")
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    (work / "snapshot.csv").write_bytes(to_csv_bytes(raw.iloc[200:]))
    chown_tree(work, UID)

    checkout = [
        "workflows",
        "checkout",
        "--repo-url",
        "/work/origin.git",
        "--rev",
        "main",
        "--dest",
        "/work/repo",
    ]
    proc = in_container(trainer_image, work, checkout, "/work", mlflow_server)
    assert proc.returncode == 0, proc.stderr[-3000:]
    retrain = [
        "retrain",
        "--snapshot",
        "/work/snapshot.csv",
        "--trigger",
        "drift",
        "--summary",
        "/work/retrain.json",
    ]
    proc = in_container(trainer_image, work, retrain, "/work/repo", mlflow_server)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # 1: pushed, the gate said no

    chown_tree(work, os.geteuid())  # git refuses to read a repository another user owns
    summary = json.loads((work / "retrain.json").read_text())
    assert summary["status"] == "proposed" and summary["pushed"] is True
    branch = summary["branch"]
    refs = run(["git", "ls-remote", str(work / "origin.git"), branch], tmp_path).stdout
    assert refs.strip().endswith(f"refs/heads/{branch}")
    pinned = run(
        ["git", "--git-dir", str(work / "origin.git"), "show", f"{branch}:data.dvc"], tmp_path
    ).stdout
    assert yaml.safe_load(pinned)["outs"][0]["md5"] == summary["new_md5"] != summary["old_md5"]
