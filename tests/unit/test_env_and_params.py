from pathlib import Path

import pytest

from model import env, params

pytestmark = pytest.mark.unit


def test_flag_reads_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env.MODEL_TRACKING, "0")
    assert env.flag(env.MODEL_TRACKING) is False
    monkeypatch.setenv(env.MODEL_TRACKING, "yes")
    assert env.flag(env.MODEL_TRACKING) is True
    monkeypatch.delenv(env.MODEL_TRACKING)
    assert env.flag(env.MODEL_TRACKING, default=False) is False


def test_get_treats_empty_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env.MODEL_NAME, "")
    assert env.get(env.MODEL_NAME, "fallback") == "fallback"


def test_params_sections(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  seed: 1\n")
    assert params.load("train", path) == {"seed": 1}
    with pytest.raises(params.ParamsError, match="no mapping section 'evaluate'"):
        params.load("evaluate", path)
    with pytest.raises(params.ParamsError, match="not found"):
        params.load("train", tmp_path / "missing.yaml")


def test_repo_params_have_one_section_per_stage() -> None:
    import yaml

    stages = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    sections = yaml.safe_load(Path("params.yaml").read_text())
    assert set(sections) <= set(stages)
    assert {"prepare", "train", "evaluate"} <= set(sections)
