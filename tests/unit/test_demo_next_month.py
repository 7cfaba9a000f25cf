"""The demo's "next month": the newest rows of the packaged data, held back deterministically."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from model.core.dataset import packaged_bytes
from model.demo.retrain_loop import HOLD_BACK, split_next_month

pytestmark = pytest.mark.unit


def test_split_next_month_holds_back_the_newest_rows_deterministically() -> None:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    now, later = split_next_month(raw)
    assert len(later) == round(len(raw) * HOLD_BACK) and len(now) + len(later) == len(raw)
    assert later.index[0] == len(now) and split_next_month(raw)[1].equals(later)
