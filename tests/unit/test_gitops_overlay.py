"""Overlay edits: round-trip keeps every comment and key order; bad refs and envs are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from model.gitops import KUSTOMIZATION, RELEASE_FILE, overlay
from model.gitops.trailers import Release

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "b" * 64


def _release(env: str = "staging") -> Release:
    return Release(
        environment=env,
        model_version="v1",
        model_sha256="a" * 64,
        data_md5="d" * 32,
        image="ghcr.io/org/credit-scoring",
        image_digest=DIGEST,
        source_commit="c" * 40,
        metrics="roc_auc=0.83",
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    return tmp_path


def _comments(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip().startswith("#")]


def _keys(path: Path) -> list[str]:
    return [line.split(":")[0] for line in path.read_text().splitlines() if ":" in line]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_write_keeps_comments_and_order_and_reads_back(tree: Path, env: str) -> None:
    folder = tree / "k8s" / "overlays" / env
    before = {
        name: (_comments(folder / name), _keys(folder / name))
        for name in (KUSTOMIZATION, RELEASE_FILE)
    }
    written = overlay.write(tree, env, _release(env))
    assert {p.name for p in written} == {KUSTOMIZATION, RELEASE_FILE}
    for name, (comments, keys) in before.items():
        assert _comments(folder / name) == comments and comments
        assert _keys(folder / name) == keys
    state = overlay.read(tree, env)
    assert (state.image, state.digest, state.model_sha256) == (
        "ghcr.io/org/credit-scoring",
        DIGEST,
        "a" * 64,
    )
    assert state.annotations["metrics"] == "roc_auc=0.83"


def test_second_write_of_same_release_is_byte_identical(tree: Path) -> None:
    overlay.write(tree, "staging", _release())
    first = (tree / "k8s/overlays/staging" / RELEASE_FILE).read_bytes()
    overlay.write(tree, "staging", _release())
    assert (tree / "k8s/overlays/staging" / RELEASE_FILE).read_bytes() == first


@pytest.mark.parametrize(
    "ref",
    [
        "ghcr.io/org/credit-scoring:1.0",  # a tag, no digest
        "ghcr.io/org/credit-scoring@sha256:abc",  # short digest
        "ghcr.io/org/credit-scoring@sha256:" + "B" * 64,  # uppercase hex
        "ghcr.io/org/Credit@sha256:" + "b" * 64,  # uppercase repository
        "ghcr.io/org/credit-scoring:1.0@sha256:" + "b" * 64,  # tag and digest
        "@sha256:" + "b" * 64,
        "",
    ],
)
def test_malformed_image_refs_are_refused(ref: str) -> None:
    with pytest.raises(overlay.OverlayError, match="REF@sha256"):
        overlay.parse_image_ref(ref)


def test_good_refs_split_into_name_and_digest() -> None:
    assert overlay.parse_image_ref(f"localhost:5000/credit-scoring@{DIGEST}") == (
        "localhost:5000/credit-scoring",
        DIGEST,
    )


def test_unknown_environment_is_refused(tree: Path) -> None:
    with pytest.raises(overlay.OverlayError, match="staging, prod"):
        overlay.read(tree, "production")
