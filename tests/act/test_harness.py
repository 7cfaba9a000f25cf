"""The act harness itself, on a tiny workflow: stand-ins, stdin, outcomes, timeout.

These runs take a fraction of a second each; they pin the behaviour the workflow tests in
tests/e2e/test_act_*.py rely on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.act.harness import (
    ActHarnessError,
    ActResult,
    Store,
    local_repository_args,
    pull_request_event,
    push_event,
    run_workflow,
)
from tests.act.recorder import recording_server
from tests.conftest import run
from tests.tools import require

pytestmark = [pytest.mark.e2e, pytest.mark.act]

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
SETUP_UV = "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d"
CACHE = "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"

WORKFLOW = f"""
name: tiny
on: [push, pull_request]
jobs:
  one:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
        with: {{fetch-depth: 0}}
      - uses: {SETUP_UV}
        with: {{version: "${{{{ vars.UV_PIN }}}}"}}
      - uses: {CACHE}
        id: cache
        with: {{path: store, key: "k-${{{{ hashFiles('payload.txt') }}}}", restore-keys: k-}}
      - id: facts
        run: |
          uv --version
          test -t 0 && echo "stdin is a terminal" || echo "stdin is not a terminal"
          read -r line || echo "read hit EOF"
          git rev-parse HEAD origin/main
          echo "hit=${{{{ steps.cache.outputs.cache-hit }}}} secret=${{{{ secrets.TOKEN }}}}"
          ls store 2>/dev/null || echo "store empty"
          mkdir -p store out && cp payload.txt store/ && cp payload.txt out/
      - id: api
        run: >-
          curl -sf -X POST -d '{{"x": 1}}' "$API/repos/$GITHUB_REPOSITORY/issues"
      - id: only-on-pr
        if: github.event_name == 'pull_request'
        run: echo pr
      - uses: {UPLOAD}
        with: {{name: out, path: out/, if-no-files-found: error}}
      # The cache key is computed once, before this; GitHub saves under that key.
      - run: echo changed >> payload.txt
  hang:
    if: vars.HANG == 'yes'
    runs-on: ubuntu-24.04
    steps:
      - run: sleep 600
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A work repo with the tiny workflow on main, and its bare origin."""
    base = tmp_path_factory.mktemp("act-tiny")
    src = base / "src"
    (src / ".github" / "workflows").mkdir(parents=True)
    (src / ".github" / "workflows" / "tiny.yaml").write_text(WORKFLOW)
    (src / "payload.txt").write_text("v1\n")
    run(["git", "init", "-q", "-b", "main"], src)
    run(["git", "add", "-A"], src)
    run(["git", "commit", "-q", "-m", "tiny"], src)
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(src), str(bare)], base)
    run(["git", "remote", "add", "origin", str(bare)], src)
    run(["git", "fetch", "-q", "origin"], src)
    return src, bare


def _uv_version() -> str:
    # ~/.local/bin (where `make env` puts uv) need not be on the test process's PATH.
    out = subprocess.run([require("uv"), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.split()[1] if out.returncode == 0 else "0.13.9"


def test_push_runs_the_stand_ins_with_no_terminal(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = tiny
    store = Store(tmp_path)
    with recording_server() as api:
        api.route("POST", r"/repos/acme/credit-scoring/issues", (201, {"number": 1}))
        res = run_workflow(repo, "tiny.yaml", "push", push_event(repo), origin=origin,
                           store=store, env={"API": api.url}, secrets={"TOKEN": "s3cr3t"},
                           vars={"UV_PIN": _uv_version()}, job="one")  # fmt: skip
    assert res.returncode == 0, res.tail()
    assert res.jobs == {"one": "success"}
    assert res.step("one", "facts") == "success"
    assert res.step("one", "only-on-pr") == "skipped"
    facts = res.step_log("one", "facts")
    assert "stdin is not a terminal" in facts and "read hit EOF" in facts
    head = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    assert facts.count(head) == 2, facts  # HEAD and origin/main: fetch-depth 0 fetched main
    assert "s3cr3t" not in res.log, "act masks secrets in the log"
    assert [r.body for r in api.calls("POST", r"/repos/acme/credit-scoring/issues")] == [{"x": 1}]
    assert (store.artifacts / "out" / "payload.txt").read_text() == "v1\n"
    assert res.post["one"]["0"] == "success"
    assert any(store.cache.iterdir()), "the cache post step saved the store"


def test_the_cache_is_saved_only_by_a_green_job(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = tiny
    store = Store(tmp_path)

    def once(api: str) -> ActResult:
        shutil.rmtree(store.artifacts, ignore_errors=True)
        return run_workflow(repo, "tiny.yaml", "push", push_event(repo), origin=origin,
                            store=store, env={"API": api}, vars={"UV_PIN": _uv_version()},
                            job="one")  # fmt: skip

    red = once("http://127.0.0.1:9")  # nothing listens there: the api step fails
    assert red.step("one", "api") == "failure"
    assert not any(store.cache.iterdir()), "a failed job saved the cache"
    with recording_server() as api:
        api.route("POST", r"/repos/[^/]+/[^/]+/issues", (201, {}))
        first, second = once(api.url), once(api.url)
    assert "hit=false" in first.step_log("one", "facts")
    assert "hit=true" in second.step_log("one", "facts")
    assert "payload.txt" in second.step_log("one", "facts")


def test_pull_request_payload_and_a_wrong_uv_pin(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = tiny
    res = run_workflow(repo, "tiny.yaml", "pull_request", pull_request_event(repo, 3, "main"),
                       origin=origin, store=Store(tmp_path), vars={"UV_PIN": "0.0.1"},
                       job="one")  # fmt: skip
    assert res.returncode != 0
    assert res.step("one", "1") == "failure"
    assert "expected uv 0.0.1" in res.log
    assert res.step("one", "facts") == "skipped"


def test_a_hung_step_fails_fast_with_the_log(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = tiny
    with pytest.raises(ActHarnessError, match="did not finish within 5s") as err:
        run_workflow(repo, "tiny.yaml", "push", push_event(repo), origin=origin,
                     store=Store(tmp_path), vars={"HANG": "yes"}, job="hang",
                     timeout=5)  # fmt: skip
    assert "sleep 600" in str(err.value)
    left = subprocess.run(["pgrep", "-f", "sleep 600"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "the hung step's process was killed"


def test_an_action_without_a_stand_in_is_refused(tmp_path: Path) -> None:
    wf = tmp_path / "w.yaml"
    wf.write_text("jobs:\n  j:\n    steps:\n      - uses: evil/action@" + "a" * 40 + "\n")
    with pytest.raises(ActHarnessError, match="no stand-in"):
        local_repository_args(wf)


@pytest.mark.parametrize("name, value", [("A;rm", "x"), ("OK", "line\nINJECTED=1")])
def test_hostile_env_names_and_values_are_refused(
    tiny: tuple[Path, Path], tmp_path: Path, name: str, value: str
) -> None:
    repo, origin = tiny
    with pytest.raises(ActHarnessError, match="expected a NAME"):
        run_workflow(repo, "tiny.yaml", "push", push_event(repo), origin=origin,
                     store=Store(tmp_path), env={name: value})  # fmt: skip


def test_the_recorder_answers_404_to_unrouted_calls() -> None:
    with recording_server() as api:
        req = urllib.request.Request(f"{api.url}/nope", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 404
        assert json.loads(err.value.read())["message"].startswith("stand-in: no route")
    assert [r.path for r in api.requests] == ["/nope"]
