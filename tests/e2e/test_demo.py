"""`make demo`'s story, end to end, checked against the real git history it leaves behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run
from tests.tools import find

pytestmark = pytest.mark.e2e


def overlay_digest(repo: Path, env: str) -> str:
    text = run(["git", "show", f"main:k8s/overlays/{env}/kustomization.yaml"], repo).stdout
    return str(yaml.safe_load(text)["images"][0]["digest"])


def engine_present() -> bool:
    docker = find("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True).returncode == 0  # type: ignore[list-item]


@pytest.fixture(scope="module")
def demo(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not engine_present():
        print("no Docker engine: the demo previews pods as local processes (CI has an engine)")
    root = tmp_path_factory.mktemp("demo") / "scratch"
    proc = run(
        ["model", "demo", "--workdir", str(root), "--source", str(origin)],
        origin.parent,
        check=False,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    facts = json.loads((root / "demo-summary.json").read_text())
    facts["root"], facts["stdout"] = root, proc.stdout
    return facts


def test_all_eight_steps_ran(demo: dict[str, Any]) -> None:
    for number in range(1, 9):
        assert f"✔ {number}. " in demo["stdout"]
    assert "local preview of the staging Deployment (no cluster)" in demo["stdout"]


def test_pr1_failed_its_gate_and_was_not_merged(demo: dict[str, Any]) -> None:
    pr = demo["prs"]["pr-1-fewer-trees"]
    assert pr["passed"] is False and "Gate failed" in pr["verdict"]
    assert "significant" in Path(pr["report"]).read_text()
    merged = run(
        ["git", "merge-base", "--is-ancestor", "pr-1-fewer-trees", "main"],
        demo["root"] / "origin.git",
        check=False,
    )
    assert merged.returncode == 1


def test_pr2_landed(demo: dict[str, Any]) -> None:
    assert demo["prs"]["pr-2-docs"]["passed"] is True
    run(["git", "merge-base", "--is-ancestor", "pr-2-docs", "main"], demo["root"] / "origin.git")


def test_environments_run_the_expected_digests(demo: dict[str, Any]) -> None:
    first, second = demo["digests"]
    assert first != second
    origin = demo["root"] / "origin.git"
    assert overlay_digest(origin, "staging") == second
    assert overlay_digest(origin, "prod") == first  # after the rollback
    staging_previews = [p for p in demo["previews"] if p["env"] == "staging"]
    assert [p["digest"] for p in staging_previews] == [first, second]


def test_rollback_restored_the_previous_digest(demo: dict[str, Any]) -> None:
    prod = [p for p in demo["previews"] if p["env"] == "prod"]
    assert [p["digest"] for p in prod] == [demo["digests"][1], demo["digests"][0]]
    if engine_present():
        assert demo["rollback_running"] == demo["digests"][0]  # the container's own image ID


def test_audit_has_exactly_the_promotions_in_order(demo: dict[str, Any]) -> None:
    first, second = demo["digests"]
    staging = [e["image_digest"] for e in demo["audit_staging"]]
    prod = [(e["image_digest"], bool(e["rollback_of"])) for e in demo["audit_prod"]]
    assert staging == [first, second]
    assert prod == [(first, False), (second, False), (first, True)]


def test_audit_verify_passed(demo: dict[str, Any]) -> None:
    assert demo["verify_exit"] == 0


def test_demo_leaves_no_process_running(demo: dict[str, Any]) -> None:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert str(demo["root"]) not in ps
    if engine_present():
        docker = find("docker") or "docker"
        names = subprocess.run(
            [docker, "ps", "--format", "{{.Names}}"], capture_output=True, text=True
        ).stdout
        assert "credit-scoring-preview" not in names
