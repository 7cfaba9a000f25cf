"""The committed new-data template retrains the model its `model` parameter names (issue 15)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from model.training import fleet_retrain, spec
from tests.workflow_manifests import argo_docs

pytestmark = pytest.mark.unit


def _doc(name: str) -> dict[str, Any]:
    return next(d for d in argo_docs() if d["metadata"]["name"] == name)


def _retrain_args(name: str) -> list[str]:
    step = next(t for t in _doc(name)["spec"]["templates"] if t["name"] == "retrain")
    assert step["container"]["command"] == ["model"]  # an argv, never `sh -c "…"`
    return list(step["container"]["args"])


def test_new_data_passes_its_model_parameter_to_retrain_as_one_argument() -> None:
    params = {p["name"]: p for p in _doc(spec.NEW_DATA)["spec"]["arguments"]["parameters"]}
    assert params["model"]["value"] == "credit-scoring"  # no model given: today's behaviour
    args = _retrain_args(spec.NEW_DATA)
    assert args[0] == "retrain" and args.count("--model") == 1
    assert args[args.index("--model") + 1] == "{{workflow.parameters.model}}"


def test_the_fan_out_sets_exactly_the_parameters_the_template_declares() -> None:
    declared = {p["name"] for p in _doc(spec.NEW_DATA)["spec"]["arguments"]["parameters"]}
    submit = next(t for t in _doc(fleet_retrain.FAN_OUT)["spec"]["templates"] if "resource" in t)
    workflow = json.loads(submit["resource"]["manifest"])
    assert workflow["spec"]["workflowTemplateRef"]["name"] == spec.NEW_DATA
    passed = {p["name"] for p in workflow["spec"]["arguments"]["parameters"]}
    assert passed == {"model", "snapshot"} and passed <= declared


def test_the_drift_loop_keeps_retraining_the_root_model() -> None:
    assert "--model" not in _retrain_args(spec.RETRAIN)
    params = {p["name"] for p in _doc(spec.RETRAIN)["spec"]["arguments"]["parameters"]}
    assert "model" not in params
