"""Every GitHub workflow in the repository: linted, pinned, least-privilege, one-line steps.

It covers all of .github/workflows (files added later included): each `run:` must be
`make <target>` for a target that exists, a `model <command>` that exists, or an allow-listed
pinned tool install, so what CI runs is exactly what a developer can run locally.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.workflow_files import (
    SHA_PIN,
    WORKFLOWS,
    load,
    steps,
)

pytestmark = pytest.mark.unit


def test_the_project_has_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yaml", "pr.yaml", "pr-comment.yaml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_actions_are_pinned_by_full_sha_with_a_tag_comment(path: Path) -> None:
    for job, step in steps(path):
        if "uses" not in step or step["uses"].startswith("./"):
            continue
        assert SHA_PIN.match(step["uses"]), (
            f"{path.name}:{job}: {step['uses']} is not pinned by SHA"
        )
    for line in path.read_text().splitlines():
        if re.search(r"\buses:\s*[\w.-]+/", line):
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d", line), (
                f"{path.name}: no `# vX` tag comment: {line}"
            )


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_every_job_has_timeout_and_permissions(path: Path) -> None:
    data = load(path)
    assert data.get("permissions") == {}, f"{path.name}: set top-level `permissions: {{}}`"
    assert "concurrency" in data, f"{path.name}: no concurrency group"
    for name, job in data["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions block"
        if "uses" not in job:  # a reusable-workflow call cannot set a timeout
            assert "timeout-minutes" in job, f"{path.name}: job {name} has no timeout-minutes"
