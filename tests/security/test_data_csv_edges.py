"""Issue 11 §7: an empty, binary or broken CSV is one line naming the file, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.core.dataset import DataReadError, read_raw
from model.pipeline import prepare, validate

pytestmark = [pytest.mark.unit, pytest.mark.security]

HOSTILE = {
    "empty": b"",
    "blank-lines": b"\n\n\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    "nul-in-text": b"Status,Seniority\ngood,1\x00\n",
    "all-bytes": bytes(range(256)) * 4,
    "utf16": "Status,Seniority\n".encode("utf-16"),
    "unterminated-quote": b'Status,Seniority\n"good,1\n',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_read_raw_names_the_file_and_what_was_expected(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(HOSTILE[name])
    with pytest.raises(DataReadError) as info:
        read_raw(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    assert "expected a UTF-8 CSV" in message, message


def test_a_header_only_csv_is_read_as_zero_rows(tmp_path: Path) -> None:
    # Zero rows is the contract's call (it says which rule broke), not a read error.
    path = tmp_path / "header.csv"
    path.write_text("Status,Seniority\n")
    assert len(read_raw(path)) == 0


@pytest.mark.parametrize("name", ["empty", "png", "nul-in-text"])
def test_validate_stage_exits_1_with_one_line(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "credit_data.csv"
    raw.write_bytes(HOSTILE[name])
    out = tmp_path / "validation.json"
    assert validate.main(["--raw", str(raw), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(raw) in err and "Traceback" not in err, err
    assert not out.exists()


def test_prepare_stage_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "credit_data.csv"
    raw.write_bytes(HOSTILE["png"])
    args = [
        "--raw",
        str(raw),
        "--train",
        str(tmp_path / "t.csv"),
        "--test",
        str(tmp_path / "s.csv"),
    ]
    assert prepare.main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(raw) in err, err
