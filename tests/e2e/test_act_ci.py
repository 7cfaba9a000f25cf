"""ci.yaml as GitHub runs it (nektos/act, self-hosted, stand-ins from tests/act).

`lint` runs whole. `test` runs `make test` as the workflow does, narrowed by PYTEST_ADDOPTS
(pytest reads it; the workflow is unchanged) to tests that once failed only on a runner:
the promotion trailers read GITHUB_ACTIONS/GITHUB_ACTOR, which act sets like GitHub does.
The whole suite under act would take the suite's hour and run these act tests inside act.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.act.harness import Store, push_event, run_workflow
from tests.conftest import run

pytestmark = [pytest.mark.e2e, pytest.mark.act]

# Runner-sensitive tests: they read the GITHUB_* environment or the workflow pins.
RUNNER_SENSITIVE = (
    "tests/integration/test_gitops_promote_inputs.py",
    "tests/unit/test_workflows_uv_pin.py",
)


@dataclass(frozen=True)
class Scratch:
    ws: Path
    origin: Path


@pytest.fixture(scope="module")
def scratch(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """A clone of the work-tree snapshot with its own bare origin (never the shared one)."""
    base = tmp_path_factory.mktemp("act-ci")
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    run(["git", "clone", "-q", str(bare), str(base / "ws")], base)
    return Scratch(base / "ws", bare)


def test_lint_job_is_green(scratch: Scratch, tmp_path: Path) -> None:
    res = run_workflow(scratch.ws, "ci.yaml", "push", push_event(scratch.ws),
                       origin=scratch.origin, store=Store(tmp_path), job="lint")  # fmt: skip
    assert res.jobs == {"lint": "success"}, res.tail()
    lint = res.step_log("lint", "3")  # checkout, setup-uv, make env, make lint
    assert "ruff format --check model tests benchmarks" in lint
    assert "already formatted" in lint and "would be reformatted" not in lint


def test_test_job_runs_runner_sensitive_tests_green(scratch: Scratch, tmp_path: Path) -> None:
    addopts = " ".join([*RUNNER_SENSITIVE, "-p", "no:cacheprovider"])
    res = run_workflow(scratch.ws, "ci.yaml", "push", push_event(scratch.ws),
                       origin=scratch.origin, store=Store(tmp_path), job="test",
                       env={"PYTEST_ADDOPTS": addopts})  # fmt: skip
    assert res.jobs == {"test": "success"}, res.tail()
    out = res.step_log("test", "3")
    # `make ci` is .ci/run: provisioning (the Docker engine among it) before `make test`.
    assert "docker-engine:" in out, out[-3000:]
    assert " passed" in out and " failed" not in out, out[-3000:]
    assert "test_promotion_commits_trailers_and_same_digest_twice_is_noop" not in out
