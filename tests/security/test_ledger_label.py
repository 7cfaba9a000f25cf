"""Issue 11 §1: the image's model.version OCI label reaches the trailers, so it is checked too."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.cli.console import EXIT_USAGE
from model.gitops import images
from model.names import LABEL_MODEL_VERSION
from tests.unit.gitops_repo import git, make_repo

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.security]
_register_commands()


def _image_with_label(tmp_path: Path, value: str) -> Iterator[str]:
    """A real local image (no layers) whose model.version label is `value`; yields its ID."""
    client = images.docker()
    if client is None:
        pytest.skip("no Docker engine answers; run scripts/docker-engine.sh")
    empty = tmp_path / "empty.tar"
    subprocess.run(["tar", "cf", str(empty), "--files-from", "/dev/null"], check=True)
    tag = f"credit-scoring-label-test:{uuid.uuid4().hex[:12]}"
    change = f'LABEL {LABEL_MODEL_VERSION}="{value}"'
    image_id = subprocess.run(
        [client, "import", "--change", change, str(empty), tag],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip
    try:
        yield image_id
    finally:
        subprocess.run([client, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("value", ["v1\x1eEnvironment: prod", "v1\x1fx", "v1 Promoted-By: Ada"])
def test_a_hostile_model_version_label_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    repo = make_repo(tmp_path / "repo")
    before = git(repo, "rev-parse", "HEAD")
    for image_id in _image_with_label(tmp_path, value):
        result = CliRunner().invoke(
            app, ["promote", "staging", "--image", f"ghcr.io/org/x@{image_id}", "--repo", str(repo)]
        )
        flat = " ".join(result.output.split())
        assert result.exit_code == EXIT_USAGE, flat
        assert LABEL_MODEL_VERSION in flat and "--model-version" in flat
    assert git(repo, "rev-parse", "HEAD") == before and git(repo, "status", "--porcelain") == ""
