"""The data contract as plain data: one source for validation, training and serving.

Kept free of pandas/pandera so the serving image can derive its request schema from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["int", "float", "category"]

ID_COLUMN = "rownames"
TARGET = "Status"
POSITIVE_CLASS = "bad"  # the model scores the risk of default
TARGET_CLASSES = ("good", "bad")


@dataclass(frozen=True)
class Column:
    """One feature: its kind, allowed values or range, and how many nulls are tolerated."""

    name: str
    kind: Kind
    max_null_rate: float = 0.0
    categories: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def nullable(self) -> bool:
        """Whether a single value may be missing."""
        return self.max_null_rate > 0


@dataclass(frozen=True)
class Contract:
    """The whole raw-data contract."""

    features: tuple[Column, ...]
    id_column: str = ID_COLUMN
    target: str = TARGET
    target_classes: tuple[str, ...] = TARGET_CLASSES
    min_rows: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def categorical(self) -> list[str]:
        """Names of categorical features, in contract order."""
        return [c.name for c in self.features if c.kind == "category"]

    @property
    def numeric(self) -> list[str]:
        """Names of numeric features, in contract order."""
        return [c.name for c in self.features if c.kind != "category"]

    @property
    def feature_names(self) -> list[str]:
        """All feature names, in contract order."""
        return [c.name for c in self.features]

    def column(self, name: str) -> Column:
        """Look a feature up by name."""
        for col in self.features:
            if col.name == name:
                return col
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for schema.json next to the model."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contract:
        """Inverse of to_dict."""
        cols = tuple(
            Column(**{**c, "categories": tuple(c.get("categories", ()))}) for c in data["features"]
        )
        rest = {k: v for k, v in data.items() if k != "features"}
        rest["target_classes"] = tuple(rest.get("target_classes", TARGET_CLASSES))
        return cls(features=cols, **rest)


# Null-rate bounds sit a little above what the real data shows (Income 8.6%, Assets 1.1%,
# Debt 0.4%, Home 0.13%) so that normal variation passes and a surge stops the pipeline.
CREDIT_CONTRACT = Contract(
    features=(
        Column("Seniority", "int", minimum=0, maximum=60),
        Column(
            "Home",
            "category",
            max_null_rate=0.01,
            categories=("ignore", "other", "owner", "parents", "priv", "rent"),
        ),
        Column("Time", "int", minimum=1, maximum=120),
        Column("Age", "int", minimum=18, maximum=100),
        Column(
            "Marital",
            "category",
            max_null_rate=0.01,
            categories=("divorced", "married", "separated", "single", "widow"),
        ),
        Column("Records", "category", categories=("no", "yes")),
        Column(
            "Job",
            "category",
            max_null_rate=0.01,
            categories=("fixed", "freelance", "others", "partime"),
        ),
        Column("Expenses", "int", minimum=0, maximum=1000),
        Column("Income", "float", max_null_rate=0.15, minimum=0, maximum=10_000),
        Column("Assets", "float", max_null_rate=0.05, minimum=0, maximum=1_000_000),
        Column("Debt", "float", max_null_rate=0.05, minimum=0, maximum=100_000),
        Column("Amount", "int", minimum=1, maximum=10_000),
        Column("Price", "int", minimum=1, maximum=20_000),
    )
)
