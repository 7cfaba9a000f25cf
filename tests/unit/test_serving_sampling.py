"""Request sampling for drift: off by default, bounded files, and failures never cost a request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.serving_helpers import SERVING_ENV, client_for, contract_of, read_rows
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture
def models(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SERVING_ENV:
        monkeypatch.delenv(name, raising=False)
    return tiny_model.models


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))


def _lines(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for f in sorted(directory.glob("samples-*.jsonl"))
        for line in f.read_text().splitlines()
    ]


def test_off_by_default(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list
) -> None:
    monkeypatch.setenv("MODEL_SAMPLE_DIR", str(tmp_path))
    client = client_for(models)
    assert client.app.sampler is None
    assert client.post("/v1/predict", json={"instances": rows[:5]}).status_code == 200
    assert list(tmp_path.iterdir()) == []
    client.close()


def test_every_row_logged_at_rate_one(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list
) -> None:
    monkeypatch.setenv("MODEL_SAMPLE_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("MODEL_SAMPLE_RATE", "1")
    client = client_for(models)
    batch = [{**rows[0], "Income": None, "Home": None}, *rows[1:4]]
    reply = client.post("/v1/predict", json={"instances": batch}).json()
    client.close()
    lines = _lines(tmp_path / "s")
    assert [line["score"] for line in lines] == [p["probability"] for p in reply["predictions"]]
    assert [line["features"] for line in lines] == batch  # nulls written back as null
    assert all(isinstance(line["ts"], float) for line in lines)


def test_files_rotate_and_stay_bounded(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list
) -> None:
    monkeypatch.setenv("MODEL_SAMPLE_DIR", str(tmp_path))
    monkeypatch.setenv("MODEL_SAMPLE_RATE", "1")
    monkeypatch.setenv("MODEL_SAMPLE_MAX_BYTES", "2048")
    monkeypatch.setenv("MODEL_SAMPLE_MAX_FILES", "3")
    client = client_for(models)
    for i in range(40):
        assert client.post("/v1/predict", json={"instances": rows[i : i + 2]}).status_code == 200
    client.close()
    files = list(tmp_path.glob("samples-*.jsonl"))
    assert len(files) == 3
    assert all(f.stat().st_size <= 2048 for f in files)
    assert 0 < len(_lines(tmp_path)) < 80  # older files were deleted


def test_write_failure_never_fails_a_request(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the sample directory should be")
    monkeypatch.setenv("MODEL_SAMPLE_DIR", str(blocker))
    monkeypatch.setenv("MODEL_SAMPLE_RATE", "1")
    client = client_for(models)
    for _ in range(3):
        assert client.post("/v1/predict", json={"instances": rows[:2]}).status_code == 200
    assert "model_sample_write_errors_total 1.0" in client.get("/metrics").text  # first flush
    client.close()


def test_partial_rate_samples_some_rows(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list
) -> None:
    monkeypatch.setenv("MODEL_SAMPLE_DIR", str(tmp_path))
    monkeypatch.setenv("MODEL_SAMPLE_RATE", "0.5")
    client = client_for(models)
    client.post("/v1/predict", json={"instances": rows[:400]})
    client.close()
    assert 100 < len(_lines(tmp_path)) < 300  # binomial(400, 0.5): far outside 6 sigma to fail
