"""release.yaml's fleet release: one job per changed fleet model, FROM the runtime by digest.

The act test (tests/e2e/test_act_release_fleet.py) runs it; these pin the shape act cannot
judge: who may sign, what a fleet job may touch, and that the build args have one home.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflow_files import ROOT, load

pytestmark = pytest.mark.unit
RELEASE = ROOT / ".github" / "workflows" / "release.yaml"


def _jobs() -> dict[str, Any]:
    return load(RELEASE)["jobs"]


def _step(job: dict[str, Any], uses: str) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if s.get("uses", "").startswith(uses + "@")]
    return found


def test_the_fleet_job_fans_out_over_the_changed_models_only() -> None:
    jobs = _jobs()
    fleet = jobs["fleet"]
    assert set(fleet["needs"]) == {"build", "fleet-changed"}
    assert fleet["strategy"]["fail-fast"] is False
    assert 1 <= fleet["strategy"]["max-parallel"] <= 4
    assert (
        fleet["strategy"]["matrix"]["model"] == "${{ fromJSON(needs.fleet-changed.outputs.fleet) }}"
    )
    assert "'[]'" in fleet["if"], "an empty change list must skip the job, not fail fromJSON"
    # Bytecode outside the work tree: a __pycache__ under model/core (shared by every fleet
    # stage) must not dirty the reproduced dvc.lock (seen under act). Not by
    # PYTHONDONTWRITEBYTECODE: with it, `make env` compiles 20k files first (~60 s a job).
    steps = [s.get("run", "") for s in fleet["steps"]]
    prefix = steps.index("make release-fleet-bytecode")
    assert prefix < steps.index("make env"), "set before the first Python process"
    assert "PYTHONDONTWRITEBYTECODE" not in fleet["env"]
    changed = jobs["fleet-changed"]
    assert changed["steps"][-1]["run"] == "make release-fleet-changed"
    assert changed["permissions"] == {"contents": "read"}


def test_the_fleet_image_builds_from_the_runtime_digest_with_the_cli_build_args() -> None:
    fleet = _jobs()["fleet"]
    (context,) = [s for s in fleet["steps"] if s.get("id") == "context"]
    assert context["run"] == "make release-fleet-context"
    assert context["env"]["RUNTIME_REF"] == "${{ needs.build.outputs.image }}"
    build = _step(fleet, "docker/build-push-action")["with"]
    # One home for the build args: the CLI's output, never a list retyped in the workflow.
    assert build["build-args"] == "${{ steps.context.outputs.build_args }}"
    assert build["context"] == "${{ steps.context.outputs.context }}"
    assert build["file"] == "Dockerfile.model" and "target" not in build
    promote = fleet["steps"][-1]
    assert promote["run"].startswith('model promote staging --model "$MODEL"')
    assert promote["env"]["IMAGE_REF"] == "${{ steps.image.outputs.image }}"


def test_a_release_never_builds_from_a_cache_and_only_the_signing_jobs_get_oidc() -> None:
    jobs = _jobs()
    assert not [s for s in jobs["fleet"]["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert jobs["fleet"]["permissions"] == {
        "contents": "write", "packages": "write", "id-token": "write",
    }  # fmt: skip
    with_oidc = sorted(n for n, j in jobs.items() if j["permissions"].get("id-token") == "write")
    assert with_oidc == ["fleet", "sign"]
    assert "release-sign" in jobs["sign"]["steps"][-1]["run"]
    assert set(jobs["promote"]["needs"]) == {"build", "sign"}, "promote only a signed runtime"


def test_the_fleet_job_signs_and_attests_the_digest_it_promotes_before_promoting_it() -> None:
    fleet = _jobs()["fleet"]
    steps = fleet["steps"]
    (sign,) = [s for s in steps if s.get("id") == "sign"]
    promote = steps[-1]
    # The same make target as the runtime's `sign` job: the cosign commands have one home.
    assert sign["run"] == "make release-sign"
    # IMAGE_REF reaches make through the environment, and it is the very digest promoted.
    assert sign["env"]["IMAGE_REF"] == promote["env"]["IMAGE_REF"]
    sbom, installer = _step(fleet, "anchore/sbom-action"), _step(fleet, "sigstore/cosign-installer")
    assert sbom["with"]["image"] == sign["env"]["IMAGE_REF"]
    # `make release-sign` attests the SBOM file the `sign` job's SBOM step writes.
    sign_job_sbom = _step(_jobs()["sign"], "anchore/sbom-action")["with"]
    assert sbom["with"]["output-file"] == sign_job_sbom["output-file"]
    assert sbom["with"]["format"] == sign_job_sbom["format"]
    # One SBOM artifact per matrix job: a shared name is refused (409) from the second on.
    assert "${{ matrix.model }}" in sbom["with"]["artifact-name"]
    (register,) = [s for s in steps if s.get("id") == "register"]
    assert register["run"] == 'model register --model "$MODEL" --image "$IMAGE_REF"'
    assert register["env"]["IMAGE_REF"] == promote["env"]["IMAGE_REF"]
    order = [steps.index(s) for s in (sbom, installer, sign, register, promote)]
    assert order == sorted(order), "SBOM, cosign, signature, registration, then the promotion"


def test_fleet_promotions_do_not_trigger_another_release() -> None:
    on = load(RELEASE).get("on") or load(RELEASE)[True]  # YAML 1.1 reads `on` as True
    assert "deploy/**" in on["push"]["paths-ignore"]
