import numpy as np
import pytest

from model.core import metrics

pytestmark = pytest.mark.unit


def test_perfect_scores() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.8, 0.9])
    q = metrics.quality(y, p, 0.5)
    assert q["roc_auc"] == 1.0 and q["accuracy"] == 1.0 and q["f1"] == 1.0
    assert q["brier"] == pytest.approx(0.025)
    assert set(q) == set(metrics.QUALITY_METRICS)


def test_threshold_moves_labels_not_auc() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.3, 0.4, 0.6, 0.7])
    low, high = metrics.quality(y, p, 0.35), metrics.quality(y, p, 0.5)
    assert low["roc_auc"] == high["roc_auc"]
    assert low["accuracy"] != high["accuracy"]


def test_plot_rows() -> None:
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.1, 0.9, 0.4, 0.6, 0.2])
    roc = metrics.roc_points(y, p)
    assert roc[0] == {"fpr": 0.0, "tpr": 0.0} and roc[-1] == {"fpr": 1.0, "tpr": 1.0}
    assert all(set(r) == {"recall", "precision"} for r in metrics.pr_points(y, p))
    conf = metrics.confusion_rows(y, p, 0.5, ("good", "bad"))
    assert conf[1] == {"actual": "bad", "predicted": "bad"}
    assert conf[4] == {"actual": "bad", "predicted": "good"}
    cal = metrics.calibration_points(y, p, 2)
    assert all(0 <= r["fraction_positive"] <= 1 for r in cal)
