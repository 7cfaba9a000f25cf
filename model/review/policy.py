"""The promotion-gate policy file: read, checked, with defaults for what it leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from model.config import UsageError

DEFAULT_POLICY = Path(".github/promotion-gate.yaml")
DIRECTIONS = ("higher", "lower")


class PolicyError(UsageError, ValueError):
    """The policy file is malformed (a usage error)."""


@dataclass(frozen=True)
class MetricRule:
    """How much a metric may get worse before the gate fails."""

    name: str
    direction: str
    absolute: float | None = None
    relative: float | None = None
    significant_only: bool = True

    def allowed(self, base: float) -> float:
        """The largest tolerated worsening, in the metric's units."""
        if self.absolute is not None:
            return self.absolute
        return abs(base) * (self.relative or 0.0)

    def text(self) -> str:
        """The rule as a reviewer reads it."""
        tol = (
            f"±{self.absolute:g}"
            if self.absolute is not None
            else f"{(self.relative or 0):.0%} rel."
        )
        sig = ", significant only" if self.significant_only else ""
        return f"{self.direction} is better; worse by > {tol}{sig}"


@dataclass(frozen=True)
class Policy:
    """The whole gate."""

    metrics: list[MetricRule]
    resamples: int = 2000
    seed: int = 0
    confidence: float = 0.95
    latency_ms: dict[str, float] = field(default_factory=dict)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    segment_min_rows: int = 30
    segment_max_drop: dict[str, float] = field(default_factory=dict)
    require_reproducible: bool = True


def _rule(name: str, raw: dict[str, Any]) -> MetricRule:
    direction = raw.get("direction")
    if direction not in DIRECTIONS:
        raise PolicyError(
            f"metrics.{name}.direction must be one of {DIRECTIONS}; found {direction!r}"
        )
    if ("absolute" in raw) == ("relative" in raw):
        raise PolicyError(
            f"metrics.{name} needs exactly one of `absolute` or `relative`; found {sorted(raw)}"
        )
    return MetricRule(
        name=name, direction=direction, absolute=raw.get("absolute"), relative=raw.get("relative"),
        significant_only=bool(raw.get("significant_only", True)),
    )  # fmt: skip


def parse(data: dict[str, Any]) -> Policy:
    """Build a Policy from the YAML mapping."""
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise PolicyError("the gate policy needs a `metrics:` mapping of metric name -> rule")
    boot = data.get("bootstrap", {})
    seg = data.get("segments", {})
    return Policy(
        metrics=[_rule(name, raw or {}) for name, raw in data["metrics"].items()],
        resamples=int(boot.get("resamples", 2000)),
        seed=int(boot.get("seed", 0)),
        confidence=float(boot.get("confidence", 0.95)),
        latency_ms={k: float(v) for k, v in (data.get("latency_budget_ms") or {}).items()},
        segments=seg.get("by", {}),
        segment_min_rows=int(seg.get("min_rows", 30)),
        segment_max_drop={k: float(v) for k, v in (seg.get("max_drop") or {}).items()},
        require_reproducible=bool(data.get("require_reproducible", True)),
    )


def load(path: Path) -> Policy:
    """Read and check the policy file."""
    if not path.is_file():
        raise PolicyError(
            f"gate policy {path} not found; pass --policy or restore {DEFAULT_POLICY}"
        )
    policy = parse(yaml.safe_load(path.read_text()))
    if policy.resamples < 1000:
        raise PolicyError(
            f"bootstrap.resamples must be >= 1000 for stable CIs; found {policy.resamples}"
        )
    return policy
