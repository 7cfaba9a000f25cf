"""The lean ONNX path agrees with the trained sklearn Pipeline on the whole test split.

ONNX Runtime evaluates the trees in float32, so the bound is documented at 1e-5 (observed
~2e-7) with zero label flips at the decision threshold stored in models/model.json.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.core.export import ONNX_TOLERANCE
from tests.unit.serving_helpers import SERVING_ENV, client_for, contract_of, read_rows
from tests.unit.tiny_model import TEST_ROWS, TinyModel

pytestmark = pytest.mark.unit


def test_http_scores_match_pipeline_on_whole_test_split(
    tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.core.artifact import load_skops
    from model.core.dataset import read_raw
    from model.core.features import feature_frame

    for name in SERVING_ENV:
        monkeypatch.delenv(name, raising=False)
    models, test_csv = tiny_model.models, tiny_model.test_csv
    threshold = json.loads((models / "model.json").read_text())["threshold"]
    reference = load_skops(models / "model.skops").predict_proba(feature_frame(read_raw(test_csv)))[
        :, 1
    ]

    rows = read_rows(test_csv, contract_of(models))
    client = client_for(models)
    reply = client.post("/v1/predict", json={"instances": rows})
    client.close()
    assert reply.status_code == 200
    served = np.array([p["probability"] for p in reply.json()["predictions"]])

    assert len(served) == len(reference) == TEST_ROWS
    assert np.abs(served - reference).max() <= ONNX_TOLERANCE
    assert int(((served >= threshold) != (reference >= threshold)).sum()) == 0
    labels = [p["label"] for p in reply.json()["predictions"]]
    assert labels == ["bad" if p >= threshold else "good" for p in served]
