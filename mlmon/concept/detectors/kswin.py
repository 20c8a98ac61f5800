"""KSWIN, Kolmogorov-Smirnov windowing (Raab, Heusinger & Schleif 2020). Pure.

Input: any numbers. KSWIN keeps the last ``window_size`` values. Once the window is full it
compares the newest ``stat_size`` values R with ``stat_size`` values W drawn at random
(without replacement) from the older part of the window, by the two-sample
Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``, method "auto"; its p-values are kept in a
table by (n₁, n₂, D), see ``_ks_test``)::

    p-value(R, W) ≤ alpha  and  D(R, W) > 0.1   →  drift

after which the window keeps only R. The draw uses Python's ``random.Random(seed)``, whose
state is part of the detector's state, so a restored detector draws the same values.
Defaults and semantics are River 0.26.1's ``drift.KSWIN``.

Reference: C. Raab, M. Heusinger, F.-M. Schleif, "Reactive Soft Prototype Computing for
Concept Drift Streams", Neurocomputing 416, 2020, pp. 340-351.

>>> ks = KSWIN(seed=42)
>>> stream = [i % 7 / 7 for i in range(300)] + [3 + i % 5 for i in range(200)]
>>> [i for i, x in enumerate(stream) if ks.update(x).drift_detected]
[311]
"""

from __future__ import annotations

import math
import random
import warnings
from collections import deque
from typing import Any, ClassVar

import numpy as np

from mlmon.concept.detectors.base import Detector, Param


class KSWIN(Detector):
    """Kolmogorov-Smirnov windowing (see the module docstring)."""

    name = "kswin"
    PARAMS: ClassVar[dict[str, Param]] = {
        "alpha": Param(0.005, low=0, high=1),
        "window_size": Param(100, low=2, integer=True),
        "stat_size": Param(30, low=1, integer=True),
        "seed": Param(None, integer=True, nullable=True),
    }
    STATE = ("n", "p_value", "values", "rng_state")

    def _check(self, params: dict[str, Any]) -> None:
        if params["stat_size"] * 2 > params["window_size"]:
            # the older part of the window must hold stat_size values to draw from
            raise ValueError("kswin: window_size must be at least twice stat_size")

    @property
    def warm_up(self) -> int:
        return int(self.params["window_size"])

    def _clear(self) -> None:
        self.n = 0
        self.p_value = 0.0
        self.window: deque[float] = deque(maxlen=self.params["window_size"])
        self._rng = random.Random(self.params["seed"])

    # The window and the generator are kept as objects; the state exposes them as lists.
    @property
    def values(self) -> list[float]:
        return list(self.window)

    @values.setter
    def values(self, values: list[float]) -> None:
        self.window = deque(values, maxlen=self.params["window_size"])

    @property
    def rng_state(self) -> list[Any]:
        version, internal, gauss = self._rng.getstate()
        return [version, list(internal), gauss]

    @rng_state.setter
    def rng_state(self, state: list[Any]) -> None:
        self._rng.setstate((state[0], tuple(state[1]), state[2]))

    def _step(self, x: float) -> None:
        size, stat = self.params["window_size"], self.params["stat_size"]
        self.n += 1
        self.window.append(x)
        if len(self.window) < size:
            self.drift_detected = False
            return
        drawn = [self.window[r] for r in self._rng.sample(range(size - stat), stat)]
        recent = list(self.window)[size - stat :]
        statistic, self.p_value = _ks_test(drawn, recent)
        if self.p_value <= self.params["alpha"] and statistic > 0.1:
            self.drift_detected = True
            self.window = deque(recent, maxlen=size)
        else:
            self.drift_detected = False


_EXACT_UP_TO = 10_000
"""ks_2samp's ``method="auto"`` computes the exact p-value up to this sample size; it then
rounds D to a multiple of 1/lcm(n₁, n₂)."""

_P_VALUES: dict[tuple[int, int, int], float] = {}
"""ks_2samp's p-values by (n₁, n₂, h), D = h / lcm(n₁, n₂): in the exact case the two-sided
p-value is a function of these alone, and with ``stat_size`` values per sample h takes at
most lcm + 1 values."""


def _ks_test(a: list[float], b: list[float]) -> tuple[float, float]:
    """``scipy.stats.ks_2samp(a, b, method="auto")``'s statistic and p-value.

    D = supₓ |F_a(x) - F_b(x)| is computed as ks_2samp computes it (the empirical CDFs at the
    pooled values, rounded to a multiple of 1/lcm(n₁, n₂)); the p-value comes from ks_2samp
    itself the first time an (n₁, n₂, D) appears, then from the table. ks_2samp's input
    checks and exact p-value dominate an update, and River's KSWIN spends the same;
    with the table KSWIN gives the same p-values bit for bit (tests/unit/test_detectors.py)
    many times faster. Samples above ks_2samp's exact limit always go to ks_2samp."""
    one, two = np.sort(a), np.sort(b)
    n1, n2 = one.size, two.size
    key, lcm = None, (n1 // math.gcd(n1, n2)) * n2
    if max(n1, n2) <= _EXACT_UP_TO:
        pooled = np.concatenate([one, two])
        diffs = (
            np.searchsorted(one, pooled, side="right") / n1
            - np.searchsorted(two, pooled, side="right") / n2
        )
        d = max(np.clip(-diffs.min(), 0, 1), diffs.max())
        h = int(np.round(d * lcm))
        key = (n1, n2, h)
        if key in _P_VALUES:
            return h * 1.0 / lcm, _P_VALUES[key]
    from scipy import stats  # slow to import: only when a KSWIN runs

    with warnings.catch_warnings():
        # ks_2samp warns when it falls back from the exact to the asymptotic p-value
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ks_2samp(a, b, method="auto")
    statistic, p_value = float(result.statistic), float(result.pvalue)
    if key is not None:
        if statistic != key[2] * 1.0 / lcm:
            raise AssertionError(f"KS statistic {statistic} is not scipy's")  # pragma: no cover
        _P_VALUES[key] = p_value
    return statistic, p_value
