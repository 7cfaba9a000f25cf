"""Pure metric and plot-data functions over labels and scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

QUALITY_METRICS = ("roc_auc", "pr_auc", "accuracy", "f1", "brier", "log_loss")


def quality(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC AUC, PR AUC, accuracy, F1, Brier score and log loss, rounded for stable diffs."""
    from sklearn import metrics as m

    label = (p >= threshold).astype(int)
    values = {
        "roc_auc": m.roc_auc_score(y, p),
        "pr_auc": m.average_precision_score(y, p),
        "accuracy": m.accuracy_score(y, label),
        "f1": m.f1_score(y, label),
        "brier": m.brier_score_loss(y, p),
        "log_loss": m.log_loss(y, p, labels=[0, 1]),
    }
    return {k: round(float(v), 6) for k, v in values.items()}


def roc_points(y: np.ndarray, p: np.ndarray) -> list[dict[str, float]]:
    """ROC curve as rows for DVC plots."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    return [
        {"fpr": round(float(a), 6), "tpr": round(float(b), 6)}
        for a, b in zip(fpr, tpr, strict=True)
    ]


def pr_points(y: np.ndarray, p: np.ndarray) -> list[dict[str, float]]:
    """Precision-recall curve as rows for DVC plots."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, p)
    return [
        {"recall": round(float(r), 6), "precision": round(float(q), 6)}
        for r, q in zip(recall, precision, strict=True)
    ]


def calibration_points(y: np.ndarray, p: np.ndarray, bins: int) -> list[dict[str, float]]:
    """Reliability diagram points (uniform bins) for DVC plots."""
    from sklearn.calibration import calibration_curve

    frac, mean = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    return [
        {"mean_predicted": round(float(a), 6), "fraction_positive": round(float(b), 6)}
        for a, b in zip(mean, frac, strict=True)
    ]


def confusion_rows(
    y: np.ndarray, p: np.ndarray, threshold: float, labels: tuple[str, str]
) -> list[dict[str, Any]]:
    """One row per test example with actual and predicted class names (DVC's confusion template)."""
    names = [labels[0], labels[1]]
    return [
        {"actual": names[int(a)], "predicted": names[int(b >= threshold)]}
        for a, b in zip(y, p, strict=True)
    ]
