"""pr.yaml as GitHub runs it (nektos/act, self-hosted, stand-ins from tests/act).

One world per module: a bare origin whose main carries a consistent dvc.lock, a push to main
(which fills the DVC cache PRs restore, as the workflow intends), then one pull request per
test, each touching the root model only (so `changed` runs `review` and no `fleet-review`):
worse model, neutral change, tampered dvc.lock. Each asserts the step conclusions and
the artifact the trusted pr-comment job would receive. The release's DVC remote (the project's
`s3` remote, on moto at 127.0.0.1) holds main's model, as a release leaves it, so the PR job's
remote-status step has both answers to give: held (neutral PR) and missing (worse model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.act.harness import ActResult, Store, pull_request_event, push_event, run_workflow
from tests.conftest import clone, run
from tests.e2e.test_act_comment import post_comment
from tests.moto_s3 import BUCKET, CREDENTIALS, PREFIX, client, put_dvc_object, serve_s3
from tests.pr_edits import NO_TRACKING, fewer_trees, forge_train_output

pytestmark = [pytest.mark.e2e, pytest.mark.act]

JOB = "review"
REPORT_FILES = {"report.json", "report.md", "lock.json", "roc.png", "pr.png"}


@dataclass(frozen=True)
class World:
    """The scratch repository, its bare origin, the shared stores and main's push run."""

    ws: Path
    origin: Path
    store: Store
    push: ActResult
    s3: str  # the release's DVC remote (moto), holding main's train outputs


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        yield url


def s3_env(url: str) -> dict[str, str]:
    """The runner's environment for the `s3` remote on moto (which needs some signature)."""
    return {"AWS_ENDPOINT_URL_S3": url, **CREDENTIALS}


def remote_md5s(url: str) -> set[str]:
    """Every md5 the s3 DVC remote holds."""
    listed = client(url).list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/files/md5/")
    return {"".join(obj["Key"].split("/")[-2:]) for obj in listed.get("Contents", [])}


def train_outs(ws: Path, rev: str = "HEAD") -> dict[str, str]:
    """path -> md5 of the train outputs dvc.lock pins at `rev`."""
    lock = yaml.safe_load(run(["git", "show", f"{rev}:dvc.lock"], ws).stdout)
    return {out["path"]: out["md5"] for out in lock["stages"]["train"]["outs"]}


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


@pytest.fixture(scope="module")
def world(
    origin: Path, dvc_remote: Path, s3: str, tmp_path_factory: pytest.TempPathFactory
) -> World:
    """main with a dvc.lock written for its own code, pushed; then pr.yaml on that push."""
    base = tmp_path_factory.mktemp("act-pr")
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    ws = clone(bare, base / "ws", dvc_remote)
    # The origin snapshot is a shared work tree; its lock may trail a code edit in progress.
    run(["model", "data", "pull"], ws, env=NO_TRACKING)
    run(["dvc", "repro", "--quiet"], ws, env=NO_TRACKING)
    git(ws, "commit", "-q", "--allow-empty", "-m", "main: dvc.lock for this code", "dvc.lock")
    git(ws, "push", "-q", "origin", "main")
    for path, md5 in train_outs(ws).items():  # what main's release pushed
        put_dvc_object(s3, md5, (ws / path).read_bytes())
    store = Store(base / "store")
    push = run_workflow(ws, "pr.yaml", "push", push_event(ws), origin=bare, store=store,
                        env=s3_env(s3))  # fmt: skip
    return World(ws, bare, store, push, s3)


def pull_request(world: World, tmp_path: Path, name: str,
                 change: Callable[[Path], object]) -> tuple[ActResult, Path]:  # fmt: skip
    """Branch off main, apply `change`, commit, push, run pr.yaml on the pull_request."""
    ws = world.ws
    git(ws, "checkout", "-q", "-B", name, "main")
    try:
        change(ws)
        git(ws, "commit", "-qam", f"PR: {name}")
        git(ws, "push", "-q", "-f", "origin", name)
        store = Store(world.store.root, artifacts_dir=tmp_path / "artifacts")
        event = pull_request_event(ws, number=len(name), head_ref=name)
        result = run_workflow(ws, "pr.yaml", "pull_request", event, origin=world.origin,
                              store=store, env=s3_env(world.s3))  # fmt: skip
    finally:
        git(ws, "checkout", "-q", "-f", "main")
        # The root pipeline only: fleet/<model>/ data is not in this scratch cache.
        run(["dvc", "checkout", "--quiet", "--force", "dvc.yaml", "data.dvc"], ws)
    return result, store.artifacts / "model-report"


def ran(res: ActResult) -> dict[str, str]:
    """The jobs that ran and their results (act reports no result for a skipped job)."""
    return {job: result for job, result in res.jobs.items() if result != "skipped"}


def root_only(review: str) -> dict[str, str]:
    """The jobs of a run that reviews the root model alone; `gate` follows its review."""
    return {"changed": "success", JOB: review, "gate": review}


