"""KSWIN, Kolmogorov-Smirnov windowing (Raab, Heusinger & Schleif 2020). Pure.

Input: any numbers. KSWIN keeps the last ``window_size`` values. Once the window is full it
compares the newest ``stat_size`` values R with ``stat_size`` values W drawn at random
(without replacement) from the older part of the window, by the two-sample
Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``, method "auto")::

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

import random
import warnings
from collections import deque
from typing import Any, ClassVar

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
        from scipy import stats  # 0.6 s to import: only when a KSWIN runs

        size, stat = self.params["window_size"], self.params["stat_size"]
        self.n += 1
        self.window.append(x)
        if len(self.window) < size:
            self.drift_detected = False
            return
        drawn = [self.window[r] for r in self._rng.sample(range(size - stat), stat)]
        recent = list(self.window)[size - stat :]
        with warnings.catch_warnings():
            # ks_2samp warns when it falls back from the exact to the asymptotic p-value
            warnings.simplefilter("ignore", RuntimeWarning)
            result = stats.ks_2samp(drawn, recent, method="auto")
        self.p_value = float(result.pvalue)
        if self.p_value <= self.params["alpha"] and result.statistic > 0.1:
            self.drift_detected = True
            self.window = deque(recent, maxlen=size)
        else:
            self.drift_detected = False
