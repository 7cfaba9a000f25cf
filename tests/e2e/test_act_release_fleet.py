"""release.yaml's `fleet` job under act: a merge that changes two fleet models releases each
on its own, and the one whose signature is refused is not promoted.

The world: a bare origin whose main pins stand-in root train outputs (stored in the `s3` DVC
remote on moto, so `build` pulls them) and a merge on top that changes the params of
fleet/churn and fleet/loan-default (its author committed both reproduced locks). `build`
pushes the runtime to the registry stand-in (tests/act/registry.py); `fleet-changed` names
both; the `fleet` matrix runs one job per model, each reproducing that model's outputs,
writing its context, pushing fleet/<name> FROM the runtime's digest and signing that digest
(cosign keyless, with its SBOM attested) before it lands a staging promotion of the digest
the registry answered. The cosign stand-in refuses loan-default's signature
(ACT_STANDIN_COSIGN_REFUSE_IMAGE): its job fails before its promotion, churn's (fail-fast
off) releases anyway. One act run; each test reads one part of it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from model.fleet import release
from tests.act.harness import REPO_SLUG, ActResult, Store, parse, push_event, run_workflow
from tests.act.pinned import pinned_origin
from tests.act.registry import Registry, registry_server
from tests.conftest import clone, run
from tests.e2e.test_act_pr_fleet import fewer_trees
from tests.moto_s3 import CREDENTIALS, put_dvc_object, serve_s3

pytestmark = [pytest.mark.e2e, pytest.mark.act]
MODEL = "churn"  # released: signed, registered, promoted
REFUSED = "loan-default"  # built and pushed, then refused a signature: never promoted
TAG = "release-fleet.yaml"
FOUR = ["build-info.json", "model.json", "model.onnx", "model.sha256"]
# Only REFUSED's sign fails; churn's sign and attest go through in the same run.
REFUSAL = {
    "ACT_STANDIN_COSIGN_REFUSE": "sign",
    "ACT_STANDIN_COSIGN_REFUSE_IMAGE": f"fleet/{REFUSED}",
}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        yield url


def _merge_changing_two(origin: Path, dvc_remote: Path, base: Path, s3: str) -> Path:
    """(bare) main = stand-in root pins + a merge retuning both models, their locks reproduced."""
    bare, _ = pinned_origin(origin, base, TAG, lambda md5, data: put_dvc_object(s3, md5, data))
    ws = clone(bare, base / "ws", dvc_remote)
    for name in (MODEL, REFUSED):
        run(["model", "fleet", "pull", name], ws)
        fewer_trees(ws / "fleet" / name)  # the PR test's change: params.yaml + reproduced lock
    run(["git", "add", "fleet"], ws)
    run(["git", "commit", "-qm", f"merge: {MODEL} and {REFUSED} train fewer trees"], ws)
    run(["git", "push", "-q", "origin", "main"], ws)
    return bare


@dataclass(frozen=True)
class Release:
    """The act run of the fleet job: its origin, the merge it released, what it did."""

    bare: Path
    sha: str
    res: ActResult
    registry: Registry
    store: Store

    def cosign_calls(self, name: str) -> list[dict[str, Any]]:
        """What the cosign stand-in was asked for fleet/<name>, in order (its cosign.jsonl)."""
        record = self.store.registry / "cosign.jsonl"
        lines = record.read_text().splitlines() if record.is_file() else []
        calls = [json.loads(line) for line in lines]
        return [c for c in calls if f"/fleet/{name}@" in c["argv"][-1]]

    def job(self, name: str) -> ActResult:
        """The `fleet` matrix job of model `name` alone.

        ActResult keys jobs, steps and step logs by job id, so the matrix jobs of `fleet` mix
        there (step results overwrite each other, logs are concatenated); act's --json log tags
        every line with its `matrix`, so parsing only that job's lines tells them apart.
        """
        (log,) = self.store.root.glob("runs/*/act.jsonl")  # one act run in this store
        lines = [line for line in log.read_text().splitlines() if _matrix(line) == {"model": name}]
        assert lines, f"no fleet matrix job for {name}: {self.res.tail()}"
        text, jobs, steps, post, output = parse(lines)
        return ActResult(self.res.returncode, text, jobs, steps, post, output, self.res.artifacts)

    def git(self, *args: str) -> str:
        return run(["git", "--git-dir", str(self.bare), *args], self.bare).stdout.strip()


def _matrix(line: str) -> dict[str, Any] | None:
    try:
        return json.loads(line).get("matrix")
    except json.JSONDecodeError:
        return None  # act's own lines (e.g. "Error: Job 'fleet' failed")


@pytest.fixture(scope="module")
def rel(
    origin: Path, dvc_remote: Path, s3: str, tmp_path_factory: pytest.TempPathFactory
) -> Release:
    """The one act run of release.yaml's fleet job on the merge, REFUSED's signing refused."""
    base = tmp_path_factory.mktemp("act-fleet")
    bare = _merge_changing_two(origin, dvc_remote, base, s3)
    repo = base / "repo"
    run(["git", "clone", "-q", str(bare), str(repo)], base)
    sha = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    store = Store(base / "world")
    s3_env = {"AWS_ENDPOINT_URL_S3": s3, "AWS_DEFAULT_REGION": CREDENTIALS["AWS_DEFAULT_REGION"]}
    with registry_server() as registry:
        res = run_workflow(
            repo, "release.yaml", "push", push_event(repo), origin=bare, store=store,
            env={**s3_env, "ACT_STANDIN_REGISTRY_URL": registry.url, **REFUSAL},
            secrets={"GITHUB_TOKEN": "ghs_stand-in", "DVC_AWS_ACCESS_KEY_ID": "testing",
                     "DVC_AWS_SECRET_ACCESS_KEY": "testing"},
            job="fleet", timeout=1200,
        )  # fmt: skip
    return Release(bare, sha, res, registry, store)


def _model_image(rel: Release, name: str) -> tuple[str, str]:
    """(image@digest, digest) of fleet/<name> as the run pushed it."""
    pushed = {n: tag for (n, tag) in rel.registry.tags if n.startswith("acme/fleet/")}
    # one image per changed model, no other
    assert sorted(pushed) == [f"acme/fleet/{MODEL}", f"acme/fleet/{REFUSED}"], rel.registry.tags
    digest = rel.registry.digest(f"acme/fleet/{name}", pushed[f"acme/fleet/{name}"])
    return f"ghcr.io/acme/fleet/{name}@{digest}", digest


def _build_args(rel: Release, digest: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The build args and stand-in build record embedded in a pushed manifest."""
    descriptor = json.loads(rel.registry.manifests[digest])["config"]
    config = json.loads(base64.b64decode(descriptor["data"]))["stand_in"]
    return dict(a.split("=", 1) for a in config["build_args"]), config


