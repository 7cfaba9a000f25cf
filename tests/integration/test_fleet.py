"""`model new`, `model fleet list/check/changed/pull` against real git and DVC repositories."""

from __future__ import annotations

import json
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
NEW = ["new", "churn", "--dataset", "modeldata/mlc_churn", "--target", "churn"]


def model(repo: Path, *args: str, check: bool = True) -> tuple[int, str]:
    """Run the `model` CLI in `repo`; (exit code, stdout + stderr)."""
    proc = run([MODEL, *args], repo, check=check)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repository with the default model's files and a local DVC remote."""
    root = tmp_path_factory.mktemp("fleet") / "repo"
    dvc_repo(root)
    code, out = model(root, *NEW, "--owner", "@acme/retention", "--owner", "@bob")
    assert code == 0, out
    run(["git", "commit", "-qm", "churn"], root)
    return root


def test_new_writes_a_staged_folder_that_passes_validation(repo: Path) -> None:
    folder = repo / "fleet" / "churn"
    committed = run(["git", "ls-files", "fleet/churn"], repo).stdout.split()
    assert sorted(committed) == sorted(
        f"fleet/churn/{f}"
        for f in (".gitignore", "OWNERS", "contract.yaml", "data.dvc", "gate.yaml",
                  "model.yaml", "params.yaml", "dvc.yaml", ".dvcignore", ".dvc/config",
                  ".dvc/.gitignore")
    )  # fmt: skip
    assert model(repo, "fleet", "check", "churn")[0] == 0
    contract = load(folder / "contract.yaml")
    assert contract.target == "churn" and contract.target_classes == ("no", "yes")
    assert check(read_raw(folder / "data" / "mlc_churn.csv"), contract) == []
    assert "up to date" in run(["dvc", "status", "data.dvc"], folder).stdout


def test_the_root_dvc_project_never_sees_a_fleet_model(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    shutil.rmtree(copy / "fleet" / "churn" / "data")  # a clone that has not pulled churn's data
    shutil.rmtree(copy / ".dvc" / "cache")
    assert "fleet/churn" not in run(["dvc", "status"], copy).stdout
    # the control: the same folder inside the root project is reported by a bare `dvc status`
    shutil.rmtree(copy / "fleet" / "churn" / ".dvc")
    assert "fleet/churn/data.dvc" in run(["dvc", "status"], copy, check=False).stdout


def test_the_pin_check_reads_the_models_own_data_dvc(repo: Path) -> None:
    from model.pipeline.datapull import check_pin

    folder = repo / "fleet" / "churn"
    pinned = yaml.safe_load((folder / "data.dvc").read_text())["outs"][0]["md5"]
    assert check_pin(folder) == pinned  # not the root data.dvc's credit_data pin


def test_check_names_what_is_broken(repo: Path) -> None:
    gate = repo / "fleet" / "churn" / "gate.yaml"
    text = gate.read_text()
    try:
        gate.write_text(text.replace("resamples: 2000", "resamples: 10"))
        code, out = model(repo, "fleet", "check", "churn", check=False)
        assert code == 1 and "resamples must be >= 1000" in out
    finally:
        gate.write_text(text)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["new", "../evil", "--dataset", "modeldata/mlc_churn", "--target", "churn"], "model name"),
        (["new", "x;id", "--dataset", "modeldata/mlc_churn", "--target", "churn"], "model name"),
        (["new", "evil", "--dataset", "../../etc/passwd", "--target", "churn"], "--dataset"),
        (["new", "evil", "--dataset", "modeldata/no_such_item", "--target", "churn"], "no such"),
        (["new", "evil", "--dataset", "modeldata/mlc_churn", "--target", "nope"], "--target"),
        (NEW, "already exists"),
    ],
)
def test_new_refuses_hostile_or_wrong_input_and_leaves_nothing(
    repo: Path, args: list[str], says: str
) -> None:
    before = sorted(p.name for p in (repo / "fleet").iterdir())
    code, out = model(repo, *args, "--owner", "@acme/x", check=False)
    assert code == 2, out
    assert says in out
    assert sorted(p.name for p in (repo / "fleet").iterdir()) == before
    assert not (repo.parent / "evil").exists()


def test_list_shows_every_model_and_its_deployed_versions(repo: Path) -> None:
    _, out = model(repo, "fleet", "list")
    table = {line.split()[0]: line.split() for line in out.splitlines()}
    assert set(table) == {"model", "credit-scoring", "churn"}
    assert table["churn"] == [
        "churn",
        "modeldata/mlc_churn",
        "churn",
        "5000",
        "@acme/retention",
        "@bob",
        "-",
        "-",
    ]  # fmt: skip (nothing released yet: "-" for staging and prod)
    release = repo / "deploy" / "staging" / "churn.yaml"
    release.parent.mkdir(parents=True)
    try:
        release.write_text("model_version: '7'\n")
        _, out = model(repo, "fleet", "list", "--json")
        got = {r["name"]: r for r in json.loads(out)}
        assert (got["churn"]["staging"], got["churn"]["prod"]) == ("7", "-")
    finally:
        shutil.rmtree(repo / "deploy")


def _commit(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    run(["git", "add", rel], repo)
    run(["git", "commit", "-qm", f"edit {rel}"], repo)


def test_changed_lists_the_models_a_branch_touches(repo: Path) -> None:
    base = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    run(["git", "checkout", "-qb", "pr"], repo)
    try:
        _commit(repo, "README.md", "docs\n")
        assert json.loads(model(repo, "fleet", "changed", "--base", base)[1]) == {
            "models": [], "all": False, "reason": "no model changed",
        }  # fmt: skip
        params = yaml.safe_load((repo / "fleet/churn/params.yaml").read_text())
        params["train"]["n_estimators"] = 50
        _commit(repo, "fleet/churn/params.yaml", yaml.safe_dump(params))
        got = json.loads(model(repo, "fleet", "changed", "--base", "main")[1])
        assert (got["models"], got["all"]) == (["churn"], False)
        _commit(repo, "model/core/x.py", "X = 1\n")
        got = json.loads(model(repo, "fleet", "changed", "--base", base)[1])
        assert (got["models"], got["all"]) == (["credit-scoring", "churn"], True)
        assert "model/core/x.py" in got["reason"]
    finally:
        run(["git", "checkout", "-q", "main"], repo)


@pytest.mark.parametrize("base", ["-x", "--output=/tmp/pwned", "no-such-rev"])
def test_changed_refuses_a_bad_base(repo: Path, base: str) -> None:
    code, out = model(repo, "fleet", "changed", "--base", base, check=False)
    assert code == 2 and "--base" in out
    assert not Path("/tmp/pwned").exists()


def test_pull_recreates_the_data_offline_then_from_the_remote(repo: Path) -> None:
    data = repo / "fleet" / "churn" / "data"
    pinned = (data / "mlc_churn.csv").read_bytes()
    shutil.rmtree(data)
    shutil.rmtree(repo / ".dvc" / "cache")
    _, out = model(repo, "fleet", "pull", "churn")
    assert "from package" in out
    assert (data / "mlc_churn.csv").read_bytes() == pinned
    shutil.rmtree(data)
    shutil.rmtree(repo / ".dvc" / "cache")
    _, out = model(repo, "fleet", "pull", "churn")
    assert "from remote" in out
    assert (data / "mlc_churn.csv").read_bytes() == pinned
