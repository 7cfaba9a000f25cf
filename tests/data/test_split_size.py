"""The test split of the real data holds prepare.test_size of each class, as params.yaml says."""

from pathlib import Path

import pandas as pd
import pytest

from model import config
from model.core.dataset import packaged_bytes
from model.core.schema import TARGET
from model.pipeline.prepare import split
from tests.conftest import ROOT, expected_test_rows

pytestmark = pytest.mark.data


def test_the_split_of_the_pinned_data_has_the_size_params_derive(tmp_path: Path) -> None:
    raw_csv = tmp_path / "credit_data.csv"
    raw_csv.write_bytes(packaged_bytes())  # the bytes data.dvc pins
    cfg = config.load_params("prepare", ROOT / "params.yaml")
    raw = pd.read_csv(raw_csv)
    train, test = split(raw, test_size=cfg["test_size"], seed=cfg["seed"])
    expected = expected_test_rows(raw_csv)
    assert len(test) == expected, (
        f"params.yaml derives {expected} test rows; split made {len(test)}"
    )
    assert len(train) + len(test) == len(raw)  # every row, once
    share = test[TARGET].value_counts() / raw[TARGET].value_counts()
    assert (share.round(2) == round(cfg["test_size"], 2)).all(), share.to_dict()
