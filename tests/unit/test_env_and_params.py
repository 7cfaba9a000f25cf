from pathlib import Path

import pytest

from model import config

pytestmark = pytest.mark.unit


def test_flag_reads_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.MODEL_TRACKING, "0")
    assert config.flag(config.MODEL_TRACKING) is False
    monkeypatch.setenv(config.MODEL_TRACKING, "yes")
    assert config.flag(config.MODEL_TRACKING) is True
    monkeypatch.delenv(config.MODEL_TRACKING)
    assert config.flag(config.MODEL_TRACKING, default=False) is False


def test_get_treats_empty_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.MODEL_NAME, "")
    assert config.get(config.MODEL_NAME, "fallback") == "fallback"


def test_params_sections(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  seed: 1\n")
    assert config.load_params("train", path) == {"seed": 1}
    with pytest.raises(config.ParamsError, match="no mapping section 'evaluate'"):
        config.load_params("evaluate", path)
    with pytest.raises(config.ParamsError, match="not found"):
        config.load_params("train", tmp_path / "missing.yaml")


def test_repo_params_have_one_section_per_stage() -> None:
    import yaml

    stages = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    sections = yaml.safe_load(Path("params.yaml").read_text())
    assert set(sections) <= set(stages)
    assert {"prepare", "train", "evaluate"} <= set(sections)
