"""Fleet names and inputs are hostile until checked; changed files map to the right models."""

from __future__ import annotations

import pytest

from model.fleet.changed import classify
from model.fleet.layout import DEFAULT_MODEL, FleetError, check_name, folder
from model.fleet.scaffold import parse_dataset

pytestmark = pytest.mark.unit

HOSTILE = [
    "", "..", "../etc", "a/b", "a\\b", "-rf", "A", "Churn", "x;rm -rf /", "$(id)", "a b",
    "a--b", "a-", "1model", "m" * 41, "churn\n", "ch\u00fcrn", "a.b", ".hidden", "a_b",
]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(FleetError, match="model name"):
        check_name(name)


@pytest.mark.parametrize("name", ["churn", "loan-default", "a1", "seg-2-east", "m" * 40])
def test_good_names_map_to_their_folder(name: str) -> None:
    assert folder(name) == f"fleet/{name}"


@pytest.mark.parametrize(
    "spec", ["", "lending_club", "a/b/c", "../x/y", "modeldata/../x", "a/-b", "a /b", "/x", "a/"]
)
def test_hostile_dataset_specs_are_refused(spec: str) -> None:
    with pytest.raises(FleetError, match="--dataset"):
        parse_dataset(spec)


def test_dataset_spec_splits() -> None:
    assert parse_dataset("modeldata/lending_club") == ("modeldata", "lending_club")


MODELS = [DEFAULT_MODEL, "churn", "loan-default"]


@pytest.mark.parametrize(
    ("files", "models"),
    [
        (["fleet/churn/params.yaml"], ["churn"]),
        (["fleet/churn/contract.yaml", "fleet/loan-default/data.dvc"], ["churn", "loan-default"]),
        (["data.dvc"], [DEFAULT_MODEL]),
        ([".github/promotion-gate.yaml", "README.md"], [DEFAULT_MODEL]),
        # The root params.yaml is the default model's (model new only copies it once).
        (["params.yaml"], [DEFAULT_MODEL]),
        (["README.md", "docs/x.md"], []),
        (["fleet/gone/params.yaml"], []),  # a folder that no longer exists runs nothing
        (["fleet/README.md"], []),
    ],
)
def test_folder_changes_touch_their_model_only(files: list[str], models: list[str]) -> None:
    got = classify(files, MODELS)
    assert (got.models, got.all) == (models, False)
    assert ("no model changed" in got.reason) == (not models)


@pytest.mark.parametrize(
    "shared", ["model/core/schema.py", "dvc.yaml", "uv.lock", "pyproject.toml"]
)
def test_shared_changes_touch_every_model_and_say_why(shared: str) -> None:
    got = classify(["fleet/churn/params.yaml", shared], MODELS)
    assert got.models == MODELS
    assert got.all is True
    assert shared in got.reason


def test_many_shared_files_are_summarised() -> None:
    files = [f"model/m{i}.py" for i in range(5)]
    assert classify(files, MODELS).reason.endswith("(+2 more)")
