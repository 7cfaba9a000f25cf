"""Shared fixtures: real git repositories, a real DVC directory remote, a real MLflow server.

`origin` is a bare repository holding the current work tree (tracked and untracked,
not ignored files) as one commit on main, so tests exercise the code under test, not HEAD.
"""

from __future__ import annotations

import _posixsubprocess  # type: ignore[import-not-found]
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from model import config

if TYPE_CHECKING:
    from filelock import BaseFileLock
    from pytest import TerminalReporter

    from tests.unit.tiny_model import TinyModel

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Throwaway `dvc init` repositories leave DVC's analytics on: without this, dvc commands in
# them start `dvc daemon analytics`, which reports to dvc.org. Tests send nothing out.
OFFLINE_ENV = {"DVC_NO_ANALYTICS": "1"}
SESSION_ENV = {**GIT_ENV, **OFFLINE_ENV}


def run(cmd: list[str], cwd: Path, check: bool = True, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run a command with the test venv first on PATH; on failure show its output."""
    path = f"{VENV_BIN}:{os.environ['PATH']}"
    full_env = {**os.environ, **SESSION_ENV, "PATH": path, **(env or {})}
    proc = subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode} in {cwd}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def _snapshot_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="session", autouse=True)
def _session_env() -> Iterator[None]:
    """The git identity and offline switches, for this process and every subprocess."""
    old = {k: os.environ.get(k) for k in SESSION_ENV}
    os.environ.update(SESSION_ENV)
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare `origin` whose main holds a snapshot of the current work tree."""
    base = tmp_path_factory.mktemp("origin")
    src = base / "src"
    for rel in _snapshot_files():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    run(["git", "init", "-q", "-b", "main"], src)
    run(["git", "add", "-A"], src)
    run(["git", "commit", "-q", "-m", "snapshot of the work tree under test"], src)
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(src), str(bare)], base)
    return bare


@pytest.fixture(scope="session")
def dvc_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty DVC directory remote shared by the session's clones."""
    return tmp_path_factory.mktemp("dvc-remote")


def clone(origin: Path, dest: Path, dvc_remote: Path) -> Path:
    """Clone `origin` to `dest` and point its default DVC remote at `dvc_remote`."""
    run(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    run(["dvc", "remote", "modify", "--local", "local", "url", str(dvc_remote)], dest)
    return dest


@pytest.fixture
def workspace(origin: Path, dvc_remote: Path, tmp_path: Path) -> Path:
    """A fresh clone of origin with its DVC remote set (data not yet pulled)."""
    return clone(origin, tmp_path / "ws", dvc_remote)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow tracking server on 127.0.0.1 with a SQLite backend."""
    from model.tracking.server import ServerState, start, stop

    state = ServerState(tmp_path_factory.mktemp("mlflow-state"))
    uri = start(state)
    yield uri
    stop(state)


@pytest.fixture(scope="session")
def trained_workspace(
    origin: Path, dvc_remote: Path, mlflow_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A clone where `model data pull` and `dvc repro` have run once (treat as read-only)."""
    ws = clone(origin, tmp_path_factory.mktemp("trained") / "ws", dvc_remote)
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "data", "pull"], ws, env=env)
    run(["dvc", "repro"], ws, env=env)
    run(["dvc", "push"], ws, env=env)
    return ws


@pytest.fixture(scope="session")
def base_image_lock(tmp_path_factory: pytest.TempPathFactory) -> BaseFileLock:
    """Held while scripts/base-image.sh runs: one debootstrap at a time, the others reuse it.

    The lock file sits beside this run's basetemp: under xdist that folder is shared by every
    worker (the pattern pytest-xdist documents), so two workers never debootstrap at once.
    """
    from filelock import FileLock

    return FileLock(tmp_path_factory.getbasetemp().parent / "base-image.lock")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """A model trained in this process on synthetic contract rows (read-only; no pipeline)."""
    from tests.unit.tiny_model import build

    return build(tmp_path_factory.mktemp("tiny"), ROOT / "params.yaml")


def expected_test_rows(raw_csv: Path, params: Path = ROOT / "params.yaml") -> int:
    """The test split's size by params: prepare.test_size of each target class, rounded down."""
    import csv
    import math
    from collections import Counter

    from model.core.schema import TARGET

    with raw_csv.open(newline="") as fh:
        per_class = Counter(row[TARGET] for row in csv.DictReader(fh))
    test_size = float(config.load_params("prepare", params)["test_size"])
    # prepare.split ranks rows within their class; ranks up to test_size of it go to test.
    return sum(math.floor(test_size * n + 1e-9) for n in per_class.values())