def test_a_merge_changing_two_fleet_models_runs_one_matrix_job_for_each(rel: Release) -> None:
    res = rel.res
    assert res.jobs.get("build") == "success", res.tail()
    changed = res.step_log("fleet-changed", "changed")
    assert f'"models": ["{MODEL}", "{REFUSED}"]' in changed, res.tail()
    for name in (MODEL, REFUSED):
        context = rel.job(name).step_log("fleet", "context")
        tags = re.findall(r"tags=(\S+)", context)
        assert len(tags) == 1 and tags[0].startswith(f"ghcr.io/acme/fleet/{name}:"), context


def test_each_fleet_image_is_built_from_the_runtime_digest(rel: Release) -> None:
    runtime = rel.registry.digest(REPO_SLUG, f"sha-{rel.sha}")
    for name in (MODEL, REFUSED):
        _, digest = _model_image(rel, name)
        args, config = _build_args(rel, digest)
        assert args["RUNTIME"] == f"ghcr.io/{REPO_SLUG}@{runtime}", args
        assert args["RUNTIME_DIGEST"] == runtime and args["MODEL_NAME"] == name
        assert sorted(config["context_files"]) == FOUR, config
        # The pin file in the context is the one the build args name (file bytes: pin + newline).
        pin_file = (args["MODEL_SHA256"] + "\n").encode()
        assert config["context_files"]["model.sha256"] == hashlib.sha256(pin_file).hexdigest()


