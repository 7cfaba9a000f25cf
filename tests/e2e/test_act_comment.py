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
from typing import Any

import pytest

from tests.act.harness import REPO_SLUG, ActResult, Store, run_workflow
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


def post_comment(
    origin: Path, where: Path, artifact: Path, head_sha: str, run_id: int = 4242,
    name: str = "model-report",
) -> tuple[ActResult, list[dict[str, Any]]]:  # fmt: skip
    """Run pr-comment.yaml on `artifact` (a model-report folder, e.g. from a pr.yaml run).

    `name` is the artifact's name (model-report-<model> for a fleet model). Returns the act
    result and the calls the cml stand-in recorded. pr.yaml tests can chain this with the
    artifact their run uploaded.
    """
    repo = where / "comment-repo"
    run(["git", "clone", "-q", str(origin), str(repo)], where)
    store = Store(where / "comment-world")
    shutil.copytree(artifact, store.artifacts / name, symlinks=True)
    record = where / "cml.jsonl"
    event = {
        "action": "completed",
        "workflow_run": {"id": run_id, "head_sha": head_sha, "event": "pull_request",
                         "conclusion": "failure", "head_branch": "tune"},
        "repository": {"full_name": REPO_SLUG, "default_branch": "main"},
    }  # fmt: skip
    res = run_workflow(
        repo, "pr-comment.yaml", "workflow_run", event, origin=origin, store=store,
        env={"CML": str(CML), "CML_STANDIN_RECORD": str(record)}, timeout=900,
    )  # fmt: skip
    calls = (
        [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    )
    return res, calls


def test_pr_comment_posts_a_rebuilt_body_and_publishes_nothing(
    origin: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    _hostile_artifact(tmp_path / "artifact", secret)
    sha = "b" * 40
    res, calls = post_comment(origin, tmp_path, tmp_path / "artifact", sha)
    assert res.jobs.get("comment") == "success", res.tail()
    (call,) = calls
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
    marker = tmp_path / "pwned"
    sha = f'x" --target=commit/1 "$(touch {marker})'
    res, calls = post_comment(origin, tmp_path, EXAMPLE, sha, run_id=4243)
    assert res.jobs.get("comment") == "failure", res.tail()
    assert "head sha must be 40 lowercase hex" in res.log
    assert calls == [] and not marker.exists()
