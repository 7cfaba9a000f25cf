"""promote.yaml promotes one model per dispatch; the model input never reaches a shell unquoted."""

from __future__ import annotations

import re

import pytest

from model.gitops import DEFAULT_MODEL
from tests.workflow_files import ROOT, load

pytestmark = pytest.mark.unit
PATH = ROOT / ".github" / "workflows" / "promote.yaml"
PROMOTE = load(PATH)
ON = PROMOTE.get("on", PROMOTE.get(True))  # YAML 1.1 reads a bare `on` as True


def _recipe(target: str) -> list[str]:
    """The recipe lines of `target` in mk/gitops.mk."""
    lines = (ROOT / "mk" / "gitops.mk").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    return recipe


def test_the_model_input_defaults_to_the_root_model() -> None:
    model = ON["workflow_dispatch"]["inputs"]["model"]
    assert model["type"] == "string" and model["default"] == DEFAULT_MODEL


def test_the_inputs_reach_the_promote_step_only_through_env() -> None:
    (step,) = [s for s in PROMOTE["jobs"]["open-pr"]["steps"] if s.get("id") == "promote"]
    assert step["env"]["MODEL"] == "${{ inputs.model }}"
    assert step["run"] == "make promote-prod-pr"
    for job in PROMOTE["jobs"].values():
        for s in job["steps"]:
            assert "${{" not in s.get("run", ""), f"an expression in a run: line: {s['run']}"


def test_the_make_target_quotes_the_model_and_never_lets_make_expand_it() -> None:
    recipe = "\n".join(_recipe("promote-prod-pr"))
    assert '--model "$${MODEL:-credit-scoring}"' in recipe
    assert not re.search(r"\$[({]MODEL[)}]", recipe), "make would expand $(MODEL)'s value"


def test_each_model_queues_on_its_own() -> None:
    group = PROMOTE["concurrency"]["group"]
    assert f"${{{{ inputs.model || '{DEFAULT_MODEL}' }}}}" in group


def test_a_merged_prod_promotion_of_any_model_syncs_the_models_it_re_pinned() -> None:
    assert ON["push"]["paths"] == ["k8s/overlays/prod/**", "deploy/prod/**"]
    job = PROMOTE["jobs"]["sync-alias"]
    assert job["permissions"] == {"contents": "read"} and job["timeout-minutes"] <= 10
    (step,) = [s for s in job["steps"] if s.get("id") == "sync"]
    # The models come from the pushed commit's changed paths, read by our code; nothing from
    # the event (PR title, branch) reaches the command line.
    assert step["run"] == "model register --sync-aliases --changed-in HEAD"
