"""The hooks' self-check refuses a wrong digest and wrong smoke predictions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from model.serving.selfcheck import SelfCheckError, check_model, check_probabilities, main

pytestmark = pytest.mark.unit


def test_sane_probabilities_pass() -> None:
    assert "safe 0.0100 < risky 0.9000" in check_probabilities(0.01, 0.9)


@pytest.mark.parametrize(
    ("safe", "risky", "needle"),
    [
        (0.9, 0.1, "inverted"),
        (0.5, 0.5, "inverted"),
        (math.nan, 0.5, "not a probability"),
        (0.1, 1.5, "not a probability"),
        (-0.1, 0.5, "not a probability"),
    ],
)
def test_wrong_predictions_fail(safe: float, risky: float, needle: str) -> None:
    with pytest.raises(SelfCheckError, match=needle):
        check_probabilities(safe, risky)


def test_wrong_digest_fails_before_loading(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not the pinned model")
    (tmp_path / "model.json").write_bytes(b"{}")
    with pytest.raises(SelfCheckError, match="the manifest pins " + "0" * 64):
        check_model(tmp_path, "0" * 64)


def test_module_entry_point_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.onnx").write_bytes(b"x")
    monkeypatch.delenv("MODEL_SHA256", raising=False)
    monkeypatch.delenv("MODEL_SHA256_FILE", raising=False)
    assert main(["--model-dir", str(tmp_path)]) == 2
    monkeypatch.setenv("MODEL_SHA256", "1" * 64)
    assert main(["--model-dir", str(tmp_path)]) == 1
    assert "selfcheck FAILED" in capsys.readouterr().err
