"""Feature preparation and the scikit-learn Pipeline, shared by training and evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.core.schema import CREDIT_CONTRACT, POSITIVE_CLASS, TARGET, Contract

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

MISSING_CATEGORY = "missing"  # ONNX's string encoder cannot take NaN, so fill before it


def feature_frame(df: pd.DataFrame, contract: Contract = CREDIT_CONTRACT) -> pd.DataFrame:
    """Select features in contract order: categories as object strings, numbers as float64."""
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for col in contract.features:
        if col.kind == "category":
            out[col.name] = (
                df[col.name].astype(object).where(df[col.name].notna(), MISSING_CATEGORY)
            )
            out[col.name] = out[col.name].astype(str).astype(object)
        else:
            out[col.name] = pd.to_numeric(df[col.name]).astype("float64")
    return out


def target(df: pd.DataFrame, contract: Contract | None = None) -> np.ndarray:
    """1 for the positive class (credit: default risk; a contract's last class), else 0."""
    if contract is None:
        return (df[TARGET] == POSITIVE_CLASS).to_numpy(dtype="int64")
    return (df[contract.target] == contract.target_classes[-1]).to_numpy(dtype="int64")


def build_pipeline(cfg: dict[str, Any], contract: Contract = CREDIT_CONTRACT) -> Pipeline:
    """Imputation + one-hot encoding + gradient boosting, configured by params.train."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer(
        [
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                contract.categorical,
            ),
            ("num", SimpleImputer(strategy="median"), contract.numeric),
        ]
    )
    clf = GradientBoostingClassifier(
        n_estimators=int(cfg["n_estimators"]),
        max_depth=int(cfg["max_depth"]),
        learning_rate=float(cfg["learning_rate"]),
        subsample=float(cfg["subsample"]),
        min_samples_leaf=int(cfg["min_samples_leaf"]),
        random_state=int(cfg["seed"]),
    )
    return Pipeline([("preprocess", pre), ("classifier", clf)])
