"""`model new NAME --segment-by COL` against a real git + DVC repository: all members or none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from model.core.contract import check
from model.core.contract_file import load
from model.core.dataset import read_raw
from tests.conftest import VENV_BIN, run
from tests.integration.fleet_repo import dvc_repo

MODEL = str(VENV_BIN / "model")
FAMILY = ["new", "telco", "--dataset", "modeldata/mlc_churn", "--target", "churn"]
MEMBERS = {"telco-area-code-408": 1259, "telco-area-code-415": 2495, "telco-area-code-510": 1246}


def model(repo: Path, *args: str, check: bool = True) -> tuple[int, str]:
    proc = run([MODEL, *args, "--owner", "@acme/retention"], repo, check=check)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repository with the default model's files, a local remote, no fleet yet."""
    root = tmp_path_factory.mktemp("family") / "repo"
    dvc_repo(root)
    return root


@pytest.mark.parametrize(
    ("column", "says"),
    [
        ("state", "51 distinct values"),  # an id-like column is no segment
        ("churn", "not a feature column"),
        ("rownames", "not a feature column"),
        ("no_such", "not a feature column"),
    ],
)
def test_a_column_that_cannot_segment_writes_nothing(repo: Path, column: str, says: str) -> None:
    code, out = model(repo, *FAMILY, "--segment-by", column, check=False)
    assert code == 2 and says in out, out
    assert not (repo / "fleet").exists() or not any((repo / "fleet").iterdir())
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


def test_a_family_is_one_valid_folder_per_value(repo: Path) -> None:
    code, out = model(repo, *FAMILY, "--segment-by", "area_code")
    assert code == 0, out
    staged = run(["git", "diff", "--cached", "--name-only"], repo).stdout.split()
    assert {p.split("/")[1] for p in staged} == set(MEMBERS)
    for name, rows in MEMBERS.items():
        folder = repo / "fleet" / name
        manifest = yaml.safe_load((folder / "model.yaml").read_text())
        value = name.removeprefix("telco-").replace("-", "_")
        assert manifest["segment"] == {"column": "area_code", "value": value}
        data = read_raw(folder / "data" / "mlc_churn.csv")
        assert len(data) == rows and "area_code" not in data.columns
        assert check(data, load(folder / "contract.yaml")) == []
        assert run([MODEL, "fleet", "check", name], repo).returncode == 0
    run(["git", "commit", "-qm", "telco family"], repo)


def test_a_member_name_already_taken_refuses_the_whole_family(repo: Path) -> None:
    before = sorted(p.name for p in (repo / "fleet").iterdir())
    code, out = model(repo, *FAMILY, "--segment-by", "area_code", check=False)
    assert code == 2 and "already exists" in out
    assert sorted(p.name for p in (repo / "fleet").iterdir()) == before


def test_a_member_is_recreated_offline_with_its_filter(repo: Path) -> None:
    data = repo / "fleet" / "telco-area-code-510" / "data"
    pinned = (data / "mlc_churn.csv").read_bytes()
    shutil.rmtree(data)
    shutil.rmtree(repo / ".dvc" / "cache")
    out = run([MODEL, "fleet", "pull", "telco-area-code-510"], repo).stdout
    assert "from package" in out  # the filter replayed gives the pinned bytes, md5-checked
    assert (data / "mlc_churn.csv").read_bytes() == pinned
