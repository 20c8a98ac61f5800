"""Volume: is a window's row count what its history predicts for that window? Pure.

History is the count of the *same* window in earlier seasons (the same hour of the week over
the past weeks), so weekly seasonality (quiet weekends) is in the prediction, not an alarm.

The prediction is the history's median ``m``. Its spread combines the seasons' own scatter,
the median absolute deviation scaled to a normal standard deviation (1.4826 · MAD, robust to
one odd week), and the Poisson noise of a count (variance ``m``)::

    σ = √((1.4826 · MAD)² + m)        z = (n - m) / σ

A window is an anomaly in the watched ``direction`` (``drop``, ``spike`` or ``both``) when
its two-sided normal interval at ``confidence`` excludes ``n`` *and* the relative change
``|n - m| / m`` reaches ``min_change`` (a practical size, as in drift: a 3% dip on a busy
hour is significant and irrelevant). A window under ``floor`` rows is a drop whatever the
history (``floor`` 0: no floor). Fewer than ``min_history`` seasons give no verdict.

``p_value`` is the one-sided normal tail in the watched direction (both tails for
``both``), for the multiple-testing correction across the run's checks.

Reference: Hampel (1974) for the MAD's consistency constant; Rousseeuw & Croux (1993).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

Direction = Literal["drop", "spike", "both"]

MAD_TO_SIGMA = 1.482602218505602
"""1 / Φ⁻¹(3/4): the MAD of a normal sample times this estimates its standard deviation."""


@dataclass(frozen=True)
class VolumeVerdict:
    """One window's count against its history, with the evidence."""

    rows: int
    status: str
    """``anomaly``, ``ok`` or ``insufficient_data`` (then ``reason`` says why)."""
    expected: float | None
    low: float | None
    high: float | None
    change: float | None
    """(rows - expected) / expected; None without a prediction or when it is 0."""
    p_value: float | None
    history: tuple[int, ...]
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "status": self.status,
            "expected": self.expected,
            "interval": [self.low, self.high],
            "change": self.change,
            "p_value": self.p_value,
            "history": list(self.history),
            "reason": self.reason,
        }


def mad_sigma(values: Sequence[float]) -> float:
    """The normal-consistent median absolute deviation of ``values``.

    >>> mad_sigma([10, 12, 11, 13, 100])  # one odd value barely moves it
    1.482602218505602
    """
    x = np.asarray(values, dtype=float)
    return float(np.median(np.abs(x - np.median(x))) * MAD_TO_SIGMA)


def judge_volume(
    rows: int,
    history: Sequence[int],
    *,
    direction: Direction = "drop",
    confidence: float = 0.99,
    min_change: float = 0.2,
    min_history: int = 3,
    floor: int = 0,
) -> VolumeVerdict:
    """The verdict on a window of ``rows`` rows whose earlier seasons counted ``history``.

    >>> judge_volume(480, [1000, 1010, 990, 1005]).status
    'anomaly'
    >>> judge_volume(985, [1000, 1010, 990, 1005]).status
    'ok'
    """
    seasons = tuple(int(h) for h in history)
    if rows < floor:
        return VolumeVerdict(
            rows, "anomaly", None, None, None, None, None, seasons,
            reason=f"{rows:,} rows < the floor of {floor:,}",
        )  # fmt: skip
    if len(seasons) < min_history:
        return VolumeVerdict(
            rows, "insufficient_data", None, None, None, None, None, seasons,
            reason=f"{len(seasons)} earlier seasons of this window < {min_history} needed",
        )  # fmt: skip
    expected = float(np.median(seasons))
    sigma = math.sqrt(mad_sigma(seasons) ** 2 + expected)
    half = NormalDist().inv_cdf(0.5 + confidence / 2) * sigma
    low, high = max(expected - half, 0.0), expected + half
    change = (rows - expected) / expected if expected > 0 else None
    if sigma == 0:  # no rows ever, and none now
        return VolumeVerdict(rows, "ok", expected, low, high, change, 1.0, seasons)
    z = (rows - expected) / sigma
    cdf = NormalDist().cdf  # 0.5·erfc(-z/√2): exact in the far tails, and no scipy import
    tails = {"drop": cdf(z), "spike": cdf(-z), "both": 2 * cdf(-abs(z))}
    p_value = min(1.0, tails[direction])
    outside = {"drop": rows < low, "spike": rows > high, "both": not low <= rows <= high}
    large = change is None or abs(change) >= min_change
    status = "anomaly" if outside[direction] and large else "ok"
    return VolumeVerdict(rows, status, expected, low, high, change, p_value, seasons)
