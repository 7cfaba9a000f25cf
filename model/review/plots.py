"""Base and head overlaid on the same axes, drawn with matplotlib's Agg backend into PNGs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from model.review.sides import Side

CURVES = {
    # plot file -> (x key, y key, title, x label, y label)
    "roc": ("fpr", "tpr", "ROC", "false positive rate", "true positive rate"),
    "pr": ("recall", "precision", "Precision-recall", "recall", "precision"),
    "calibration": (
        "mean_predicted",
        "fraction_positive",
        "Calibration",
        "mean predicted P(bad)",
        "observed share bad",
    ),
}
STYLE = {
    "base": {"color": "#7f7f7f", "linestyle": "--"},
    "head": {"color": "#1f77b4", "linestyle": "-"},
}
CLASSES = ("good", "bad")


def _curve(ax: Axes, name: str, sides: dict[str, Side]) -> None:
    x_key, y_key, title, x_label, y_label = CURVES[name]
    for role, side in sides.items():
        rows = side.plots.get(name)
        if rows:
            ax.plot(
                [r[x_key] for r in rows],
                [r[y_key] for r in rows],
                label=f"{role} ({side.label})",
                **STYLE[role],
            )
    if name in ("roc", "calibration"):
        ax.plot([0, 1], [0, 1], color="#d0d0d0", linewidth=0.8)
    ax.set(title=title, xlabel=x_label, ylabel=y_label, xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower right" if name != "pr" else "lower left", fontsize=8)


def confusion_counts(
    rows: list[dict[str, Any]], classes: tuple[str, ...] = CLASSES
) -> list[list[int]]:
    """2x2 counts [actual][predicted] from DVC's per-row confusion data (labels: `classes`)."""
    counts = [[0, 0], [0, 0]]
    for r in rows:
        counts[classes.index(r["actual"])][classes.index(r["predicted"])] += 1
    return counts


def _confusion(ax: Axes, role: str, side: Side, classes: tuple[str, ...]) -> None:
    counts = confusion_counts(side.plots.get("confusion", []), classes)
    ax.imshow(counts, cmap="Blues")
    for i in range(2):
        for j in range(2):
            dark = counts[i][j] > max(map(max, counts)) / 2  # white text on dark cells
            color = "white" if dark else "black"
            ax.text(j, i, str(counts[i][j]), ha="center", va="center", fontsize=11, color=color)
    ax.set(title=f"{role} ({side.label})", xlabel="predicted", ylabel="actual",
           xticks=[0, 1], yticks=[0, 1], xticklabels=classes, yticklabels=classes)  # fmt: skip


def render(sides: dict[str, Side], out: Path, classes: tuple[str, ...] = CLASSES) -> list[str]:
    """Write roc/pr/calibration/confusion PNGs into `out`; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    names = []
    for name in CURVES:
        fig, ax = plt.subplots(figsize=(4.5, 4), dpi=100)
        _curve(ax, name, sides)
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", metadata={"Software": None})
        plt.close(fig)
        names.append(f"{name}.png")
    with_confusion = {role: s for role, s in sides.items() if s.plots.get("confusion")}
    fig, axes = plt.subplots(
        1, max(len(with_confusion), 1), figsize=(4 * max(len(with_confusion), 1), 3.6), dpi=100
    )
    for ax, (role, side) in zip(
        list(getattr(axes, "flat", [axes])), with_confusion.items(), strict=False
    ):
        _confusion(ax, role, side, classes)
    fig.tight_layout()
    fig.savefig(out / "confusion.png", metadata={"Software": None})
    plt.close(fig)
    return [*names, "confusion.png"]
