"""Every setup-uv step pins the Makefile's uv version (issue 10, item 7).

Unpinned, setup-uv resolves "latest" from GitHub at run time: CI would run another uv
than `make env` and the Dockerfile, and could not run offline with a seeded tool cache.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def makefile_uv_version() -> str:
    """The `UV_VERSION ?= X` default in the Makefile: the project's one uv pin."""
    match = re.search(r"^UV_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "expected a `UV_VERSION ?= <version>` line in the Makefile"
    return match.group(1)


def setup_uv_steps() -> list[tuple[str, str, dict[str, object]]]:
    out = []
    for path in WORKFLOWS:
        for job_name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("astral-sh/setup-uv@"):
                    out.append((path.name, job_name, step))
    return out


def test_some_workflow_uses_setup_uv() -> None:
    assert setup_uv_steps(), "expected setup-uv steps in .github/workflows"


@pytest.mark.parametrize(
    "where, step",
    [(f"{name}:{job}", step) for name, job, step in setup_uv_steps()],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_setup_uv_pins_the_makefile_version(where: str, step: dict[str, object]) -> None:
    version = (step.get("with") or {}).get("version")  # type: ignore[union-attr]
    assert version == makefile_uv_version(), (
        f'{where}: expected setup-uv `version: "{makefile_uv_version()}"` (the Makefile\'s '
        f"UV_VERSION), found {version!r}; pin it so CI runs the same uv as `make env`"
    )
