"""A fleet image's inputs are checked before Docker sees them (the build itself: e2e)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.fleet.image import check_runtime, model_pin, write_context
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


def _fleet(tmp_path: Path, tiny_model: TinyModel) -> Path:
    folder = tmp_path / "fleet" / "tiny" / "models"
    shutil.copytree(tiny_model.models, folder)
    (tmp_path / "Dockerfile.model").write_text((ROOT / "Dockerfile.model").read_text())
    return folder


def test_the_context_holds_the_pinned_model_and_nothing_else(
    tmp_path: Path, tiny_model: TinyModel
) -> None:
    models = _fleet(tmp_path, tiny_model)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    pin = write_context(tmp_path, "tiny", ctx, "v1", "c0ffee")
    assert pin == (models / PIN_FILE).read_text().strip()
    assert sorted(p.name for p in ctx.iterdir()) == sorted(
        ["Dockerfile.model", "build-info.json", "model.json", "model.onnx", PIN_FILE]
    )
    info = json.loads((ctx / "build-info.json").read_text())
    assert (info["version"], info["git_commit"]) == ("v1", "c0ffee")


def test_a_pin_that_disagrees_with_the_files_is_refused(
    tmp_path: Path, tiny_model: TinyModel
) -> None:
    models = _fleet(tmp_path, tiny_model)
    (models / PIN_FILE).write_text("f" * 64 + "\n")
    with pytest.raises(FleetError, match="hash to"):
        model_pin(models)
