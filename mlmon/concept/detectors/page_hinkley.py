"""Page-Hinkley test for a change in the mean (Page 1954; Hinkley 1971). Pure.

Input: any numbers (an absolute error, say). With x̄ₜ the running mean of the stream, the
test keeps two faded cumulative sums of deviations, one for each direction::

    Uₜ = α·Uₜ₋₁ + (xₜ - x̄ₜ - δ)      Lₜ = α·Lₜ₋₁ + (xₜ - x̄ₜ + δ)

and their extremes min U, max L. Once ``min_instances`` values have been seen::

    Uₜ - min U > λ   →  the mean increased      max L - Lₜ > λ   →  the mean decreased

(λ = ``threshold``; δ the magnitude of change tolerated; α the fading factor; ``mode``
"up", "down" or "both"). Defaults and semantics are River 0.26.1's
``drift.PageHinkley``.

References: E. S. Page, "Continuous Inspection Schemes", Biometrika 41(1/2), 1954,
pp. 100-115; D. V. Hinkley, "Inference about the change-point from cumulative sum tests",
Biometrika 58(3), 1971, pp. 509-523.

>>> ph = PageHinkley()
>>> stream = [0.0] * 100 + [5.0] * 100
>>> [i for i, x in enumerate(stream) if ph.update(x).drift_detected]
[110]
"""

from __future__ import annotations

import functools
import math
from typing import ClassVar

from mlmon.concept.detectors.base import Detector, Param


class PageHinkley(Detector):
    """Page-Hinkley test (see the module docstring)."""

    name = "page_hinkley"
    PARAMS: ClassVar[dict[str, Param]] = {
        "min_instances": Param(30, low=1, integer=True),
        "delta": Param(0.005, low=0),
        "threshold": Param(50.0, low=0, low_open=True),
        "alpha": Param(1 - 0.0001, low=0, high=1, low_open=True),
        "mode": Param("both", choices=("up", "down", "both")),
    }
    STATE = ("n", "mean", "sum_up", "sum_down", "min_up", "max_down")

    @property
    def warm_up(self) -> int:
        return int(self.params["min_instances"])

    def warm_up_within(self, span: float) -> int:
        """The first update on which a stream with values within ``span`` can make the test
        detect. A step of ``span`` (up, or down) grows a sum fastest: after k values at one
        level, each value at the other adds about span·k/t, so λ is reached only after
        ~e·λ/span values (139 for the defaults and span 1), not at ``min_instances``. Found by
        running the detector on the step at every position, each run stopped at the best so
        far (cached).

        >>> PageHinkley().warm_up_within(1.0)
        139
        """
        return _step_warm_up(tuple(sorted(self.params.items())), float(span))

    def _clear(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.sum_up = 0.0
        self.sum_down = 0.0
        self.min_up = math.inf
        self.max_down = -1.0  # River starts the maximum at -1, not -inf: kept for equality

    def _step(self, x: float) -> None:
        p = self.params
        self.n += 1
        self.mean += (1.0 / self.n) * (x - self.mean)
        dev = x - self.mean
        self.sum_up = p["alpha"] * self.sum_up + dev - p["delta"]
        self.sum_down = p["alpha"] * self.sum_down + dev + p["delta"]
        self.min_up = min(self.min_up, self.sum_up)
        self.max_down = max(self.max_down, self.sum_down)
        if self.n < p["min_instances"]:
            return
        up = self.sum_up - self.min_up > p["threshold"]
        down = self.max_down - self.sum_down > p["threshold"]
        mode = p["mode"]
        self.drift_detected = up if mode == "up" else down if mode == "down" else up or down


@functools.lru_cache(maxsize=64)
def _step_warm_up(params: tuple[tuple[str, object], ...], span: float) -> int:
    """The shortest step stream (k values at one level, then values ``span`` away) on which a
    Page-Hinkley test with ``params`` detects, over every k and both directions. Streams are
    tried up to a length that doubles until one detects (a constant stream never does, so k
    stops below the best length found)."""
    settings = dict(params)
    cap = max(2 * PageHinkley(**settings).warm_up, 16)
    while cap <= _LONGEST:
        best = cap + 1
        k = 1
        while k < best:
            for before, after in ((0.0, span), (span, 0.0)):
                detector = PageHinkley(**settings)
                for i in range(best - 1):
                    detector.update(before if i < k else after)
                    if detector.drift_detected:
                        best = i + 1
                        break
            k += 1
        if best <= cap:
            return best
        cap *= 2
    return _LONGEST


_LONGEST = 1_000_000
"""Longest step stream tried; a test that never fires within it reports this warm-up."""
