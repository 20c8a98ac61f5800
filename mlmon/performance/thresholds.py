"""Thresholds turn metric estimates into findings. Pure.

A bound is breached when the value is beyond it; with ``require_significance`` only when the
whole confidence interval is beyond it (so noise in a small window is not a finding).
``max_drop`` is a bound relative to the baseline: for a metric where higher is better the
bound is ``baseline - max_drop``, for one where lower is better ``baseline + max_drop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mlmon.config.sections import ThresholdSection
from mlmon.performance.estimate import Estimate


@dataclass(frozen=True)
class Breach:
    """One threshold a window's metric broke."""

    metric: str
    rule: str
    direction: str
    """``below`` (the value fell under the bound) or ``above``."""
    bound: float
    value: float
    ci_low: float | None
    ci_high: float | None
    significant: bool
    estimated: bool = False
    """The value is a CBPE estimate (labels not yet arrived), not the realized metric."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(
    thresholds: Mapping[str, ThresholdSection],
    metrics: Mapping[str, Estimate],
    baseline: Mapping[str, Estimate] | None,
    higher_is_better: Mapping[str, bool],
    *,
    estimated: bool = False,
) -> list[Breach]:
    """Every breach of ``thresholds`` by ``metrics`` (undefined metrics breach nothing).
    ``higher_is_better`` gives the direction of the metrics ``max_drop`` applies to.

    >>> from mlmon.config.sections import ThresholdSection
    >>> t = {"roc_auc": ThresholdSection(min=0.75, require_significance=True)}
    >>> evaluate(t, {"roc_auc": Estimate(0.74, 0.70, 0.78, "delong")}, None, {})
    []
    >>> [b.rule for b in evaluate(t, {"roc_auc": Estimate(0.70, 0.66, 0.74)}, None, {})]
    ['min']
    """
    breaches: list[Breach] = []
    for name, rule in thresholds.items():
        est = metrics.get(name)
        if est is None or est.value is None:
            continue
        bounds: list[tuple[str, float, bool]] = []  # (rule, bound, breached when below)
        if rule.min is not None:
            bounds.append(("min", rule.min, True))
        if rule.max is not None:
            bounds.append(("max", rule.max, False))
        if rule.max_drop is not None and baseline is not None:
            base = baseline.get(name)
            if base is not None and base.value is not None:
                higher = higher_is_better[name]
                bound = base.value - rule.max_drop if higher else base.value + rule.max_drop
                bounds.append(("max_drop", bound, higher))
        for kind, bound, below in bounds:
            beyond = est.value < bound if below else est.value > bound
            if not beyond:
                continue
            edge = est.high if below else est.low
            significant = bool(edge is not None and (edge < bound if below else edge > bound))
            if rule.require_significance and not significant:
                continue
            breaches.append(
                Breach(
                    name,
                    kind,
                    "below" if below else "above",
                    bound,
                    est.value,
                    est.low,
                    est.high,
                    significant,
                    estimated,
                )
            )
    return breaches
