"""`model data pull|update|md5 --model NAME` on fleet/NAME's own DVC project (real git and DVC)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import VENV_BIN, run
from tests.integration.fleet_repo import dvc_repo

pytestmark = pytest.mark.integration
MODEL = str(VENV_BIN / "model")
CHURN = Path("fleet/churn")
RAW = CHURN / "data" / "mlc_churn.csv"


def model(repo: Path, *args: str) -> tuple[int, str]:
    """Run the `model` CLI in `repo`; (exit code, stdout + stderr)."""
    proc = run([MODEL, *args], repo, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def pin(repo: Path, dvc_file: Path) -> str:
    """The md5 a .dvc file in the work tree pins for data/."""
    return yaml.safe_load((repo / dvc_file).read_text())["outs"][0]["md5"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repository: the root model's files and fleet/churn, with a local remote."""
    root = tmp_path_factory.mktemp("data-fleet") / "repo"
    dvc_repo(root)
    code, out = model(root, "new", "churn", "--dataset", "modeldata/mlc_churn", "--target", "churn",
                      "--owner", "@acme/retention")  # fmt: skip
    assert code == 0, out
    run(["git", "commit", "-qm", "churn"], root)
    return root


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built repository (it shares the DVC remote beside the original)."""
    copy = tmp_path / "repo"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def test_md5_prints_the_fleet_models_pin_not_the_roots(repo: Path) -> None:
    code, out = model(repo, "data", "md5", "--model", "churn")
    assert (code, out.strip()) == (0, pin(repo, CHURN / "data.dvc"))
    assert pin(repo, Path("data.dvc")) != pin(repo, CHURN / "data.dvc")


def test_pull_recreates_the_models_data_offline_then_from_the_remote(repo: Path) -> None:
    pinned = (repo / RAW).read_bytes()
    shutil.rmtree(repo / CHURN / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = model(repo, "data", "pull", "--model", "churn")
    assert code == 0 and "from package and pushed" in out, out
    assert (repo / RAW).read_bytes() == pinned
    shutil.rmtree(repo / CHURN / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    code, out = model(repo, "data", "pull", "--model", "churn")
    assert code == 0 and "from remote" in out, out
    assert (repo / RAW).read_bytes() == pinned
    assert not (repo / "data").exists()  # the root model's data was never touched


def test_update_repins_the_models_data_dvc_under_its_own_contract(repo: Path) -> None:
    lines = (repo / RAW).read_text().splitlines(keepends=True)
    (repo / RAW).write_text("".join(lines[:-50]))  # fewer rows: still within churn's contract
    old, root_pin = pin(repo, CHURN / "data.dvc"), pin(repo, Path("data.dvc"))
    code, out = model(repo, "data", "update", "--model", "churn")
    assert code == 0 and "re-pinned" in out, out
    new = pin(repo, CHURN / "data.dvc")
    assert new != old and pin(repo, Path("data.dvc")) == root_pin
    staged = run(["git", "diff", "--cached", "--name-only"], repo).stdout.split()
    assert staged == [str(CHURN / "data.dvc")]


def test_update_refuses_data_that_breaks_the_models_contract(repo: Path) -> None:
    header, first, *rest = (repo / RAW).read_text().splitlines(keepends=True)
    column = header.strip().split(",").index("churn")
    cells = first.rstrip("\n").split(",")
    cells[column] = "maybe"  # not one of the contract's target classes
    (repo / RAW).write_text("".join([header, ",".join(cells) + "\n", *rest]))
    before = (repo / CHURN / "data.dvc").read_text()
    code, out = model(repo, "data", "update", "--model", "churn")
    assert code == 1 and "nothing was pinned" in out and "maybe" in out, out
    assert (repo / CHURN / "data.dvc").read_text() == before


@pytest.mark.parametrize("verb", ["pull", "update", "md5"])
@pytest.mark.parametrize("name", ["../x", "a;b", "Churn", "", "nosuch"])
def test_a_bad_or_unknown_name_is_a_usage_error_before_anything_runs(
    built: Path, verb: str, name: str
) -> None:
    before = run(["git", "status", "--porcelain", "--ignored"], built).stdout
    code, out = model(built, "data", verb, "--model", name)
    assert code == 2, out
    assert ("model name" in out) if name != "nosuch" else ("fleet/nosuch" in out), out
    assert run(["git", "status", "--porcelain", "--ignored"], built).stdout == before
