"""release.yaml under act, against a bare origin, the default `s3` DVC remote on moto and a
real MLflow server, all on 127.0.0.1.

build (push to main): runs to the registry login, the first step that needs a registry (its
stand-in stops the job there); everything before it is asserted: the model pulled from S3,
the release facts, the image tags and labels. When S3 lacks the model dvc.lock pins (nobody
pushed the PR's outputs), build rebuilds it, checks it against dvc.lock and pushes it.
promote (workflow_dispatch with an image an earlier run built): pulls the model, registers it
from the release facts (linking the MLflow run that logged it), and pushes a staging
promotion whose trailers record that run.
trainer (push to main): logs in to a registry stand-in on 127.0.0.1 (tests/act/registry.py),
pushes the `trainer` target there, and lands a commit on main that pins the digest the
registry answered in k8s/workflows/kustomization.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from model.gitops import facts as release_facts
from tests.act.harness import REPO_SLUG, ActResult, Store, push_event, run_workflow
from tests.act.pinned import pinned_origin, place_outputs
from tests.act.registry import registry_server
from tests.conftest import clone, run
from tests.e2e.test_act_pr import remote_md5s, train_outs
from tests.loopback import mlflow_api
from tests.moto_s3 import CREDENTIALS, delete_dvc_objects, put_dvc_object, serve_s3
from tests.pr_edits import NO_TRACKING

pytestmark = [pytest.mark.e2e, pytest.mark.act]
IMAGE = "ghcr.io/acme/credit-scoring@sha256:" + "f" * 64
TAG = "release.yaml"
SECRETS = {"DVC_AWS_ACCESS_KEY_ID": "testing", "DVC_AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        yield url


@pytest.fixture(scope="module")
def released(origin: Path, s3: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare origin whose dvc.lock pins stand-in train outputs, stored in the s3 remote."""

    def to_s3(md5: str, data: bytes) -> None:
        put_dvc_object(s3, md5, data)

    bare, _ = pinned_origin(origin, tmp_path_factory.mktemp("act-release"), TAG, to_s3)
    return bare


def _env(s3: str) -> dict[str, str]:
    # The project's `s3` remote, pointed at moto the way AWS SDKs allow: by environment.
    return {"AWS_ENDPOINT_URL_S3": s3, "AWS_DEFAULT_REGION": CREDENTIALS["AWS_DEFAULT_REGION"]}


def _build(origin: Path, s3: str, tmp_path: Path) -> tuple[Path, str, ActResult]:
    """Clone `origin` and run release.yaml's build job on a push: (clone, its HEAD, result)."""
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(origin), str(repo)], tmp_path)
    sha = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    res = run_workflow(
        repo, "release.yaml", "push", push_event(repo), origin=origin,
        store=Store(tmp_path / "world"), env=_env(s3), secrets=SECRETS, job="build",
    )  # fmt: skip
    return repo, sha, res


