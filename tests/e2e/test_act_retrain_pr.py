"""retrain-pr.yaml under act: a pushed retrain/… branch gets its PR, once, through the REST API.

GitHub's API is the recording stand-in (tests/github_api.py) on 127.0.0.1; the workflow runs
exactly as on GitHub otherwise (checkout, pinned uv, `make env`, `model workflows open-pr`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.act.harness import REPO_SLUG, Store, push_event, run_workflow
from tests.conftest import run
from tests.github_api import serve

pytestmark = [pytest.mark.e2e, pytest.mark.act]
BRANCH = "retrain/drift-20261126"


def test_retrain_branch_push_opens_its_pr_and_a_rerun_updates_it(
    origin: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(origin), str(repo)], tmp_path)
    run(["git", "switch", "-q", "-c", BRANCH], repo)
    (repo / "params.yaml").write_text((repo / "params.yaml").read_text() + "# retrained\n")
    run(["git", "commit", "-qam", "retrain: drift"], repo)
    run(["git", "push", "-q", "origin", BRANCH], repo)
    store = Store(tmp_path / "world")
    with serve() as api:
        for attempt in (1, 2):
            res = run_workflow(
                repo, "retrain-pr.yaml", "push", push_event(repo, BRANCH), origin=origin,
                store=store, env={"GITHUB_API_URL": api.url}, secrets={"REPO_TOKEN": "app-token"},
            )  # fmt: skip
            assert res.jobs.get("open-pr") == "success", f"run {attempt}:\n{res.tail()}"
        writes = api.writes()
    assert [w.method for w in writes] == ["POST", "PATCH"]
    post = writes[0]
    assert post.path == f"/repos/{REPO_SLUG}/pulls"
    assert post.body["head"] == BRANCH and post.body["base"] == "main"
    assert post.body["title"] == "Retrain: drift-20261126"
    assert post.headers["Authorization"] == "Bearer app-token"
