"""Issue 11 §7: the pipeline never re-pins data.dvc to a locally edited data/.

`dvc repro` rewrites a changed data source's .dvc file before any stage runs. The validate
stage therefore compares data/ with the pin git holds for data.dvc, refuses a difference and
puts that pin back; only `model data update` re-pins, after the contract passes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from model.core.dataset import RAW_FILE
from model.pipeline.datapull import DATA_DVC, pinned_md5
from tests.conftest import VENV_BIN, run

pytestmark = [pytest.mark.e2e, pytest.mark.security]

VALID_EDIT = ("1,good,9,rent,60,30,married,", "1,good,9,rent,60,31,married,")
BAD_ROW = "1,bad\n"  # a repeated id and thirteen empty fields: the contract refuses it


@pytest.fixture
def pulled(workspace: Path) -> Path:
    """A clone with data/ materialised at the committed pin."""
    run([str(VENV_BIN / "model"), "data", "pull"], workspace)
    return workspace


def edit_valid(ws: Path) -> None:
    raw = ws / "data" / RAW_FILE
    text = raw.read_text()
    assert text.count(VALID_EDIT[0]) == 1
    raw.write_text(text.replace(*VALID_EDIT))


def append_bad(ws: Path) -> None:
    with (ws / "data" / RAW_FILE).open("a") as fh:
        fh.write(BAD_ROW)


def pin_untouched(ws: Path) -> bool:
    return run(["git", "diff", "--quiet", "HEAD", "--", DATA_DVC], ws, check=False).returncode == 0


def model_data(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([str(VENV_BIN / "model"), "data", *args], ws, check=False)


def test_repro_pull_refuses_valid_but_unpinned_data_and_keeps_the_pin(pulled: Path) -> None:
    edit_valid(pulled)
    proc = run(["dvc", "repro", "--pull", "validate"], pulled, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "model data update" in out and pinned_md5(pulled) in out, out
    assert pin_untouched(pulled), run(["git", "diff", DATA_DVC], pulled).stdout


def test_make_pipeline_does_not_pin_a_bad_file_before_validation_fails(pulled: Path) -> None:
    append_bad(pulled)
    proc = run(["make", "pipeline", "MODEL_ENV_READY=1"], pulled, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert pin_untouched(pulled), run(["git", "diff", DATA_DVC], pulled).stdout


def test_data_update_repins_valid_data_and_the_pipeline_accepts_it(pulled: Path) -> None:
    old = pinned_md5(pulled)
    edit_valid(pulled)
    proc = model_data(pulled, "update")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = pinned_md5(pulled)
    assert new != old and old in proc.stdout and new in proc.stdout, proc.stdout
    staged = run(["git", "diff", "--cached", "--name-only"], pulled).stdout.split()
    assert staged == [DATA_DVC]  # the re-pin is explicit and ready to commit
    run(["dvc", "repro", "validate"], pulled)
    assert pinned_md5(pulled) == new


def test_data_update_refuses_a_bad_file_and_pins_nothing(pulled: Path) -> None:
    append_bad(pulled)
    proc = model_data(pulled, "update")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "data contract" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert pin_untouched(pulled)
    assert run(["git", "diff", "--cached", "--name-only"], pulled).stdout == ""


def test_data_update_on_the_pinned_data_changes_nothing(pulled: Path) -> None:
    proc = model_data(pulled, "update")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already pins" in proc.stdout
    assert pin_untouched(pulled)


def test_data_update_refuses_an_empty_csv_in_one_line(pulled: Path) -> None:
    (pulled / "data" / RAW_FILE).write_bytes(b"")
    proc = model_data(pulled, "update")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and RAW_FILE in proc.stderr, proc.stderr
    assert pin_untouched(pulled)