def _dispatch(image: str) -> dict[str, object]:
    """The workflow_dispatch event that promotes `image` from main."""
    return {
        "inputs": {"image": image}, "ref": "refs/heads/main",
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip


def test_build_runs_to_the_registry_login_with_everything_before_it_done(
    released: Path, s3: str, tmp_path: Path
) -> None:
    repo, sha, res = _build(released, s3, tmp_path)
    for step in ("model", "facts", "meta"):
        assert res.step("build", step) == "success", f"{step}:\n{res.tail()}"
    assert res.step("build", "login") == "failure", res.tail()
    assert res.step("build", "build") == "skipped" and res.jobs.get("build") == "failure"
    model_sha = place_outputs(repo, TAG, sha)
    data_md5 = yaml.safe_load((repo / "data.dvc").read_text())["outs"][0]["md5"]
    facts = res.step_log("build", "facts")
    assert f"model_sha256={model_sha}" in facts and f"model_version={model_sha[:12]}" in facts
    assert f"data_md5={data_md5}" in facts and f"revision={sha}" in facts
    meta = res.step_log("build", "meta")
    assert f"tags: ghcr.io/{REPO_SLUG}:sha-{sha}" in meta
    assert f"io.credit-scoring.model.sha256={model_sha}" in meta
    assert "docker/login-action stand-in" in res.log


def test_trainer_job_pushes_the_image_and_pins_the_registrys_digest_on_main(
    origin: Path, tmp_path: Path
) -> None:
    from model.training import render, spec

    bare = tmp_path / "origin.git"  # its own: the session's origin is shared by other tests
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], tmp_path)
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(bare), str(repo)], tmp_path)
    sha = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    with registry_server() as registry:
        res = run_workflow(
            repo, "release.yaml", "push", push_event(repo), origin=bare,
            store=Store(tmp_path / "world"), env={"ACT_STANDIN_REGISTRY_URL": registry.url},
            secrets={"GITHUB_TOKEN": "ghs_stand-in"}, job="trainer",
        )  # fmt: skip
    assert res.jobs.get("trainer") == "success", res.tail()
    name = f"{REPO_SLUG}-trainer"
    digest = registry.digest(name, f"sha-{sha}")  # what the registry computed for the push
    config = json.loads(registry.manifests[digest])["config"]
    assert registry.logins and config["mediaType"].endswith("config.v1+json")
    shown = tmp_path / "shown"
    shown.mkdir()
    (shown / "kustomization.yaml").write_text(run(
        ["git", "--git-dir", str(bare), "show", "main:k8s/workflows/kustomization.yaml"], tmp_path
    ).stdout)  # fmt: skip
    assert render.pinned_image(shown) == (f"ghcr.io/{name}", digest)
    assert name.rsplit("/", 1)[-1] == spec.TRAINER_IMAGE
    log = run(["git", "--git-dir", str(bare), "log", "-2", "--format=%P%n%(trailers)", "main"],
              tmp_path).stdout  # fmt: skip
    assert f"Trainer-Image: ghcr.io/{name}@{digest}" in log and f"Source-Commit: {sha}" in log
    assert log.splitlines()[0] == sha, "one pin commit on top of the released commit"


def _unpushed_origin(origin: Path, base: Path) -> tuple[Path, Path]:
    """(bare, seed): main pins the model its own code trains, which no DVC remote holds."""
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    seed = clone(bare, base / "seed", base / "seed-remote")
    # The origin snapshot is a shared work tree; its lock may trail a code edit in progress.
    run(["model", "data", "pull"], seed, env=NO_TRACKING)
    run(["dvc", "repro", "--quiet", "train"], seed, env=NO_TRACKING)
    run(["git", "commit", "-q", "--allow-empty", "-m", "merge: nobody pushed this model",
         "dvc.lock"], seed)  # fmt: skip
    run(["git", "push", "-q", "origin", "main"], seed)
    return bare, seed


def test_build_rebuilds_a_model_the_remote_lacks_and_pushes_it(
    origin: Path, s3: str, tmp_path: Path
) -> None:
    bare, seed = _unpushed_origin(origin, tmp_path)
    pinned = set(train_outs(seed).values())
    # The S3 server is shared by the session: an earlier act test (a PR whose remote holds
    # main's model) may have stored this very model. This test needs a remote that lacks it.
    delete_dvc_objects(s3, pinned)
    assert not pinned & remote_md5s(s3), "expected the s3 remote to lack the model"
    _, sha, res = _build(bare, s3, tmp_path)
    log = res.step_log("build", "model")
    assert res.step("build", "model") == "success", f"{log}\n{res.tail()}"
    assert "rebuilt with `dvc repro --force train`; every md5 matches dvc.lock; pushed to " \
        "remote `s3`" in log, log  # fmt: skip
    assert pinned <= remote_md5s(s3), "the rebuilt model was not pushed to the s3 remote"
    assert res.step("build", "facts") == "success", res.tail()
    model_sha = release_facts.model_sha256(seed, sha)
    assert f"model_sha256={model_sha}" in res.step_log("build", "facts")
    assert res.step("build", "login") == "failure", "runs on to the registry, as before"


