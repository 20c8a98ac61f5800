"""Is a share of rows beyond its bound, given how many rows there were? Pure.

``k`` of ``n`` values have a property (null, zero, out of range, a new category). The share
``k / n`` is judged against ``bound`` with the exact one-sided binomial test (the p-value of
``scipy.stats.binomtest`` with that alternative, from the binomial tails directly)::

    above:  p = P(X >= k),  X ~ Binomial(n, bound)       (H0: the true share <= bound)
    below:  p = P(X <= k),  X ~ Binomial(n, bound)       (H0: the true share >= bound)

and shown with its Wilson score interval (Wilson 1927), :func:`wilson`. The bound already
holds the practical size (a contract's bound is the reference share plus a tolerance), so a
small p-value is both significant and large enough to matter; the caller corrects the
p-values of all of a run's checks together. Fewer than ``min_rows`` values: no verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

Side = Literal["above", "below"]


@dataclass(frozen=True)
class ShareTest:
    """``count`` of ``n`` against ``bound``: the evidence of one share check."""

    count: int
    n: int
    bound: float
    side: Side
    share: float | None
    low: float | None
    high: float | None
    p_value: float | None
    """None when there is no verdict (``n`` under the minimum)."""

    @property
    def beyond(self) -> bool:
        """Is the observed share on the wrong side of the bound (before any test)?"""
        if self.share is None:
            return False
        return self.share > self.bound if self.side == "above" else self.share < self.bound

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "n": self.n,
            "share": self.share,
            "interval": [self.low, self.high],
            "bound": self.bound,
            "side": self.side,
            "p_value": self.p_value,
        }


def judge_share(
    count: int,
    n: int,
    bound: float,
    *,
    side: Side = "above",
    min_rows: int = 1,
    confidence: float = 0.95,
) -> ShareTest:
    """The test of ``count`` of ``n`` against ``bound`` (no p-value under ``min_rows``).

    Wilson's 95% interval of 30/200 by hand: centre (0.15 + 1.96²/400) / (1 + 1.96²/200) =
    0.1566, half-width 1.96 / 1.0192 · √(0.15 · 0.85 / 200 + 1.96² / 160000) = 0.0495.

    >>> t = judge_share(30, 200, 0.05)          # 15% zeros where at most 5% are allowed
    >>> round(t.share, 3), round(t.low, 3), t.p_value < 1e-6
    (0.15, 0.107, True)
    >>> judge_share(3, 200, 0.05).p_value        # 1.5%: nothing beyond the bound
    1.0
    """
    if n <= 0:
        return ShareTest(count, n, bound, side, None, None, None, None)
    share = count / n
    low, high = wilson(count, n, confidence)
    beyond = share > bound if side == "above" else share < bound
    # on the right side of the bound there is nothing to test: p = 1, and no tail is computed
    # (a run judges tens of thousands of shares; almost all are within their bound)
    p_value: float | None = 1.0
    if beyond:
        # scipy.special's binomial tails (the numbers of scipy.stats.binom.sf / .cdf, without
        # importing scipy.stats), imported only here: a run with no share beyond its bound
        # never loads scipy at all
        from scipy.special import bdtr, bdtrc

        tail = bdtrc(count - 1, n, bound) if side == "above" else bdtr(count, n, bound)
        p_value = float(tail)
    if n < min_rows:
        p_value = None
    return ShareTest(count, n, bound, side, share, low, high, p_value)


def wilson(count: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson's score interval of ``count / n`` (what ``binomtest(count, n)
    .proportion_ci(confidence, method="wilson")`` returns, in closed form)::

        centre = (p̂ + z²/2n) / (1 + z²/n)      half = z / (1 + z²/n) · √(p̂(1 - p̂)/n + z²/4n²)

    >>> [round(x, 4) for x in wilson(0, 20, 0.95)]
    [0.0, 0.1611]
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = count / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)
