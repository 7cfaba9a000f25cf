"""release.yaml's `fleet` job under act: a merge that changes one fleet model releases it alone.

The world: a bare origin whose main pins stand-in root train outputs (stored in the `s3` DVC
remote on moto, so `build` pulls them) and a merge on top that changes fleet/churn's params
(its author committed the reproduced lock). `build` pushes the runtime to the registry
stand-in (tests/act/registry.py); `fleet-changed` names churn alone; one `fleet` job
reproduces churn's outputs, writes its context, pushes fleet/churn FROM the runtime's digest
and signs that digest (cosign keyless, with its SBOM attested) before it lands a staging
promotion of the digest the registry answered. When signing fails, nothing is promoted.
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
from tests.act.harness import REPO_SLUG, ActResult, Store, push_event, run_workflow
from tests.act.pinned import pinned_origin
from tests.act.registry import Registry, registry_server
from tests.conftest import clone, run
from tests.e2e.test_act_pr_fleet import fewer_trees
from tests.moto_s3 import CREDENTIALS, put_dvc_object, serve_s3

pytestmark = [pytest.mark.e2e, pytest.mark.act]
MODEL = "churn"
TAG = "release-fleet.yaml"
FOUR = ["build-info.json", "model.json", "model.onnx", "model.sha256"]


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        yield url


def _merge_changing_churn(origin: Path, dvc_remote: Path, base: Path, s3: str) -> Path:
    """(bare) main = stand-in root pins + a merge retuning churn, its lock reproduced."""
    bare, _ = pinned_origin(origin, base, TAG, lambda md5, data: put_dvc_object(s3, md5, data))
    ws = clone(bare, base / "ws", dvc_remote)
    folder = ws / "fleet" / MODEL
    run(["model", "fleet", "pull", MODEL], ws)
    fewer_trees(folder)  # the PR test's change: set in params.yaml, lock reproduced
    run(["git", "add", "fleet"], ws)
    run(["git", "commit", "-qm", "merge: churn trains 60 trees"], ws)
    run(["git", "push", "-q", "origin", "main"], ws)
    return bare


@pytest.fixture(scope="module")
def merged(
    origin: Path, dvc_remote: Path, s3: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The merge's bare origin, built once; each test releases from its own copy of it."""
    return _merge_changing_churn(origin, dvc_remote, tmp_path_factory.mktemp("act-fleet"), s3)


@dataclass(frozen=True)
class Release:
    """One act run of the fleet job: its origin, the merge it released, what it did."""

    bare: Path
    sha: str
    res: ActResult
    registry: Registry
    store: Store

    def cosign_calls(self) -> list[dict[str, Any]]:
        """What the cosign stand-in was asked, in order (tests/act/standins/cosign-installer)."""
        record = self.store.registry / "cosign.jsonl"
        lines = record.read_text().splitlines() if record.is_file() else []
        return [json.loads(line) for line in lines]

    def main(self) -> str:
        return run(
            ["git", "--git-dir", str(self.bare), "rev-parse", "main"], self.bare
        ).stdout.strip()


def _release(merged: Path, tmp_path: Path, s3: str, env: dict[str, str] | None = None) -> Release:
    """Run release.yaml's fleet job (and what it needs) on a copy of the merge's origin."""
    bare = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(merged), str(bare)], tmp_path)
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(bare), str(repo)], tmp_path)
    sha = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    store = Store(tmp_path / "world")
    s3_env = {"AWS_ENDPOINT_URL_S3": s3, "AWS_DEFAULT_REGION": CREDENTIALS["AWS_DEFAULT_REGION"]}
    with registry_server() as registry:
        res = run_workflow(
            repo, "release.yaml", "push", push_event(repo), origin=bare, store=store,
            env={**s3_env, "ACT_STANDIN_REGISTRY_URL": registry.url, **(env or {})},
            secrets={"GITHUB_TOKEN": "ghs_stand-in", "DVC_AWS_ACCESS_KEY_ID": "testing",
                     "DVC_AWS_SECRET_ACCESS_KEY": "testing"},
            job="fleet", timeout=900,
        )  # fmt: skip
    return Release(bare, sha, res, registry, store)


