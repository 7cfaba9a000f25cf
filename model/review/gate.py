"""Evaluate the promotion-gate policy against the computed comparison."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from model.review.policy import MetricRule, Policy


@dataclass(frozen=True)
class Check:
    """One gate rule's outcome."""

    name: str
    rule: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for report.json."""
        return asdict(self)


def worsening(rule: MetricRule, delta: dict[str, Any]) -> tuple[float, bool]:
    """How much worse head is than base (positive = worse), and whether that is significant."""
    sign = -1.0 if rule.direction == "higher" else 1.0
    worse = sign * delta["delta"]
    bound = delta["ci_high"] if rule.direction == "higher" else delta["ci_low"]
    significant = bool(sign * bound > 0)  # the whole interval lies on the worse side of 0
    return worse, significant


def metric_check(rule: MetricRule, delta: dict[str, Any]) -> Check:
    """Fail when the metric got worse beyond tolerance (and, if required, significantly)."""
    worse, significant = worsening(rule, delta)
    allowed = rule.allowed(delta["base"])
    failed = worse > allowed and (significant or not rule.significant_only)
    if failed:
        detail = f"{rule.name} worse by {worse:.4f} (> {allowed:.4f})" + (
            ", significant" if significant else ""
        )
    elif worse > allowed:
        detail = f"{rule.name} worse by {worse:.4f} but the CI includes 0"
    else:
        detail = f"{rule.name} within tolerance"
    return Check(rule.name, rule.text(), not failed, detail)


def segment_checks(policy: Policy, rows: list[dict[str, Any]]) -> list[Check]:
    """No segment may drop significantly by more than the policy's per-metric limit."""
    checks = []
    for metric, limit in policy.segment_max_drop.items():
        bad = [
            r for r in rows
            if r["metric"] == metric and -r["delta"] > limit and r["ci_high"] < 0
        ]  # fmt: skip
        names = ", ".join(f"{r['segment']}={r['value']} ({r['delta']:+.3f})" for r in bad)
        rule = f"no segment's {metric} drops significantly by > {limit:g}"
        checks.append(
            Check(
                f"segments.{metric}", rule, not bad, names or "no segment dropped beyond the limit"
            )
        )
    return checks


def latency_checks(policy: Policy, head_latency: dict[str, Any] | None) -> list[Check]:
    """Head's measured latency must stay within the absolute budget."""
    checks = []
    for key, budget in policy.latency_ms.items():
        value = (head_latency or {}).get(key)
        if value is None:
            checks.append(
                Check(f"latency.{key}", f"≤ {budget:g} ms", False, f"{key} missing from head")
            )
            continue
        ok = float(value) <= budget
        checks.append(
            Check(f"latency.{key}", f"≤ {budget:g} ms", ok, f"{key} = {float(value):.2f} ms")
        )
    return checks


def lock_check(lock: dict[str, Any] | None, required: bool) -> list[Check]:
    """The reproducibility verdict from `model verify-lock`, when one was supplied."""
    if lock is None or not required:
        return []
    stages = ", ".join(lock.get("differing_stages", []))
    detail = (
        "dvc.lock reproduced byte for byte" if lock["reproducible"] else f"stages differ: {stages}"
    )
    return [Check("reproducibility", "outputs match dvc.lock", bool(lock["reproducible"]), detail)]


def verdict(checks: list[Check], *, baseline: bool, any_significant: bool,
            new_model: bool = False) -> tuple[bool, str]:  # fmt: skip
    """(passed, one-line verdict) for the whole gate.

    A new model has nothing to be compared with: only its absolute checks (latency budget,
    reproducibility) can fail it, and the verdict says that no comparison was made.
    """
    failed = [c for c in checks if not c.passed]
    if failed:
        names = ", ".join(c.name for c in failed)
        return False, f"❌ Gate failed ({names}): {failed[0].detail}"
    if new_model:
        done = ", ".join(c.name for c in checks) or "none configured"
        return True, f"🆕 New model: no base to compare with; absolute checks passed ({done})"
    if not baseline:
        return (
            True,
            "⚪ No baseline: the base revision has no metrics or predictions, nothing to compare",
        )
    if not any_significant:
        return True, "✅ Gate passed: no significant change"
    return True, "✅ Gate passed: significant changes are within tolerance"