# --- CI skip guard (issue 16) -------------------------------------------------------------
# Under CI a skip reads like a pass, so the checkov gate once never ran and nobody noticed.
# With CI set (GitHub sets CI=true; so does .ci/run), every skip fails the run unless it is on
# this allow-list. Each entry names the test (a node-id prefix), the skip reason it expects
# (a substring), and why skipping there is acceptable.


@dataclass(frozen=True)
class AllowedSkip:
    """A skip that CI tolerates: node-id prefix, expected reason substring, and why."""

    nodeid: str
    reason: str
    why: str

    def matches(self, nodeid: str, reason: str) -> bool:
        """True when this entry covers a skip of `nodeid` with `reason`."""
        return nodeid.startswith(self.nodeid) and self.reason in reason


CI_ALLOWED_SKIPS: tuple[AllowedSkip, ...] = (
    AllowedSkip(
        "tests/e2e/test_trainer_image.py::",
        "needs root to hand the volumes to the trainer's uid",
        # GitHub's hosted runner is a non-root user; .ci/run runs as root and runs this test.
        "the hosted runner is not root; .ci/run (root) runs it",
    ),
    AllowedSkip(
        "tests/e2e/test_base_image.py::test_without_root_or_sudo_it_says_so_and_exits_77",
        "dropping to another uid needs root",
        # The test drops to uid 65534 to prove the script's no-root message; only root can.
        "only root can drop to uid 65534; the hosted runner is not root, .ci/run (root) runs it",
    ),
)


@dataclass(eq=False)  # pluggy keeps plugins in sets: identity hash
class SkipGuard:
    """Collects skips; under CI turns any skip not on `allowed` into a failed session."""

    allowed: tuple[AllowedSkip, ...]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # xfail also reports as skipped; it is governed by xfail_strict, not by this guard.
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped.append((report.nodeid, _skip_reason(report)))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # A module-level pytest.skip / importorskip skips at collection time.
        if report.skipped:
            self.skipped.append((report.nodeid, _skip_reason(report)))

    def split(self) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """(refused skips, allowed skips with the allow-list's why)."""
        refused: list[tuple[str, str]] = []
        allowed: list[tuple[str, str, str]] = []
        for nodeid, reason in self.skipped:
            entry = next((a for a in self.allowed if a.matches(nodeid, reason)), None)
            if entry is None:
                refused.append((nodeid, reason))
            else:
                allowed.append((nodeid, reason, entry.why))
        return refused, allowed

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        refused, _ = self.split()
        if refused and _in_ci() and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if not _in_ci() or not self.skipped:
            return
        refused, allowed = self.split()
        for nodeid, reason, why in allowed:
            terminalreporter.write_line(
                f"CI skip allowed: {nodeid}: {reason} (allow-listed: {why})"
            )
        for nodeid, reason in refused:
            terminalreporter.write_line(f"CI skip refused: {nodeid}: {reason}")
        if refused:
            terminalreporter.write_line(
                f"CI guard: {len(refused)} test(s) skipped under CI=true; a skip in CI is a "
                "failure. Provision the tool the reason names (see .ci/run), or add an "
                "AllowedSkip with its why to CI_ALLOWED_SKIPS in tests/conftest.py.",
                red=True,
                bold=True,
            )


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    # A skip's longrepr is (path, lineno, "Skipped: reason").
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _in_ci() -> bool:
    return config.flag(config.CI, default=False)


def pytest_configure(config: pytest.Config) -> None:
    """Register the CI skip guard with the project's allow-list; bind DVC's logging."""
    config.pluginmanager.register(SkipGuard(CI_ALLOWED_SKIPS), SKIP_GUARD_NAME)
    # `import dvc` binds its console handlers to the sys.stdout of that moment. Imported
    # first inside a test that swapped stdout (CliRunner, redirect_stdout), they would write
    # to a closed stream for the rest of the worker (tests/integration/test_dvc_logging_capture.py).
    import dvc  # noqa: F401


SKIP_GUARD_NAME = "ci-skip-guard"
# --- end of CI skip guard -----------------------------------------------------------------


# --- unit tier guard (issue 12 §5) --------------------------------------------------------
# `unit` means no subprocess and no pipeline. A unit test that reaches for a tool or a trained
# workspace fails here, naming what it did, so a slow or tool-bound test cannot hide in the
# fast tier: move it to tests/integration/ (marked `integration` by that folder's conftest).

PIPELINE_FIXTURES = frozenset(
    {"origin", "dvc_remote", "workspace", "mlflow_server", "trained_workspace"}
)
# Every way Python starts another program: subprocess.* and asyncio go through
# Popen._execute_child; multiprocessing's spawn calls _posixsubprocess.fork_exec itself;
# os.system, os.spawn*, pty and a forking multiprocessing go through these os functions.
_SPAWNERS: tuple[tuple[object, str], ...] = (
    (subprocess.Popen, "_execute_child"),
    (_posixsubprocess, "fork_exec"),
    *((os, name) for name in ("system", "fork", "forkpty", "posix_spawn", "posix_spawnp")
      if hasattr(os, name)),
)  # fmt: skip


