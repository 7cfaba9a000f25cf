"""promote.yaml under act, both triggers, against a bare origin, the recording GitHub API and a
real MLflow server on 127.0.0.1.

workflow_dispatch: pushes promote/prod-<digest> and opens its PR with PROMOTION_TOKEN; a rerun
reuses the branch and updates the PR; a 403 fails the step in one line (and, without
PROMOTION_TOKEN, the job warns that the PR's checks will not run). With model=churn (a fleet
model staged in its world) the branch is promote/prod-churn-<digest12> and touches only
deploy/prod/churn.yaml; a hostile model input fails the step in one line and pushes nothing.
push to main touching the prod overlay (the PR merged): sync-alias points the MLflow prod
alias at what Git pins; a merged prod PR of fleet model churn (deploy/prod/churn.yaml) moves
churn's own prod alias and leaves credit-scoring's alone.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.act.harness import REPO_SLUG, ActResult, Store, push_event, run_workflow
from tests.act.pinned import pinned_origin, place_outputs
from tests.conftest import run
from tests.fleet_standins import pin_standins
from tests.github_api import FORBIDDEN, serve

pytestmark = [pytest.mark.e2e, pytest.mark.act]
IMAGE = "ghcr.io/acme/credit-scoring@sha256:" + "e" * 64
BRANCH = "promote/prod-" + "e" * 12
NO_REGISTRY = {"MODEL_REGISTRY": "0"}
TAG = "promote.yaml"


@pytest.fixture(scope="module")
def staged(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare origin of our own pinning stand-in train outputs, IMAGE promoted to staging."""
    bare, seed = pinned_origin(origin, tmp_path_factory.mktemp("act-promote"), TAG)
    place_outputs(seed, TAG)
    run(["model", "promote", "staging", "--image", IMAGE, "--push"], seed, env=NO_REGISTRY)
    return bare


def _clone(bare: Path, dest: Path, ref: str = "main") -> Path:
    run(["git", "clone", "-q", "-b", ref, str(bare), str(dest)], dest.parent)
    return dest


def _dispatch(repo: Path) -> dict[str, object]:
    return {
        "inputs": {"image": IMAGE}, "ref": "refs/heads/main",
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip


def _error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "error:" in line]


def test_dispatch_opens_the_pr_a_rerun_updates_it_and_a_403_fails_in_one_line(
    staged: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "world")
    with serve() as api:
        for attempt in (1, 2):
            repo = _clone(staged, tmp_path / f"run{attempt}")
            res = run_workflow(
                repo, "promote.yaml", "workflow_dispatch", _dispatch(repo), origin=staged,
                store=store, env={"GITHUB_API_URL": api.url},
                secrets={"PROMOTION_TOKEN": "app-token"}, job="open-pr",
            )  # fmt: skip
            assert res.jobs.get("open-pr") == "success", f"run {attempt}:\n{res.tail()}"
            assert res.step("open-pr", "token-warning") == "skipped"
        tip = run(["git", "--git-dir", str(staged), "rev-parse", BRANCH], tmp_path).stdout
        assert [w.method for w in api.writes()] == ["POST", "PATCH"]
        post = api.writes()[0]
        assert post.body["head"] == BRANCH and post.body["base"] == "main"
        assert post.headers["Authorization"] == "Bearer app-token"

        api.refuse = (403, FORBIDDEN)  # and no PROMOTION_TOKEN: GITHUB_TOKEN's usual refusal
        repo = _clone(staged, tmp_path / "run3")
        res = run_workflow(
            repo, "promote.yaml", "workflow_dispatch", _dispatch(repo), origin=staged,
            store=store, env={"GITHUB_API_URL": api.url},
            secrets={"GITHUB_TOKEN": "gh-token"}, job="open-pr",
        )  # fmt: skip
    assert res.jobs.get("open-pr") == "failure", res.tail()
    assert res.step("open-pr", "token-warning") == "success"
    assert "PROMOTION_TOKEN is not set" in res.log  # act consumes ::warning:: into its log
    assert res.step("open-pr", "promote") == "failure"
    log = res.step_log("open-pr", "promote")
    assert "Traceback" not in log
    (line,) = _error_lines(log)
    assert "403" in line and FORBIDDEN in line and "PROMOTION_TOKEN" in line
    assert run(["git", "--git-dir", str(staged), "rev-parse", BRANCH], tmp_path).stdout == tip