def test_the_signed_model_is_promoted_alone_in_one_commit(rel: Release, tmp_path: Path) -> None:
    # Every step of churn's job succeeded, the promotion last. (Not its jobResult: act logs the
    # matrix's result so far, as GitHub's needs.fleet.result, so a sibling's failure shows there.)
    churn = rel.job(MODEL)
    assert set(churn.steps["fleet"].values()) == {"success"}, churn.tail()
    assert churn.step("fleet", "promote") == "success", churn.tail()
    # Exactly one promotion commit on top of the merge: churn's (fail-fast off: the refused
    # model's job did not cancel it), and it touches churn's staging pin alone.
    assert rel.git("rev-list", f"{rel.sha}..main").split() == [rel.git("rev-parse", "main")]
    log = rel.git("log", "-1", "--format=%P%n%(trailers)", "main")
    assert log.splitlines()[0] == rel.sha, "one promotion commit on top of the merge"
    assert f"Model: {MODEL}" in log and "Environment: staging" in log, log
    assert f"Model: {REFUSED}" not in log, log
    changed = rel.git("diff", "--name-only", rel.sha, "main").splitlines()
    assert changed == [f"deploy/staging/{MODEL}.yaml"], changed

    _, digest = _model_image(rel, MODEL)
    args, _ = _build_args(rel, digest)
    shown = tmp_path / "staging" / f"{MODEL}.yaml"  # read() checks the path names it
    shown.parent.mkdir()
    shown.write_text(rel.git("show", f"main:deploy/staging/{MODEL}.yaml") + "\n")
    pinned = release.read(shown)
    assert (pinned.image, pinned.digest) == (f"ghcr.io/acme/fleet/{MODEL}", digest)
    assert pinned.model_sha256 == args["MODEL_SHA256"]


def test_the_signed_model_is_registered_before_its_promotion(rel: Release) -> None:
    # Registered as MLflow model churn before the promotion; no server here: a loud skip.
    churn = rel.job(MODEL)
    assert churn.step("fleet", "register") == "success", churn.tail()
    assert "MLflow registry: NOT registered" in churn.step_log("fleet", "register")


def test_the_promoted_image_is_signed_and_attested_before_its_promotion(rel: Release) -> None:
    # Signed, with its SBOM attested: exactly the digest the registry answered for the model
    # image (not a tag, not the runtime's), and before the promotion: the job's work tree had
    # no promotion commit yet when cosign ran.
    image, _ = _model_image(rel, MODEL)
    calls = rel.cosign_calls(MODEL)
    assert [(c["argv"][0], c["argv"][-1]) for c in calls] == [("sign", image), ("attest", image)]
    assert {c["head"] for c in calls} == {rel.sha} and not any(c["refused"] for c in calls)
    # The SBOM attested is the one made for that image (the cosign stand-in refuses any other).
    sboms = rel.res.artifacts.glob(f"sbom-fleet-{MODEL}.spdx.json/*.spdx.json")
    (sbom,) = [json.loads(p.read_text()) for p in sboms]
    assert sbom["name"] == image, sbom


def test_a_fleet_image_whose_signing_fails_is_not_promoted(rel: Release) -> None:
    refused = rel.job(REFUSED)
    assert refused.jobs.get("fleet") == "failure", refused.tail()
    assert refused.step("fleet", "sign") == "failure", refused.tail()
    assert refused.step("fleet", "register") == "skipped", refused.tail()
    assert refused.step("fleet", "promote") == "skipped", refused.tail()
    image, _ = _model_image(rel, REFUSED)  # it was built and pushed, and then refused a signature
    assert [(c["argv"][0], c["argv"][-1], c["refused"]) for c in rel.cosign_calls(REFUSED)] == [
        ("sign", image, True)
    ]
    # Nothing of it reached origin: no staging pin, no commit naming it.
    assert f"Model: {REFUSED}" not in rel.git("log", "--format=%(trailers)", f"{rel.sha}..main")
    pin = f"deploy/staging/{REFUSED}.yaml"
    assert rel.git("diff", "--name-only", rel.sha, "main", "--", pin) == "", "unsigned, promoted"
