"""pr-comment.yaml on `workflow_run`, under act: a hostile report artifact publishes nothing.

The artifact is docs/example-report (a real `model report` output, committed) with crafted
edits standing in for what a fork's pr.yaml could upload: a report.md that links the runner's
files, HTML, traversal and absolute plot names, a symlinked PNG. The `cml` stand-in records
the posted body and emulates CML's publish step (it reads every local file the markdown links
to unless --no-publish), so the test sees exactly what GitHub would have received.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.act.harness import REPO_SLUG, Store, run_workflow
from tests.conftest import ROOT, run

pytestmark = [pytest.mark.e2e, pytest.mark.act]
CML = ROOT / "tests" / "act" / "cml" / "cml"
EXAMPLE = ROOT / "docs" / "example-report"
SECRET = "runner-secret-file: do not publish\n"


def _hostile_artifact(folder: Path, secret: Path) -> None:
    shutil.copytree(EXAMPLE, folder)
    (folder / "report.md").write_text(
        f"# pwned\n![x](../../etc/passwd) ![y]({secret}) <img src=x onerror=alert(1)>\n"
    )
    report = json.loads((folder / "report.json").read_text())
    report["verdict"] = f"![s]({secret}) <script>alert(1)</script>"
    report["head"]["label"] = "pr`](../../etc/passwd)"
    report["plots"] = ["roc.png", "../../etc/passwd", str(secret), "pr.png"]
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "pr.png").unlink()
    (folder / "pr.png").symlink_to(secret)


def test_pr_comment_posts_a_rebuilt_body_and_publishes_nothing(
    origin: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(origin), str(repo)], tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    store = Store(tmp_path / "world")
    _hostile_artifact(store.artifacts / "model-report", secret)
    record = tmp_path / "cml.jsonl"
    sha = "b" * 40
    event = {
        "action": "completed",
        "workflow_run": {"id": 4242, "head_sha": sha, "event": "pull_request",
                         "conclusion": "failure", "head_branch": "tune"},
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip
    res = run_workflow(
        repo, "pr-comment.yaml", "workflow_run", event, origin=origin, store=store,
        env={"CML": str(CML), "CML_STANDIN_RECORD": str(record)}, timeout=900,
    )  # fmt: skip
    assert res.jobs.get("comment") == "success", res.tail()
    (call,) = [json.loads(line) for line in record.read_text().splitlines()]
    args, body = call["args"], call["body"]
    assert args[:2] == ["comment", "update"] and "--no-publish" in args
    assert f"--commit-sha={sha}" in args
    assert call["published"] == []
    assert SECRET.strip() not in body and "root:x" not in body
    assert "<img" not in body and "<script" not in body and "# pwned" not in body
    assert "](../" not in body and f"]({secret}" not in body
    assert "`roc.png`" in body and "`pr.png` withheld" in body
    assert f"](https://github.com/{REPO_SLUG}/actions/runs/4242)" in body


@pytest.mark.security
def test_a_hostile_head_sha_stops_before_cml(origin: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    run(["git", "clone", "-q", str(origin), str(repo)], tmp_path)
    store = Store(tmp_path / "world")
    shutil.copytree(EXAMPLE, store.artifacts / "model-report")
    record, marker = tmp_path / "cml.jsonl", tmp_path / "pwned"
    event = {
        "action": "completed",
        "workflow_run": {"id": 4243, "head_sha": f'x" --target=commit/1 "$(touch {marker})',
                         "event": "pull_request", "conclusion": "success"},
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip
    res = run_workflow(
        repo, "pr-comment.yaml", "workflow_run", event, origin=origin, store=store,
        env={"CML": str(CML), "CML_STANDIN_RECORD": str(record)}, timeout=900,
    )  # fmt: skip
    assert res.jobs.get("comment") == "failure", res.tail()
    assert "head sha must be 40 lowercase hex" in res.log
    assert not record.exists() and not marker.exists()
