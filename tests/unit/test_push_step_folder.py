"""`model workflows push` pushes DVC from the retrain's folder, never from outside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.training.retrain import Outcome, RetrainError
from model.training.steps import push

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("folder", ["../elsewhere", "/etc", "fleet/../../x"])
def test_a_folder_outside_the_repository_is_refused_before_any_push(
    tmp_path: Path, folder: str
) -> None:
    out = Outcome("proposed", "a" * 32, "b" * 32, folder, branch="retrain/churn-new-data-x")
    (tmp_path / "retrain.json").write_text(out.to_json())
    with pytest.raises(RetrainError, match="is not in the repo"):
        push(tmp_path, tmp_path / "repo")  # the unit tier's guard raises on any subprocess
