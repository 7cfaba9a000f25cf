"""A small trained model, made in this process: serving unit tests need no pipeline run.

A few hundred synthetic rows that honour the data contract (model/core/schema.py) go
through the train stage itself (model/pipeline/train.py): the same pipeline, ONNX export,
parity check, model.json and pinned digest as `dvc repro`, in about two seconds and on a
clean clone without `dvc pull`. build-info.json beside the model stands in for the one the
image bakes, so the server reads provenance from it instead of asking git.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.core.schema import CREDIT_CONTRACT, ID_COLUMN, POSITIVE_CLASS, TARGET, Column
from model.names import PIN_FILE

TRAIN_ROWS = 400
TEST_ROWS = 500
SEED = 20261126
COMMIT = "c0ffee" + "0" * 34  # stands for the commit the image would record
NULL_SHARE = 0.04  # of a nullable column's cells, below every max_null_rate bound
# Fewer trees than params.yaml: the serving tests need a real model, not a good one, and
# saving 200 trees with skops costs seconds. Every other train parameter is the project's.
TINY_TRAIN = {"n_estimators": 25}


@dataclass(frozen=True)
class TinyModel:
    """Where the tiny model lives and what it was made from (read-only for tests)."""

    models: Path  # model.onnx, model.json, model.skops, model.sha256, build-info.json
    test_csv: Path  # held-out rows in the prepared split's CSV format
    build_info: dict[str, Any]

    @property
    def digest(self) -> str:
        """The bundle digest the train stage pinned."""
        return (self.models / PIN_FILE).read_text().strip()


def _column(col: Column, rng: Any, n: int) -> Any:
    """`n` values inside the column's contract: categories, or numbers within its range."""
    import numpy as np

    if col.kind == "category":
        values = rng.choice(np.array(col.categories, dtype=object), size=n)
    else:
        low = col.minimum if col.minimum is not None else 0
        high = min(col.maximum if col.maximum is not None else 1000, low + 5000)
        values = rng.uniform(low, high, size=n)
        values = values.round() if col.kind == "int" else values.round(2)
        values = values.astype(object)
    if col.nullable:
        values[rng.random(n) < NULL_SHARE] = None
    return values


def synthetic_rows(n: int, seed: int = SEED, first_id: int = 1) -> Any:
    """A raw-data frame of `n` rows: contract features, row ids, and a learnable target."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c.name: _column(c, rng, n) for c in CREDIT_CONTRACT.features})
    for col in CREDIT_CONTRACT.features:
        if col.kind == "int" and not col.nullable:
            frame[col.name] = frame[col.name].astype("int64")
    # Risk rises with adverse records and falls with income, so the scores are not constant.
    income = pd.to_numeric(frame["Income"]).fillna(0).to_numpy()
    logit = 1.5 * (frame["Records"] == "yes").to_numpy() - income / 2500 + rng.normal(0, 1, n)
    negative = next(c for c in CREDIT_CONTRACT.target_classes if c != POSITIVE_CLASS)
    frame.insert(0, TARGET, np.where(logit > -0.5, POSITIVE_CLASS, negative))
    frame.insert(0, ID_COLUMN, np.arange(first_id, first_id + n))
    return frame


def build(root: Path, params: Path) -> TinyModel:
    """Train and export the tiny model under `root` with `params` (fewer trees: TINY_TRAIN)."""
    import yaml

    from model.pipeline import train

    cfg = yaml.safe_load(params.read_text())
    cfg["train"] = {**cfg["train"], **TINY_TRAIN}
    (root / "params.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    data = root / "artifacts"
    data.mkdir(parents=True)
    train_csv, test_csv = data / "train.csv", data / "test.csv"
    synthetic_rows(TRAIN_ROWS).to_csv(train_csv, index=False, lineterminator="\n")
    test = synthetic_rows(TEST_ROWS, seed=SEED + 1, first_id=TRAIN_ROWS + 1)
    test.to_csv(test_csv, index=False, lineterminator="\n")
    models = root / "models"
    # The stage reads params.yaml from the working directory, as `dvc repro` runs it.
    with contextlib.chdir(root), contextlib.redirect_stdout(io.StringIO()):
        code = train.main(["--train", str(train_csv), "--out", str(models)])
    assert code == 0, f"the train stage exited {code} on the tiny synthetic data"
    info = {
        "version": None,
        "git_commit": COMMIT,
        "data_md5": hashlib.md5(train_csv.read_bytes()).hexdigest(),  # as DVC hashes it
        "metrics": _metrics(models, test),
    }
    (models / "build-info.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return TinyModel(models=models, test_csv=test_csv, build_info=info)


def _metrics(models: Path, test: Any) -> dict[str, float]:
    """Quality on the held-out rows, computed as the evaluate stage does."""
    from model.core.artifact import load_skops
    from model.core.features import feature_frame, target
    from model.core.metrics import quality
    from model.names import META_FILE, SKOPS_FILE

    threshold = float(json.loads((models / META_FILE).read_text())["threshold"])
    p = load_skops(models / SKOPS_FILE).predict_proba(feature_frame(test))[:, 1]
    return quality(target(test), p, threshold)