def test_dispatch_with_github_unreachable_fails_in_one_line(staged: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    repo = _clone(staged, tmp_path / "run")
    res = run_workflow(
        repo, "promote.yaml", "workflow_dispatch", _dispatch(repo), origin=staged,
        store=Store(tmp_path / "world"), env={"GITHUB_API_URL": f"http://127.0.0.1:{port}"},
        secrets={"PROMOTION_TOKEN": "app-token"}, job="open-pr",
    )  # fmt: skip
    assert res.step("open-pr", "promote") == "failure", res.tail()
    log = res.step_log("open-pr", "promote")
    (line,) = _error_lines(log)
    assert "Traceback" not in log and f"could not reach GitHub at http://127.0.0.1:{port}" in line


def _alias(uri: str, alias: str, name: str = "credit-scoring") -> dict[str, object]:
    query = urllib.parse.urlencode({"name": name, "alias": alias})
    url = f"{uri}/api/2.0/mlflow/registered-models/alias?{query}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())["model_version"]


def _sync_alias(origin: Path, mlflow_server: str, tmp_path: Path) -> ActResult:
    """promote.yaml's sync-alias job on a push to `origin`'s main; it must succeed."""
    repo = _clone(origin, tmp_path / "repo")
    res = run_workflow(
        repo, "promote.yaml", "push", push_event(repo), origin=origin,
        store=Store(tmp_path / "world"), secrets={"MLFLOW_TRACKING_URI": mlflow_server},
        job="sync-alias",
    )  # fmt: skip
    assert res.jobs.get("sync-alias") == "success", res.tail()
    return res


def test_merged_prod_promotion_syncs_the_mlflow_alias(
    staged: Path, mlflow_server: str, tmp_path: Path
) -> None:
    seed = _clone(staged, tmp_path / "seed")
    model_sha = place_outputs(seed, TAG)
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "register", "--image", IMAGE], seed, env=env)
    run(["model", "promote", "prod", "--image", IMAGE, "--push", "--direct"], seed, env=NO_REGISTRY)
    res = _sync_alias(staged, mlflow_server, tmp_path)
    version = _alias(mlflow_server, "prod")
    tags = {t["key"]: t["value"] for t in version["tags"]}  # type: ignore[union-attr]
    assert tags["model_sha256"] == model_sha
    assert "MLflow alias prod -> credit-scoring v" in res.step_log("sync-alias", "sync")


CHURN_IMAGE = "ghcr.io/acme/churn@sha256:" + "c" * 64
CHURN_BRANCH = "promote/prod-churn-" + "c" * 12


