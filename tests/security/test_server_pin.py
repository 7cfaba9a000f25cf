"""One pinned digest covers everything the server decides with; hostile pins never crash it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from model.core.artifact import bundle_sha256, read_bundle
from model.names import PIN_FILE
from tests.unit.serving_helpers import SERVING_ENV, client_for, copy_models
from tests.unit.tiny_model import TinyModel

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.fixture
def models(tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (*SERVING_ENV, "MODEL_REQUIRE_PIN"):
        monkeypatch.delenv(name, raising=False)
    return copy_models(tiny_model.models.parent, tmp_path / "models")


def refusal(models: Path, caplog: pytest.LogCaptureFixture) -> str:
    """The 503 reason of a server that must refuse; exactly one error line was logged."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="model.serving"):
        client = client_for(models)
    try:
        ready = client.get("/v2/health/ready")
        assert ready.status_code == 503, ready.text
        assert client.get("/model").status_code == 503
        reason = str(ready.json()["reason"])
    finally:
        client.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert "/" not in reason and str(models) not in reason  # no file-system path is served
    return reason


def test_pin_covers_model_json_with_a_deploy_pin(
    models: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MODEL_SHA256", bundle_sha256(read_bundle(models)))
    meta = json.loads((models / "model.json").read_text())
    meta["threshold"] = 0.01  # approves nobody: a decision change the old pin did not see
    (models / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    assert "MODEL_SHA256 pins" in refusal(models, caplog)


def test_pin_covers_model_json_without_a_deploy_pin(
    models: Path, caplog: pytest.LogCaptureFixture
) -> None:
    meta = json.loads((models / "model.json").read_text())
    meta["contract"]["features"].pop()  # one feature fewer: requests validated differently
    (models / "model.json").write_text(json.dumps(meta))
    assert "model.sha256 beside the model" in refusal(models, caplog)


def test_the_pin_beside_the_model_is_the_manifest_digest(models: Path) -> None:
    import hashlib

    manifest = "".join(
        f"{hashlib.sha256((models / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("model.json", "model.onnx")
    )
    expected = hashlib.sha256(manifest.encode()).hexdigest()
    assert (models / PIN_FILE).read_text() == expected + "\n"


@pytest.mark.parametrize(
    ("value", "needle"),
    [("sha256:", "holds nothing"), ("sha256:  ", "holds nothing"), (" \t", "holds nothing"),
     ("SHA256:" + "g" * 64, "holds 64 characters"), ("\udcff" * 64, "holds 64 characters")],
)  # fmt: skip
def test_malformed_env_pins_give_503_and_one_line(
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    value: str,
    needle: str,
) -> None:
    monkeypatch.setenv("MODEL_SHA256", value)
    assert needle in refusal(models, caplog)


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"", "holds nothing"), (b"sha256:", "holds nothing"), (b"\xff\xfe" + b"a" * 64, "not ASCII"),
     (b"\x00" * 100, "holds 100 characters")],
)  # fmt: skip
def test_malformed_pin_files_give_503_and_one_line(
    models: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
    needle: str,
) -> None:
    pin = tmp_path / "secret-dir" / "pin"
    pin.parent.mkdir()
    pin.write_bytes(content)
    monkeypatch.setenv("MODEL_SHA256_FILE", str(pin))
    reason = refusal(models, caplog)
    assert needle in reason and "secret-dir" not in reason


def test_an_unreadable_pin_file_names_no_path(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MODEL_SHA256_FILE", str(tmp_path / "secret-dir" / "absent"))
    assert "MODEL_SHA256_FILE is unreadable" in refusal(models, caplog)


def test_a_missing_model_file_names_no_path(
    models: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (models / "model.json").unlink()
    assert "cannot read model.json" in refusal(models, caplog)


@pytest.mark.parametrize("value", [None, ""])
def test_required_pin_refuses_the_fallback(
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    value: str | None,
) -> None:
    monkeypatch.setenv("MODEL_REQUIRE_PIN", "1")
    if value is not None:
        monkeypatch.setenv("MODEL_SHA256", value)  # an empty value in a pod is an error
    assert "MODEL_REQUIRE_PIN is on" in refusal(models, caplog)


def test_required_pin_accepts_the_deploy_pin(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_REQUIRE_PIN", "1")
    monkeypatch.setenv("MODEL_SHA256", "sha256:" + bundle_sha256(read_bundle(models)))
    client = client_for(models)
    assert client.get("/v2/health/ready").status_code == 200
    client.close()


def test_a_pinned_but_unloadable_model_is_not_ready(
    models: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (models / "model.json").write_text("{not json")
    monkeypatch.setenv("MODEL_SHA256", bundle_sha256(read_bundle(models)))
    assert "cannot be loaded" in refusal(models, caplog)


def test_selfcheck_pins_model_json_too(models: Path) -> None:
    from model.serving.selfcheck import SelfCheckError, check_model

    pinned = bundle_sha256(read_bundle(models))
    assert check_model(models, "sha256:" + pinned)[0] == f"model sha256 ok: {pinned}"
    meta = json.loads((models / "model.json").read_text())
    meta["threshold"] = 0.99
    (models / "model.json").write_text(json.dumps(meta))
    with pytest.raises(SelfCheckError, match="has sha256"):
        check_model(models, pinned)


@pytest.mark.parametrize("value", ["sha256:", "", "\udcff" * 64])
def test_selfcheck_refuses_malformed_pins_in_one_line(models: Path, value: str) -> None:
    from model.serving.selfcheck import SelfCheckError, check_model

    with pytest.raises(SelfCheckError, match="not a sha256 digest"):
        check_model(models, value)


def test_selfcheck_reads_a_non_utf8_pin_file_without_a_traceback(
    models: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from model.serving.selfcheck import main

    pin = tmp_path / "pin"
    pin.write_bytes(b"\xff" * 64)
    monkeypatch.setenv("MODEL_SHA256_FILE", str(pin))
    # the server's own pin lookup decides, as in `model selfcheck`: an unusable pin is exit 2
    assert main(["--model-dir", str(models)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MODEL_SHA256_FILE is not ASCII text" in err


def test_the_deployment_requires_a_deploy_time_pin() -> None:
    import yaml

    from tests.conftest import ROOT

    deployment = yaml.safe_load((ROOT / "k8s/base/credit-scoring-deployment.yaml").read_text())
    (server,) = [c for c in deployment["spec"]["template"]["spec"]["containers"]]
    env = {e["name"]: e.get("value") for e in server["env"]}
    assert env["MODEL_REQUIRE_PIN"] == "1"