def report_json(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def test_push_to_main_runs_the_pipeline_and_fills_the_cache(world: World) -> None:
    res = world.push
    assert ran(res) == root_only("success"), res.tail()
    assert res.step(JOB, "pipeline") == "success"
    for step in ("remote", "lock", "report"):
        assert res.step(JOB, step) == "skipped", f"{step} runs on pull requests only"
    assert not (world.store.artifacts / "model-report").exists(), "push uploads no report"
    saved = [p for p in world.store.cache.iterdir() if p.name.startswith("dvc-cache-")]
    assert saved and any((saved[0] / "files" / "md5").iterdir()), "main's outputs are cached"


def test_a_worse_model_fails_its_gate_with_the_report_uploaded(
    world: World, tmp_path: Path
) -> None:
    before = remote_md5s(world.s3)
    res, artifact = pull_request(world, tmp_path, "fewer-trees", fewer_trees)
    assert ran(res) == root_only("failure"), res.tail()
    assert res.step(JOB, "pipeline") == "success"
    # A new model: the release's remote lacks it, the job says so, and PR jobs never push.
    assert res.step(JOB, "remote") == "success", res.step_log(JOB, "remote")
    outs = train_outs(world.ws, "fewer-trees")
    assert "model on the DVC remote: missing. DVC remote `s3` lacks 4 of 4" in res.step_log(
        JOB, "remote"
    ), res.step_log(JOB, "remote")
    assert remote_md5s(world.s3) == before and not set(outs.values()) & before
    assert res.step(JOB, "lock") == "success", res.step_log(JOB, "lock")
    assert res.step(JOB, "report") == "failure"
    assert {p.name for p in artifact.iterdir()} >= REPORT_FILES
    data = report_json(artifact)
    assert data["passed"] is False and data["verdict"].startswith("❌ Gate failed")
    assert json.loads((artifact / "lock.json").read_text())["reproducible"] is True
    assert "train.n_estimators" in (artifact / "report.md").read_text()
    # The trusted half: pr-comment.yaml on `workflow_run` posts this run's own artifact.
    head = git(world.ws, "rev-parse", "fewer-trees")
    comment, calls = post_comment(world.origin, tmp_path, artifact, head)
    assert comment.jobs.get("comment") == "success", comment.tail()
    (call,) = calls
    assert "--no-publish" in call["args"] and call["body"].startswith("**❌ Gate failed")


def readme_only(ws: Path) -> None:
    (ws / "README.md").write_text((ws / "README.md").read_text() + "\nA clearer sentence.\n")


def gate_comment(ws: Path) -> None:
    """A root-model file whose edit changes no output: a comment in the gate policy."""
    policy = ws / ".github" / "promotion-gate.yaml"
    policy.write_text(policy.read_text() + "# A clearer sentence.\n")


def test_a_docs_only_pr_reviews_no_model_and_passes_its_gate(world: World, tmp_path: Path) -> None:
    res, artifact = pull_request(world, tmp_path, "readme-only", readme_only)
    assert ran(res) == {"changed": "success", "gate": "success"}, res.tail()
    assert not artifact.exists(), "no model changed: no report"


def test_a_neutral_pr_passes_with_reproducible_lock(world: World, tmp_path: Path) -> None:
    res, artifact = pull_request(world, tmp_path, "gate-comment", gate_comment)
    assert ran(res) == root_only("success"), res.tail()
    assert [res.step(JOB, s) for s in ("pipeline", "remote", "lock", "report")] == ["success"] * 4
    # Same model as main: main's release already pushed it.
    held = "model on the DVC remote: held. DVC remote `s3` already holds all 4 `train` outputs"
    assert held in res.step_log(JOB, "remote"), res.step_log(JOB, "remote")
    data = report_json(artifact)
    assert data["passed"] is True, data["verdict"]
    assert data["verdict"] == "✅ Gate passed: no significant change"
    assert data["base"]["rev"] == git(world.ws, "rev-parse", "main")
    assert data["reproducibility"]["reproducible"] is True  # once always "Not checked"
    assert "reproduced every output in dvc.lock" in (artifact / "report.md").read_text()


def forged_lock(ws: Path) -> None:
    readme_only(ws)
    forge_train_output(ws / "dvc.lock")


def test_a_tampered_lock_fails_verify_lock_naming_the_stage(world: World, tmp_path: Path) -> None:
    res, artifact = pull_request(world, tmp_path, "forged-lock", forged_lock)
    assert ran(res) == root_only("failure"), res.tail()
    assert res.step(JOB, "lock") == "failure"
    assert "not reproducible" in res.step_log(JOB, "lock")
    assert res.step(JOB, "report") == "failure", "the report still runs and carries the verdict"
    lock = json.loads((artifact / "lock.json").read_text())
    assert lock["reproducible"] is False and lock["differing_stages"] == ["train"]
    data = report_json(artifact)
    assert data["passed"] is False and "reproducibility" in data["verdict"]
