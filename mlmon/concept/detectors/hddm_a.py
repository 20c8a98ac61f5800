"""HDDM_A, drift detection with Hoeffding's bound on moving averages (Frías-Blanco et al.
2015). Pure.

Input: values in [0, 1] (an error indicator, usually). Let x̄ₙ be the mean of all n values so
far and ε(n, δ) = √(ln(1/δ) / (2n)) Hoeffding's bound. HDDM_A keeps a cut point: the prefix
of length c whose mean x̄_c (plus its bound) was lowest, x̄_c + ε(c) ≥ x̄ₙ + ε(n) moving the
cut to n. The mean has increased, with confidence 1 - δ, when::

    x̄ₙ - x̄_c ≥ √( m/2 · ln(2/δ) ),   m = (n - c) / (c · n)

With δ = ``drift_confidence`` that is a drift; with δ = ``warning_confidence`` a warning.
``two_sided_test`` also tests for a decrease (a cut point on the highest prefix mean).
Defaults and semantics are River 0.26.1's ``drift.binary.HDDMA``.

Reference: I. Frías-Blanco, J. del Campo-Ávila, G. Ramos-Jiménez, R. Morales-Bueno,
A. Ortiz-Díaz, Y. Caballero-Mota, "Online and Non-Parametric Drift Detection Methods Based on
Hoeffding's Bounds", IEEE TKDE 27(3), 2015, pp. 810-823.

>>> det = HDDMA()
>>> stream = [0, 0, 0, 1] * 50 + [1, 1, 0, 1] * 50    # error rate 0.25 → 0.75
>>> [i for i, x in enumerate(stream) if det.update(x).drift_detected]
[212]
"""

from __future__ import annotations

import math
from typing import ClassVar

from mlmon.concept.detectors.base import Param
from mlmon.concept.detectors.hoeffding import HoeffdingDetector


class HDDMA(HoeffdingDetector):
    """Hoeffding drift detection on averages (see the module docstring)."""

    name = "hddm_a"
    PARAMS: ClassVar[dict[str, Param]] = {
        **HoeffdingDetector.PARAMS,
        "two_sided_test": Param(False, choices=(False, True)),
    }
    STATE = ("n", "mean", "min_n", "min_mean", "max_n", "max_mean")

    def _clear(self) -> None:
        self.n = 0  # all values since the reset: count and mean
        self.mean = 0.0
        self.min_n = 0  # the cut point for an increase: prefix length and mean
        self.min_mean = 0.0
        self.max_n = 0  # the cut point for a decrease
        self.max_mean = 0.0

    def _bound(self, n: int) -> float:
        return math.sqrt(1.0 / (2 * n) * math.log(1.0 / self.params["drift_confidence"]))

    def _step(self, x: float) -> None:
        self.n += 1
        self.mean += (1.0 / self.n) * (x - self.mean)
        if self.min_n == 0:
            self.min_n, self.min_mean = self.n, self.mean
        if self.max_n == 0:
            self.max_n, self.max_mean = self.n, self.mean
        eps_n = self._bound(self.n)
        if self.min_mean + self._bound(self.min_n) >= self.mean + eps_n:
            self.min_n, self.min_mean = self.n, self.mean
        if self.max_mean - self._bound(self.max_n) <= self.mean - eps_n:
            self.max_n, self.max_mean = self.n, self.mean
        drift = self.params["drift_confidence"]
        warning = self.params["warning_confidence"]
        if self._changed(self.min_n, self.mean - self.min_mean, drift):
            self.drift_detected, self.warning_detected = True, False
        elif self._changed(self.min_n, self.mean - self.min_mean, warning):
            self.drift_detected, self.warning_detected = False, True
        else:
            self.drift_detected, self.warning_detected = False, False
        if self.params["two_sided_test"]:
            if self._changed(self.max_n, self.max_mean - self.mean, drift):
                self.drift_detected = True
            elif self._changed(self.max_n, self.max_mean - self.mean, warning):
                self.warning_detected = True

    def _changed(self, cut: int, difference: float, confidence: float) -> bool:
        """Whether the mean after the cut differs by ``difference`` with 1 - confidence."""
        if cut == self.n:
            return False
        m = (self.n - cut) / cut * (1.0 / self.n)
        return difference >= math.sqrt(m / 2 * math.log(2.0 / confidence))