def _model_image(rel: Release) -> tuple[str, str]:
    """(image@digest, digest) of the one fleet image the run pushed."""
    pushed = {name: tag for (name, tag) in rel.registry.tags if name.startswith("acme/fleet/")}
    assert list(pushed) == [f"acme/fleet/{MODEL}"], rel.registry.tags  # one model image only
    digest = rel.registry.digest(f"acme/fleet/{MODEL}", pushed[f"acme/fleet/{MODEL}"])
    return f"ghcr.io/acme/fleet/{MODEL}@{digest}", digest


def test_a_merge_changing_one_fleet_model_signs_and_releases_that_model_alone(
    merged: Path, s3: str, tmp_path: Path
) -> None:
    rel = _release(merged, tmp_path, s3)
    res, registry, sha, bare = rel.res, rel.registry, rel.sha, rel.bare
    assert res.jobs.get("build") == "success", res.tail()
    assert f'"models": ["{MODEL}"]' in res.step_log("fleet-changed", "changed"), res.tail()
    assert res.jobs.get("fleet") == "success", res.tail()
    context = res.step_log("fleet", "context")  # every matrix job's log of that step
    tags = re.findall(r"tags=(\S+)", context)
    assert len(tags) == 1 and tags[0].startswith(f"ghcr.io/acme/fleet/{MODEL}:"), context

    runtime = registry.digest(REPO_SLUG, f"sha-{sha}")
    image, digest = _model_image(rel)
    descriptor = json.loads(registry.manifests[digest])["config"]
    config = json.loads(base64.b64decode(descriptor["data"]))["stand_in"]
    args = dict(a.split("=", 1) for a in config["build_args"])
    assert args["RUNTIME"] == f"ghcr.io/{REPO_SLUG}@{runtime}", args
    assert args["RUNTIME_DIGEST"] == runtime and args["MODEL_NAME"] == MODEL
    assert sorted(config["context_files"]) == FOUR, config
    # The pin file in the context is the one the build args name (file bytes: pin + newline).
    pin_file = (args["MODEL_SHA256"] + "\n").encode()
    assert config["context_files"]["model.sha256"] == hashlib.sha256(pin_file).hexdigest()

    log = run(["git", "--git-dir", str(bare), "log", "-1", "--format=%P%n%(trailers)", "main"],
              tmp_path).stdout  # fmt: skip
    assert log.splitlines()[0] == sha, "one promotion commit on top of the merge"
    assert f"Model: {MODEL}" in log and "Environment: staging" in log, log
    shown = tmp_path / "staging" / f"{MODEL}.yaml"  # read() checks the path names it
    shown.parent.mkdir()
    shown.write_text(run(["git", "--git-dir", str(bare), "show",
                          f"main:deploy/staging/{MODEL}.yaml"], tmp_path).stdout)  # fmt: skip
    pinned = release.read(shown)
    assert (pinned.image, pinned.digest) == (f"ghcr.io/acme/fleet/{MODEL}", digest)
    assert pinned.model_sha256 == args["MODEL_SHA256"]

    # Registered as MLflow model churn before the promotion; no server here: a loud skip.
    assert res.step("fleet", "register") == "success", res.tail()
    assert "MLflow registry: NOT registered" in res.step_log("fleet", "register")

    # Signed, with its SBOM attested: exactly the digest the registry answered for the model
    # image (not a tag, not the runtime's), and before the promotion: the job's work tree had
    # no promotion commit yet when cosign ran.
    calls = rel.cosign_calls()
    assert [(c["argv"][0], c["argv"][-1]) for c in calls] == [("sign", image), ("attest", image)]
    assert {c["head"] for c in calls} == {sha}, calls
    # The SBOM attested is the one made for that image (the cosign stand-in refuses any other).
    (sbom,) = [json.loads(p.read_text()) for p in res.artifacts.glob("*/*.spdx.json")]
    assert sbom["name"] == image, sbom


def test_a_fleet_image_whose_signing_fails_is_not_promoted(
    merged: Path, s3: str, tmp_path: Path
) -> None:
    rel = _release(merged, tmp_path, s3, env={"ACT_STANDIN_COSIGN_REFUSE": "sign"})
    assert rel.main() == rel.sha, "an unsigned image was promoted: a commit reached origin"
    assert rel.res.jobs.get("fleet") == "failure", rel.res.tail()
    assert rel.res.step("fleet", "promote") == "skipped", rel.res.tail()
    image, _ = _model_image(rel)  # it was built and pushed, and then refused a signature
    assert [(c["argv"][0], c["argv"][-1], c["refused"]) for c in rel.cosign_calls()] == [
        ("sign", image, True)
    ]