def test_promote_job_from_a_given_image_registers_and_promotes_to_staging(
    released: Path, s3: str, mlflow_server: str, tmp_path: Path
) -> None:
    probe = tmp_path / "probe"
    run(["git", "clone", "-q", str(released), str(probe)], tmp_path)
    model_sha = place_outputs(probe, TAG)
    tags = [{"key": "model_sha256", "value": model_sha}]
    created = mlflow_api(mlflow_server, "POST", "runs/create", {"experiment_id": "0", "tags": tags})
    run_id = created["run"]["info"]["run_id"]  # type: ignore[index]
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(released), str(repo)], tmp_path)
    res = run_workflow(
        repo, "release.yaml", "workflow_dispatch", _dispatch(IMAGE), origin=released,
        store=Store(tmp_path / "world"), env=_env(s3),
        secrets={**SECRETS, "MLFLOW_TRACKING_URI": mlflow_server}, job="promote",
    )  # fmt: skip
    assert res.jobs.get("promote") == "success", res.tail()
    assert res.jobs.get("build") in (None, "skipped")
    assert f"from release facts (run {run_id})" in res.step_log("promote", "register")
    trailers = run(["git", "--git-dir", str(released), "log", "-1", "--format=%(trailers)",
                    "main"], tmp_path).stdout  # fmt: skip
    assert "Environment: staging" in trailers and f"Image-Digest: sha256:{'f' * 64}" in trailers
    assert f"Model-Sha256: {model_sha}" in trailers and f"Mlflow-Run: {run_id}" in trailers
    alias = mlflow_api(mlflow_server, "GET", "registered-models/alias",
                    {"name": "credit-scoring", "alias": "staging"})["model_version"]  # fmt: skip
    version_tags = {t["key"]: t["value"] for t in alias["tags"]}  # type: ignore[index]
    assert version_tags["model_sha256"] == model_sha and version_tags["image"] == IMAGE
    assert alias["run_id"] == run_id  # type: ignore[index]


def test_promote_job_signs_the_staging_promotion_with_the_release_key(
    released: Path, s3: str, mlflow_server: str, tmp_path: Path
) -> None:
    """With staging's key committed, the job imports PROMOTION_GPG_KEY and signs with it."""
    from model.demo import keys

    maker, gnupg = keys.gnupg_home(), keys.gnupg_home()
    try:
        fpr = keys.throwaway_key(maker, "Release Bot <release@example.test>")
        bare = tmp_path / "origin.git"
        run(["git", "clone", "-q", "--bare", str(released), str(bare)], tmp_path)
        seed = tmp_path / "seed"
        run(["git", "clone", "-q", str(bare), str(seed)], tmp_path)
        (seed / ".gitops/promoters").mkdir(parents=True, exist_ok=True)
        (seed / ".gitops/promoters/staging.asc").write_text(keys.public_key(maker, fpr))
        run(["git", "add", ".gitops/promoters/staging.asc"], seed)
        run(["git", "commit", "-qm", "promoters: staging release key"], seed)
        run(["git", "push", "-q", "origin", "HEAD:main"], seed)
        repo = tmp_path / "repo"
        run(["git", "clone", "-q", str(bare), str(repo)], tmp_path)
        # Its own digest: the test above may already have promoted IMAGE on this origin.
        image = IMAGE.split("@")[0] + "@sha256:" + "e" * 64
        res = run_workflow(
            repo, "release.yaml", "workflow_dispatch", _dispatch(image), origin=bare,
            store=Store(tmp_path / "world"), env={**_env(s3), "GNUPGHOME": str(gnupg)},
            secrets={**SECRETS, "MLFLOW_TRACKING_URI": mlflow_server,
                     "PROMOTION_GPG_KEY": keys.secret_key(maker, fpr)}, job="promote",
        )  # fmt: skip
        assert res.jobs.get("promote") == "success", res.tail()
        # Verify on origin with a keyring that holds only the committed public key.
        check = keys.gnupg_home()
        try:
            run(["gpg", "--homedir", str(check), "--batch", "--import",
                 str(seed / ".gitops/promoters/staging.asc")], tmp_path)  # fmt: skip
            sig = run(["git", "--git-dir", str(bare), "log", "-1", "--format=%G?%n%GF%n%(trailers)",
                       "main"], tmp_path, env={"GNUPGHOME": str(check)}).stdout  # fmt: skip
        finally:
            keys.discard(check)
        status, signer = sig.splitlines()[:2]
        # G or U: a good signature (U: the fresh keyring holds no ownertrust), by that key.
        assert status in ("G", "U") and signer == fpr, sig
        assert "Environment: staging" in sig and f"Image-Digest: sha256:{'e' * 64}" in sig
    finally:
        keys.discard(gnupg)
        keys.discard(maker)
