"""A fleet release file: written from the trained folder, read back, shown by fleet list."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from model.fleet.layout import FleetError
from model.fleet.release import from_folder, read, releases
from model.fleet.table import version

pytestmark = pytest.mark.unit

DIGEST = "sha256:" + hashlib.sha256(b"image").hexdigest()
MODEL_SHA = hashlib.sha256(b"model").hexdigest()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    models = tmp_path / "fleet" / "churn" / "models"
    models.mkdir(parents=True)
    (models / "model.sha256").write_text(MODEL_SHA + "\n")
    return tmp_path


def test_release_from_the_trained_folder(root: Path) -> None:
    path = from_folder(root, "churn", "staging", f"ghcr.io/acme/churn@{DIGEST}", "4")
    assert path == root / "deploy" / "staging" / "churn.yaml"
    got = read(path)
    assert (got.image, got.digest, got.model_sha256, got.model_version) == (
        "ghcr.io/acme/churn", DIGEST, MODEL_SHA, "4",
    )  # fmt: skip
    assert [r.model for r in releases(root)] == ["churn"]
    assert (version(root, "churn", "staging"), version(root, "churn", "prod")) == ("4", "-")


@pytest.mark.parametrize(
    "image", ["ghcr.io/acme/churn:latest", "ghcr.io/acme/churn", f"UPPER/x@{DIGEST}", f"x@{DIGEST}"]
)
def test_an_image_not_pinned_by_digest_is_refused(root: Path, image: str) -> None:
    with pytest.raises(FleetError, match="release"):
        from_folder(root, "churn", "staging", image, "4")
    assert not (root / "deploy").exists()


def test_an_untrained_model_cannot_be_released(root: Path) -> None:
    with pytest.raises(FleetError, match="no trained model"):
        from_folder(root, "loan-default", "prod", f"ghcr.io/acme/x@{DIGEST}", "1")


def test_a_file_whose_path_disagrees_with_its_contents_is_refused(root: Path) -> None:
    path = from_folder(root, "churn", "staging", f"ghcr.io/acme/churn@{DIGEST}", "4")
    moved = root / "deploy" / "prod" / "churn.yaml"
    moved.parent.mkdir(parents=True)
    path.rename(moved)
    with pytest.raises(FleetError, match="the path disagrees"):
        read(moved)
