"""The report step's verdicts, and `model workflows submit` against a loopback HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from model.training.retrain import Outcome, branch_name
from model.training.steps import run_report
from model.training.submit import SubmitError, parse_params, submit

pytestmark = pytest.mark.unit


def write(work: Path, drift: dict[str, Any] | None, retrain: Outcome | None) -> Path:
    if drift is not None:
        (work / "drift").mkdir(parents=True)
        (work / "drift" / "drift.json").write_text(json.dumps(drift))
    if retrain is not None:
        (work / "retrain.json").write_text(retrain.to_json())
    return work


DRIFTED = {"drifted": True, "drifted_columns": ["Income"]}
STABLE = {"drifted": False, "drifted_columns": []}


def proposed(passed: bool) -> Outcome:
    return Outcome(
        "proposed",
        "a" * 32 + ".dir",
        "b" * 32 + ".dir",
        branch="retrain/drift-x",
        gate_passed=passed,
        pushed=True,
        pr_title="Retrain (drift): data aaaaaaaa -> bbbbbbbb",
        pr_body="BODY",
    )


@pytest.mark.parametrize(
    ("drift", "retrain", "expect_drift", "status", "says"),
    [
        (STABLE, None, True, "ok", "Retrain: not needed."),
        (STABLE, Outcome("unchanged", "m", "m"), True, "ok", "data md5 unchanged (m)"),
        (DRIFTED, proposed(True), True, "ok", "(pushed); report gate passed"),
        (DRIFTED, proposed(False), True, "failed", "gate **failed**"),
        (DRIFTED, None, True, "failed", "Retrain did not finish"),
        (DRIFTED, Outcome("unchanged", "m", "m"), True, "attention", "drift without new labels"),
        (None, None, True, "input", "Drift check did not finish"),
        (None, Outcome("unchanged", "m", "m"), False, "ok", "data md5 unchanged (m)"),
        (None, None, False, "failed", "Retrain did not finish"),
    ],
)
def test_report_verdicts(tmp_path: Path, drift, retrain, expect_drift, status, says) -> None:
    result = run_report(write(tmp_path, drift, retrain), expect_drift)
    assert result.status == status
    assert says in result.markdown


def test_attention_carries_the_drift_report(tmp_path: Path) -> None:
    work = write(tmp_path, DRIFTED, Outcome("unchanged", "m", "m"))
    (work / "drift" / "drift.md").write_text("# Drift report\n\n| Income | numeric | 0.9 |\n")
    result = run_report(work, drift_expected=True)
    assert result.attention and "| Income | numeric | 0.9 |" in result.markdown


def test_outcome_json_leaves_out_the_pr_body() -> None:
    data = json.loads(proposed(True).to_json())
    assert "pr_body" not in data and "BODY" not in proposed(True).to_json()
    assert data["pr_title"].startswith("Retrain (drift)") and data["gate_passed"] is True


def test_branch_name_is_slugged_and_stamped() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 11, 26, 4, 5, 6, tzinfo=UTC)
    assert branch_name("Drift: Income!", when) == "retrain/drift-income-20261126-040506"
    assert branch_name("???", when) == "retrain/manual-20261126-040506"


class ArgoServer(BaseHTTPRequestHandler):
    """Answers the submit endpoint like an Argo Server and records what it was sent."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ArgoServer.seen.append(
            {"path": self.path, "auth": self.headers["Authorization"], "body": body}
        )
        if body["resourceName"] == "missing":
            self.send_response(404)
            payload = {"code": 5, "message": 'workflowtemplates "missing" not found'}
        else:
            self.send_response(200)
            name = body["resourceName"]
            payload = {
                "metadata": {"name": f"{name}-abcde", "namespace": "ns"},
                "spec": {"workflowTemplateRef": {"name": name}},
            }
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(payload).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def argo_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), ArgoServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ArgoServer.seen.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_submit_posts_the_template_and_parameters(
    argo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGO_SERVER_URL", argo_url)
    monkeypatch.setenv("ARGO_TOKEN", "t0ken")
    run = submit(
        "credit-scoring-new-data", ["snapshot=s3://landing/2026-11-26.csv"], namespace="ns"
    )
    assert run.name == "credit-scoring-new-data-abcde"
    (seen,) = ArgoServer.seen
    assert seen["path"] == "/api/v1/workflows/ns/submit"
    assert seen["auth"] == "Bearer t0ken"
    assert seen["body"]["resourceKind"] == "WorkflowTemplate"
    assert seen["body"]["submitOptions"]["parameters"] == ["snapshot=s3://landing/2026-11-26.csv"]


def test_submit_errors_are_for_people(argo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGO_SERVER_URL", raising=False)
    with pytest.raises(SubmitError, match="set ARGO_SERVER_URL"):
        submit("credit-scoring-retrain", [])
    monkeypatch.setenv("ARGO_SERVER_URL", argo_url)
    with pytest.raises(SubmitError, match="refused or failed"):
        submit("missing", [])
    with pytest.raises(SubmitError, match="key=value"):
        parse_params(["snapshot"])


def test_open_pr_hands_off_only_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from model.cli.app import _register_commands, app
    from tests.github_api import FORBIDDEN, serve

    _register_commands()
    runner = CliRunner()
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    said = runner.invoke(app, ["workflows", "open-pr", "--branch", "retrain/drift-x"])
    assert said.exit_code == 0
    assert "would open a pull request retrain/drift-x -> main" in " ".join(said.output.split())
    assert runner.invoke(app, ["workflows", "open-pr", "--branch", "main"]).exit_code == 2
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/credit-scoring")
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    with serve() as api:  # one way to open PRs: the REST client, idempotent on rerun
        monkeypatch.setenv("GITHUB_API_URL", api.url)
        for _ in range(2):
            opened = runner.invoke(app, ["workflows", "open-pr", "--branch", "retrain/drift-x"])
            assert opened.exit_code == 0, opened.output
        assert [r.method for r in api.writes()] == ["POST", "PATCH"]
        assert api.pulls[1]["head"] == "retrain/drift-x" and api.pulls[1]["base"] == "main"
        api.refuse = (403, FORBIDDEN)
        refused = runner.invoke(app, ["workflows", "open-pr", "--branch", "retrain/drift-y"])
    assert refused.exit_code == 1 and "403" in refused.output
