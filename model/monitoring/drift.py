"""Drift between a reference sample and current traffic: PSI plus a KS or chi-square test.

Bins are fixed by the reference alone (quantiles for numbers, the reference's categories
for categoricals, one extra bin for missing values and one for unseen categories), so the
same reference always yields the same bins. A column is flagged only when BOTH its PSI is
above the threshold (the shift is large enough to matter) AND the test rejects "same
distribution" at `alpha` (the shift is not sampling noise): PSI alone is noisy on small
samples, and a p-value alone flags trivial shifts on large ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from model.config import UsageError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from model.core.schema import Contract

DEFAULT_BINS = 10
DEFAULT_PSI_THRESHOLD = 0.2  # the usual "significant shift" line for PSI
DEFAULT_ALPHA = 0.01
EPSILON = 1e-4  # floor for an empty bin's share, so log(ratio) stays finite
SCORE = "score"
MIN_ROWS = 50  # fewer current rows than this cannot support a distribution test


class DriftInputError(UsageError, ValueError):
    """The reference or current data cannot be compared (missing columns, too few rows)."""


@dataclass(frozen=True)
class ColumnDrift:
    """Drift figures for one feature (or the score)."""

    name: str
    kind: Literal["numeric", "category"]
    psi: float
    test: Literal["ks", "chi2"]
    statistic: float
    p_value: float
    drifted: bool
    n_reference: int
    n_current: int
    missing_reference: float
    missing_current: float
    bins: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DriftReport:
    """Per-column drift plus the thresholds used; `drifted` is the verdict."""

    columns: list[ColumnDrift]
    psi_threshold: float
    alpha: float
    n_reference: int
    n_current: int
    notes: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        """True when any feature or the score drifted."""
        return any(c.drifted for c in self.columns)

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns that drifted, in report order."""
        return [c.name for c in self.columns if c.drifted]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for drift.json."""
        return {
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
            "psi_threshold": self.psi_threshold,
            "alpha": self.alpha,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "notes": self.notes,
            "columns": [asdict(c) for c in self.columns],
        }


def psi(ref_share: np.ndarray, cur_share: np.ndarray, eps: float = EPSILON) -> float:
    """Population stability index between two bin-share vectors (same bins)."""
    import numpy as np

    r = np.clip(ref_share, eps, None)
    c = np.clip(cur_share, eps, None)
    return float(np.sum((c - r) * np.log(c / r)))


def quantile_edges(reference: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (ties collapse, so maybe fewer bins)."""
    import numpy as np

    finite = reference[~np.isnan(reference)]
    if finite.size == 0:
        return np.array([], dtype="float64")
    qs = np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(qs)


def numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: len(edges)+1 value bins, then one bin for missing values."""
    import numpy as np

    nan = np.isnan(values)
    idx = np.searchsorted(edges, values[~nan], side="right")
    counts = np.bincount(idx, minlength=edges.size + 1)
    return np.append(counts, nan.sum())


def category_counts(values: np.ndarray, categories: list[str]) -> np.ndarray:
    """Counts per reference category, then one bin for categories the reference never had."""
    import numpy as np

    lookup = {c: i for i, c in enumerate(categories)}
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    codes = np.array([lookup.get(u, len(categories)) for u in uniq], dtype="int64")[inverse]
    return np.bincount(codes, minlength=len(categories) + 1)


Stats = tuple[float, float, float, list[dict[str, Any]]]  # psi, statistic, p-value, bin table


def _numeric(name: str, ref: np.ndarray, cur: np.ndarray, bins: int) -> Stats:
    import numpy as np
    from scipy import stats

    edges = quantile_edges(ref, bins)
    rc, cc = numeric_counts(ref, edges), numeric_counts(cur, edges)
    value = psi(rc / rc.sum(), cc / cc.sum())
    r, c = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if r.size == 0 or c.size == 0:
        raise DriftInputError(f"column '{name}': no non-missing values to compare")
    # asymp: the exact distribution is O(n*m) and these samples are large enough for it
    ks = stats.ks_2samp(r, c, method="asymp")
    lows = [-np.inf, *edges.tolist()]
    highs = [*edges.tolist(), np.inf]
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(lows, highs, strict=True)] + ["missing"]
    return value, float(ks.statistic), float(ks.pvalue), _bin_table(labels, rc, cc)


def _category(ref: np.ndarray, cur: np.ndarray) -> Stats:
    import numpy as np
    from scipy import stats

    categories = sorted(set(np.unique(ref.astype(str)).tolist()))
    rc, cc = category_counts(ref, categories), category_counts(cur, categories)
    value = psi(rc / rc.sum(), cc / cc.sum())
    table = np.vstack([rc, cc])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        stat, p = 0.0, 1.0  # one category on both sides: nothing can differ
    else:
        res = stats.chi2_contingency(table, correction=False)
        stat, p = float(res.statistic), float(res.pvalue)
    return value, stat, p, _bin_table([*categories, "<unseen>"], rc, cc)


def _bin_table(labels: list[str], rc: np.ndarray, cc: np.ndarray) -> list[dict[str, Any]]:
    rs, cs = rc / max(rc.sum(), 1), cc / max(cc.sum(), 1)
    return [
        {"bin": lab, "reference": round(float(r), 6), "current": round(float(c), 6)}
        for lab, r, c in zip(labels, rs, cs, strict=True)
    ]


def column_drift(
    name: str,
    ref: np.ndarray,
    cur: np.ndarray,
    *,
    categorical: bool,
    psi_threshold: float = DEFAULT_PSI_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
    bins: int = DEFAULT_BINS,
) -> ColumnDrift:
    """Drift of one column: PSI on reference-derived bins, plus KS (numeric) or chi-square."""
    import numpy as np

    if categorical:
        value, stat, p, table = _category(ref, cur)
        miss_r, miss_c = _share(ref, "missing"), _share(cur, "missing")
    else:
        ref, cur = ref.astype("float64"), cur.astype("float64")
        value, stat, p, table = _numeric(name, ref, cur, bins)
        miss_r, miss_c = float(np.isnan(ref).mean()), float(np.isnan(cur).mean())
    return ColumnDrift(
        name=name,
        kind="category" if categorical else "numeric",
        psi=round(value, 6),
        test="chi2" if categorical else "ks",
        statistic=round(stat, 6),
        p_value=float(f"{p:.6g}"),
        drifted=bool(value > psi_threshold and p < alpha),
        n_reference=int(ref.size),
        n_current=int(cur.size),
        missing_reference=round(miss_r, 6),
        missing_current=round(miss_c, 6),
        bins=table,
    )


def _share(values: np.ndarray, token: str) -> float:
    return float((values.astype(str) == token).mean()) if values.size else 0.0


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    contract: Contract | None = None,
    *,
    psi_threshold: float = DEFAULT_PSI_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
    bins: int = DEFAULT_BINS,
) -> DriftReport:
    """Drift per contract feature, plus the score when both frames have a `score` column.

    Both frames hold features as `features.feature_frame` makes them (categorical NaN is
    the string "missing"); an optional float column `score` carries model outputs.
    """
    from model.core.schema import CREDIT_CONTRACT

    contract = contract or CREDIT_CONTRACT
    _check_inputs(reference, current, contract)
    opts = {"psi_threshold": psi_threshold, "alpha": alpha, "bins": bins}
    columns = [
        column_drift(
            col.name,
            reference[col.name].to_numpy(),
            current[col.name].to_numpy(),
            categorical=col.kind == "category",
            **opts,
        )
        for col in contract.features
    ]
    notes = []
    if SCORE in reference and SCORE in current:
        ref_s, cur_s = reference[SCORE].to_numpy(), current[SCORE].to_numpy()
        columns.append(column_drift(SCORE, ref_s, cur_s, categorical=False, **opts))
    else:
        side = "reference" if SCORE not in reference else "current data"
        notes.append(f"score drift not computed: the {side} has no scores")
    return DriftReport(columns, psi_threshold, alpha, len(reference), len(current), notes)


def _check_inputs(reference: pd.DataFrame, current: pd.DataFrame, contract: Contract) -> None:
    for label, frame in (("reference", reference), ("current", current)):
        missing = [n for n in contract.feature_names if n not in frame]
        if missing:
            raise DriftInputError(
                f"the {label} data lacks feature column(s) {', '.join(missing)}; expected all of "
                f"{', '.join(contract.feature_names)}"
            )
    if len(current) < MIN_ROWS or len(reference) < MIN_ROWS:
        raise DriftInputError(
            f"need at least {MIN_ROWS} rows on each side to test for drift; found "
            f"{len(reference)} reference and {len(current)} current rows; collect more samples"
        )
