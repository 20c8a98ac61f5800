"""A metric's value with its confidence interval, or the reason it is undefined."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """One metric in one window.

    ``value`` is None exactly when the metric is undefined there, and ``reason`` says why
    (``"only one class among the labels"``); ``low``/``high`` are None when no interval
    applies. ``method`` names how the interval was made (``wilson``, ``delong``, …).
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    method: str | None = None
    reason: str | None = None

    @staticmethod
    def undefined(reason: str) -> Estimate:
        return Estimate(None, reason=reason)

    @staticmethod
    def with_interval(value: float, interval: tuple[float, float] | None, method: str) -> Estimate:
        """``value`` with ``interval`` made by ``method``, or without one when it is None."""
        if interval is None:
            return Estimate(value)
        return Estimate(value, interval[0], interval[1], method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": finite_or_none(self.value),
            "ci_low": finite_or_none(self.low),
            "ci_high": finite_or_none(self.high),
            "ci_method": self.method,
            "reason": self.reason,
        }


def finite_or_none(x: float | None) -> float | None:
    """``x`` as a float, or None when it is None, NaN or infinite (JSON has no NaN)."""
    return None if x is None or not math.isfinite(x) else float(x)