@pytest.fixture(scope="module")
def fleet_staged(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare origin whose main holds fleet/churn, CHURN_IMAGE promoted to staging for churn."""
    base = tmp_path_factory.mktemp("act-promote-fleet")
    bare, seed = base / "origin.git", base / "seed"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    run(["git", "clone", "-q", str(bare), str(seed)], base)
    # What `dvc pull` in fleet/churn leaves (git-ignored): the trained model's digest.
    (seed / "fleet/churn/models/model.sha256").write_text("d" * 64 + "\n")
    staging = ["model", "promote", "staging", "--model", "churn", "--image", CHURN_IMAGE, "--push"]
    run(staging, seed, env=NO_REGISTRY)
    return bare


def _promote_refs(bare: Path) -> str:
    refs = ["git", "--git-dir", str(bare), "for-each-ref", "refs/heads/promote/"]
    return run(refs, bare.parent).stdout


def _dispatch_model(model: str) -> dict[str, object]:
    return {
        "inputs": {"model": model, "image": CHURN_IMAGE}, "ref": "refs/heads/main",
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip


def test_dispatch_for_a_fleet_model_opens_its_pr_touching_only_its_release_file(
    fleet_staged: Path, tmp_path: Path
) -> None:
    with serve() as api:
        repo = _clone(fleet_staged, tmp_path / "run")
        res = run_workflow(
            repo, "promote.yaml", "workflow_dispatch", _dispatch_model("churn"),
            origin=fleet_staged, store=Store(tmp_path / "world"), env={"GITHUB_API_URL": api.url},
            secrets={"PROMOTION_TOKEN": "app-token"}, job="open-pr",
        )  # fmt: skip
        assert res.jobs.get("open-pr") == "success", res.tail()
        (post,) = api.writes()
    assert post.method == "POST" and post.body["head"] == CHURN_BRANCH
    assert post.body["base"] == "main"
    git_dir = ["git", "--git-dir", str(fleet_staged)]
    changed = run([*git_dir, "diff", "--name-only", "main", CHURN_BRANCH], tmp_path).stdout.split()
    assert changed == ["deploy/prod/churn.yaml"]
    trailers = run([*git_dir, "log", "-1", "--format=%(trailers)", CHURN_BRANCH], tmp_path).stdout
    assert "Model: churn" in trailers and "Environment: prod" in trailers
    pinned = run([*git_dir, "show", f"{CHURN_BRANCH}:deploy/prod/churn.yaml"], tmp_path).stdout
    assert "c" * 64 in pinned


# A shell command, make's own expansion (were the recipe to say $(MODEL)), a path escape.
@pytest.mark.parametrize("hostile", ["churn; touch {flag}", "$(shell touch {flag})", "../prod"])
def test_a_hostile_model_input_fails_the_job_and_pushes_nothing(
    fleet_staged: Path, tmp_path: Path, hostile: str
) -> None:
    flag = tmp_path / "injected"
    before = _promote_refs(fleet_staged)
    with serve() as api:
        repo = _clone(fleet_staged, tmp_path / "run")
        res = run_workflow(
            repo, "promote.yaml", "workflow_dispatch", _dispatch_model(hostile.format(flag=flag)),
            origin=fleet_staged, store=Store(tmp_path / "world"), env={"GITHUB_API_URL": api.url},
            secrets={"PROMOTION_TOKEN": "app-token"}, job="open-pr",
        )  # fmt: skip
        assert api.writes() == []
    assert res.jobs.get("open-pr") == "failure", res.tail()
    assert res.step("open-pr", "promote") == "failure"
    log = res.step_log("open-pr", "promote")
    (line,) = _error_lines(log)
    assert "Traceback" not in log and "model name: expected" in line
    assert repr(hostile.format(flag=flag)) in line  # refused by name, not for some other reason
    assert not flag.exists()
    assert _promote_refs(fleet_staged) == before


def _alias_or_none(uri: str, alias: str) -> dict[str, object] | None:
    try:
        return _alias(uri, alias)
    except urllib.error.HTTPError:  # 404: the alias is not set
        return None


def test_merged_prod_promotion_of_a_fleet_model_syncs_its_own_alias(
    origin: Path, mlflow_server: str, tmp_path: Path
) -> None:
    bare, seed = tmp_path / "origin.git", tmp_path / "seed"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], tmp_path)
    run(["git", "clone", "-q", str(bare), str(seed)], tmp_path)
    model_sha = pin_standins(seed, "churn", TAG)
    run(["git", "push", "-q", "origin", "main"], seed)
    registry = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "register", "--model", "churn", "--image", CHURN_IMAGE], seed, env=registry)
    for env in ("staging", "prod"):  # prod: pushes the review branch promote/prod-churn-…
        promote = ["model", "promote", env, "--model", "churn", "--image", CHURN_IMAGE, "--push"]
        run(promote, seed, env=NO_REGISTRY)
    # The PR merges (a merge commit: the promotion's trailers are on its second parent).
    run(["git", "checkout", "-q", "main"], seed)  # promote left the seed on the review branch
    merge = f"Merge pull request #7 from acme/{CHURN_BRANCH}"
    run(["git", "merge", "-q", "--no-ff", "-m", merge, f"origin/{CHURN_BRANCH}"], seed)
    run(["git", "push", "-q", "origin", "main"], seed)
    before = _alias_or_none(mlflow_server, "prod")

    res = _sync_alias(bare, mlflow_server, tmp_path)
    version = _alias(mlflow_server, "prod", "churn")
    tags = {t["key"]: t["value"] for t in version["tags"]}  # type: ignore[union-attr]
    assert tags["model_sha256"] == model_sha and tags["model"] == "churn"
    log = res.step_log("sync-alias", "sync")
    assert f"MLflow alias prod -> churn v{version['version']}" in log
    assert "credit-scoring" not in log  # the merge re-pinned churn only
    assert _alias_or_none(mlflow_server, "prod") == before
