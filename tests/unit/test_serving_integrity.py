"""The start-up digest check: a model whose bytes differ from the pin is never ready."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from model.core.artifact import bundle_sha256, read_bundle
from tests.unit.serving_helpers import MODEL, SERVING_ENV, client_for, copy_models
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture
def models(tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SERVING_ENV:
        monkeypatch.delenv(name, raising=False)
    return copy_models(tiny_model.models.parent, tmp_path / "models")


def digest(models: Path) -> str:
    """The bundle digest of the model folder (model.json + model.onnx)."""
    return bundle_sha256(read_bundle(models))


def _assert_refuses(models: Path) -> None:
    client = client_for(models)
    try:
        ready = client.get("/v2/health/ready")
        assert ready.status_code == 503 and "sha256" in ready.json()["reason"].lower()
        assert client.get(f"/v2/models/{MODEL}/ready").status_code == 503
        assert client.post("/v1/predict", json={"instances": [{}]}).status_code == 503
        assert client.post(f"/v2/models/{MODEL}/infer", json={"inputs": []}).status_code == 503
        assert client.get(f"/v2/models/{MODEL}").status_code == 503
        assert client.get("/model").status_code == 503
        assert client.get("/v2/health/live").status_code == 200  # alive, just never ready
        assert "model_ready 0.0" in client.get("/metrics").text
        assert client.app.model is None  # the mismatching bytes were never parsed
    finally:
        client.close()


def test_matching_pin_is_ready(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_SHA256", digest(models))
    client = client_for(models)
    assert client.get("/v2/health/ready").status_code == 200
    assert client.get("/model").json()["sha256_verified_against"] == "MODEL_SHA256"
    client.close()


def test_mismatching_pin_logs_one_line(
    models: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MODEL_SHA256", "0" * 64)
    with caplog.at_level(logging.INFO, logger="model.serving"):
        _assert_refuses(models)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "\n" not in errors[0]
    assert "0" * 64 in errors[0] and digest(models) in errors[0]


def test_one_flipped_byte_is_refused(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = digest(models)
    data = bytearray((models / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0x01
    (models / "model.onnx").write_bytes(bytes(data))
    monkeypatch.setenv("MODEL_SHA256", pinned)
    _assert_refuses(models)


def test_flipped_byte_without_deploy_pin_falls_back_to_the_pin_file(models: Path) -> None:
    data = bytearray((models / "model.onnx").read_bytes())
    data[-1] ^= 0x80
    (models / "model.onnx").write_bytes(bytes(data))
    _assert_refuses(models)


@pytest.mark.parametrize("fmt", ["{d}\n", "sha256:{d}", "{d}  model.onnx\n"])
def test_digest_file_formats(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    pin = tmp_path / "sha256"
    pin.write_text(fmt.format(d=digest(models)))
    monkeypatch.setenv("MODEL_SHA256_FILE", str(pin))
    client = client_for(models)
    assert client.get("/v2/health/ready").status_code == 200
    client.close()


@pytest.mark.parametrize("pin", ["missing-file", "not-a-digest"])
def test_unusable_pins_are_refused(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pin: str
) -> None:
    if pin == "missing-file":
        monkeypatch.setenv("MODEL_SHA256_FILE", str(tmp_path / "absent"))
    else:
        monkeypatch.setenv("MODEL_SHA256", "abc123")
    _assert_refuses(models)