class SpawnInUnitTest(AssertionError):
    """A `unit` test (or a fixture it uses) started a process."""


def _refuse(what: str) -> Callable[..., object]:
    def refuse(*args: object, **kwargs: object) -> object:
        shown = next((a for a in args if isinstance(a, (str, bytes, list, tuple))), "")
        raise SpawnInUnitTest(
            f"a unit test called {what}({shown!r}): unit means no subprocess; move the test "
            "to tests/integration/ or test the logic without the tool"
        )

    return refuse


@contextmanager
def no_spawning() -> Iterator[None]:
    """Within the block, starting any process raises SpawnInUnitTest."""
    saved = [(owner, name, getattr(owner, name)) for owner, name in _SPAWNERS]
    try:
        for owner, name, _ in saved:
            setattr(owner, name, _refuse(f"{getattr(owner, '__name__', owner)}.{name}"))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _is_unit(item: pytest.Item) -> bool:
    return item.get_closest_marker("unit") is not None


def tier_violation(item: pytest.Item) -> str | None:
    """Why a unit test breaks its tier before it runs (integration mark, pipeline fixture)."""
    if item.get_closest_marker("integration") is not None:
        return "is marked both unit and integration"
    used = sorted(PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())))
    if used:
        return f"uses the pipeline fixture(s) {', '.join(used)}; unit means no pipeline"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Run a unit test's fixtures with process spawning refused."""
    if not _is_unit(item):
        return (yield)
    problem = tier_violation(item)
    if problem:
        pytest.fail(f"{item.nodeid} {problem}: move it to tests/integration/", pytrace=False)
    with no_spawning():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Run a unit test's body with process spawning refused."""
    if not _is_unit(item):
        return (yield)
    with no_spawning():
        return (yield)


# --- end of unit tier guard ---------------------------------------------------------------


# --- parallel runs (make test: pytest -n 2 --dist loadfile --no-loadscope-reorder) ---------
# Each xdist worker has its own session fixtures (origin, trained_workspace, mlflow_server), tmp
# dirs and free ports. A work unit is one file (so a module fixture is set up once), except
# these files, which touch state of the one Docker engine that no tmp dir or port isolates:
# one unit, on one worker, run one after another as a serial run does.
ENGINE_GROUP = "docker-engine-names"
ENGINE_GROUP_FILES = (
    # `model demo`: its preview container is named credit-scoring-preview on the manifest's
    # host port 8080; it rebuilds credit-scoring:local and fleet/churn:<pin>, and runs
    # credit-scoring-trainer:test. The longest unit (300 s alone, 410 s beside another
    # worker), so it is scheduled first.
    "tests/e2e/test_demo.py",
    # reads (or builds) credit-scoring:local; runs the Deployment on host port 8080.
    "tests/e2e/test_manifests_docker.py",
    # builds fleet/churn:<pin>, the tag the demo builds, and `docker rmi -f`s it after.
    "tests/e2e/test_fleet_model_image.py",
    # (re)tags credit-scoring-trainer:test, which the demo's step 9 runs.
    "tests/e2e/test_trainer_image.py",
)


def work_unit(nodeid: str) -> str:
    """The xdist work unit of a test: ENGINE_GROUP for those files, else its file."""
    path = nodeid.split("::", 1)[0]
    return ENGINE_GROUP if path in ENGINE_GROUP_FILES else path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put ENGINE_GROUP's tests first, the demo leading; the rest keep collection order.

    xdist hands out work units in collection order (with --no-loadscope-reorder), so the
    longest unit, the demo's group, starts at once on one worker while the other takes the rest.
    """
    first = {path: n for n, path in enumerate(ENGINE_GROUP_FILES)}
    items.sort(key=lambda it: first.get(it.nodeid.split("::", 1)[0], len(first)))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: only called where xdist is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """For --dist loadfile or loadgroup: one work unit per file, ENGINE_GROUP_FILES in one.

    xdist_group marks cannot do this here: xdist 3.8 tags a grouped test by rewriting
    item._nodeid, which pytest 9 no longer reads, so each test became its own unit and both
    workers ran the demo at once (two previews on port 8080).
    """
    if config.getvalue("dist") not in ("loadfile", "loadgroup"):
        return None
    from xdist.scheduler import LoadFileScheduling

    class EngineGroupScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return EngineGroupScheduling(config, log)  # type: ignore[arg-type]


# --- end of parallel runs -----------------------------------------------------------------
