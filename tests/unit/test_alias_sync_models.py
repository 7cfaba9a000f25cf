"""Which models a merged commit re-pinned (their MLflow aliases follow), and project paths."""

from __future__ import annotations

import pytest

from model.fleet.repinned import models_in
from model.gitops import DEFAULT_MODEL
from model.gitops.facts import in_project

pytestmark = pytest.mark.unit


def test_release_files_and_overlays_name_their_models_once_in_order() -> None:
    paths = [
        "deploy/prod/churn.yaml",
        "k8s/overlays/prod/credit-scoring-release.yaml",
        "k8s/overlays/prod/kustomization.yaml",
        "deploy/staging/loan-default.yaml",
        "deploy/prod/churn.yaml",
    ]
    assert models_in(paths) == ["churn", DEFAULT_MODEL, "loan-default"]


@pytest.mark.parametrize(
    "path",
    [
        "deploy/prod/Churn.yaml",  # not a model name
        "deploy/prod/churn;touch x.yaml",
        "deploy/prod/-churn.yaml",
        "deploy/prod/churn.yml",
        "deploy/prod/churn",
        "deploy/dev/churn.yaml",  # not an environment
        "deploy/prod/sub/churn.yaml",
        "fleet/churn/dvc.lock",  # trains, pins nothing
        "k8s/overlays/dev/kustomization.yaml",
        "k8s/overlays/prod",
        "k8s/base/credit-scoring-deployment.yaml",
        "dvc.lock",
    ],
)
def test_other_paths_name_no_model(path: str) -> None:
    assert models_in([path]) == []


@pytest.mark.parametrize(
    ("project", "path", "expected"),
    [
        (".", "dvc.lock", "dvc.lock"),
        (".", "models/model.onnx", "models/model.onnx"),
        ("fleet/churn", "dvc.lock", "fleet/churn/dvc.lock"),
        ("fleet/churn", "models/model.onnx", "fleet/churn/models/model.onnx"),
    ],
)
def test_a_projects_paths_are_relative_to_its_folder(
    project: str, path: str, expected: str
) -> None:
    assert in_project(project, path) == expected
