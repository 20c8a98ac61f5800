"""The drift decision: multiple-testing correction across the run, then per signal
"significant and large", then the dataset verdict. Pure.

A signal fires when both halves hold (either can be switched off in the config):

- **significant**: its p-value, adjusted across *every* test in the run (all columns, all
  signals, prediction columns included), is below α. Benjamini-Hochberg by default (controls
  the false discovery rate; Benjamini & Hochberg 1995), Bonferroni (family-wise error) or none;
  adjustment as ``scipy.stats.false_discovery_control(method="bh")`` computes it. A signal
  without a test skips this half.
- **large**: its effect size reaches the threshold in the direction the statistic declares
  (:data:`mlmon.datadrift.methods.STATISTICS`): value ≥ threshold where a higher value is
  drift, value ≤ threshold where a lower one is, and |value| ≥ threshold for a signed change
  (the missing share's, the new categories' excess) (:func:`reaches`).

The first half stops verdicts on noise in small samples; the second stops verdicts on
trivial changes in huge ones, where every p-value is tiny.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

import numpy as np

from mlmon.datadrift.compare import Comparison, Signal

Correction = Literal["bh", "bonferroni", "none"]


def adjust(p_values: list[float], correction: Correction) -> list[float]:
    """Adjusted p-values in the same order.

    >>> [round(p, 12) for p in adjust([0.01, 0.02, 0.03, 0.5], "bh")]  # p·m/rank, then min
    [0.04, 0.04, 0.04, 0.5]
    >>> adjust([0.01, 0.5], "bonferroni")
    [0.02, 1.0]
    """
    if not p_values or correction == "none":
        return list(p_values)
    p = np.asarray(p_values, dtype=float)
    if correction == "bonferroni":
        return [float(v) for v in np.minimum(1.0, p * len(p))]
    # Benjamini-Hochberg: p₍ᵢ₎ · m / i in ascending order, then the running minimum from the
    # largest down, capped at 1 (what false_discovery_control does; numpy here because
    # importing scipy.stats is slow, see mlmon.datadrift.stats).
    order = np.argsort(p, kind="stable")
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    scaled = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty_like(scaled)
    result[order] = np.clip(scaled, 0.0, 1.0)
    return [float(v) for v in result]


def decide(
    comparisons: Iterable[Comparison],
    *,
    alpha: float,
    correction: Correction,
    significance: bool,
    effect: bool,
) -> list[Comparison]:
    """The ``comparisons`` decided, in the same order: every signal's p-value adjusted across
    all of them, each signal ``fired`` or not, and a comparison ``drifted`` when any of its
    signals fired. A column skipped for its values can still drift on its missing share (a
    column that became empty has drifted)."""
    comparisons = list(comparisons)
    tested = [(i, j) for i, c in enumerate(comparisons) for j, s in enumerate(c.signals)]
    tested = [(i, j) for i, j in tested if comparisons[i].signals[j].p_value is not None]
    p_values = [comparisons[i].signals[j].p_value for i, j in tested]
    adjusted = dict(
        zip(tested, adjust([p for p in p_values if p is not None], correction), strict=True)
    )
    out = []
    for i, c in enumerate(comparisons):
        signals = []
        for j, signal in enumerate(c.signals):
            if (i, j) in adjusted:
                signal = replace(signal, p_value_adjusted=adjusted[i, j])
            signals.append(replace(signal, fired=_fires(signal, alpha, significance, effect)))
        drifted = any(s.fired for s in signals)
        out.append(replace(c, signals=tuple(signals), status="drifted" if drifted else c.status))
    return out


def _fires(signal: Signal, alpha: float, significance: bool, effect: bool) -> bool:
    if signal.value is None:
        return False
    significant = (
        not significance or signal.p_value_adjusted is None or signal.p_value_adjusted < alpha
    )
    large = not effect or reaches(signal.value, signal.threshold, signal.higher_is_drift)
    return significant and large


def reaches(value: float, threshold: float, higher_is_drift: bool | None) -> bool:
    """Whether ``value`` is at or beyond ``threshold`` in the direction of drift: upward
    (True), downward (False) or either way (None, a signed change: |value| ≥ threshold).

    >>> reaches(0.2, 0.1, True), reaches(0.2, 0.1, False), reaches(-0.2, 0.1, None)
    (True, False, True)
    """
    if higher_is_drift is None:
        return abs(value) >= threshold
    return value >= threshold if higher_is_drift else value <= threshold
