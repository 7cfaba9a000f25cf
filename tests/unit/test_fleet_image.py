"""A fleet image's inputs are checked before Docker sees them (the build itself: e2e)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.fleet.image import check_runtime, model_pin, pinned_digest, prepare, write_context
from model.fleet.layout import FleetError
from model.names import PIN_FILE
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "ref",
    [
        "credit-scoring:local",
        "ghcr.io/acme/credit-scoring@sha256:" + "a" * 64,
        "localhost:5000/fleet/runtime:v1@sha256:" + "0" * 64,
    ],
)
def test_image_references_pass(ref: str) -> None:
    assert check_runtime(ref) == ref


@pytest.mark.parametrize(
    "ref",
    [
        "credit-scoring:local;touch /tmp/x",
        "credit-scoring:local\n",
        "--network=none",
        "Credit-Scoring:local",
        "credit-scoring@sha256:" + "a" * 63,
        "",
    ],
)
def test_hostile_runtime_references_are_refused(ref: str) -> None:
    with pytest.raises(FleetError, match="runtime image"):
        check_runtime(ref)


@pytest.fixture
def models(tmp_path: Path, tiny_model: TinyModel) -> Path:
    """fleet/tiny/models under tmp_path (the tiny model), with Dockerfile.model at the root."""
    folder = tmp_path / "fleet" / "tiny" / "models"
    shutil.copytree(tiny_model.models, folder)
    (tmp_path / "Dockerfile.model").write_text((ROOT / "Dockerfile.model").read_text())
    return folder


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    """An empty build context."""
    (tmp_path / "ctx").mkdir()
    return tmp_path / "ctx"


def test_the_context_holds_the_pinned_model_and_nothing_else(
    tmp_path: Path, models: Path, ctx: Path
) -> None:
    pin = write_context(tmp_path, "tiny", ctx, "v1", "c0ffee")
    assert pin == (models / PIN_FILE).read_text().strip()
    # Exactly what Dockerfile.model copies: the Dockerfile itself is passed with -f / `file:`.
    assert sorted(p.name for p in ctx.iterdir()) == sorted(
        ["build-info.json", "model.json", "model.onnx", PIN_FILE]
    )
    info = json.loads((ctx / "build-info.json").read_text())
    assert (info["version"], info["git_commit"]) == ("v1", "c0ffee")


def test_a_pin_that_disagrees_with_the_files_is_refused(models: Path) -> None:
    (models / PIN_FILE).write_text("f" * 64 + "\n")
    with pytest.raises(FleetError, match="hash to"):
        model_pin(models)


RUNTIME = "ghcr.io/acme/credit-scoring@sha256:" + "b" * 64


def test_prepare_returns_the_build_args_dockerfile_model_declares(
    tmp_path: Path, models: Path, ctx: Path
) -> None:
    import re

    got = prepare(tmp_path, "tiny", ctx, RUNTIME, pinned_digest(RUNTIME), "", "c0ffee")
    pin = (models / PIN_FILE).read_text().strip()
    assert (got.pin, got.version) == (pin, pin[:12])
    assert got.args["RUNTIME"] == RUNTIME and got.args["RUNTIME_DIGEST"] == "sha256:" + "b" * 64
    assert (got.args["MODEL_NAME"], got.args["MODEL_SHA256"]) == ("tiny", pin)
    declared = re.findall(r"(?m)^ARG (\w+)", (ROOT / "Dockerfile.model").read_text())
    assert sorted(got.args) == sorted(declared), "one build arg per ARG, no more, no fewer"


@pytest.mark.parametrize("ref", ["ghcr.io/acme/credit-scoring:sha-1", "credit-scoring"])
def test_a_runtime_without_a_digest_is_refused_for_a_ci_context(ref: str) -> None:
    with pytest.raises(FleetError, match="by digest"):
        pinned_digest(ref)


@pytest.mark.usefixtures("models")
def test_prepare_refuses_a_version_that_is_not_a_tag(tmp_path: Path, ctx: Path) -> None:
    with pytest.raises(FleetError, match="image tag"):
        prepare(tmp_path, "tiny", ctx, RUNTIME, "sha256:" + "b" * 64, "v 1", "c0ffee")
