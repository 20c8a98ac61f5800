"""HDDM_W, drift detection with McDiarmid's bound on weighted moving averages (Frías-Blanco
et al. 2015). Pure.

Input: values in [0, 1]. Instead of plain means HDDM_W compares exponentially weighted
means (weight λ on the newest value), whose sampling error McDiarmid's inequality bounds:
for a weighted mean with independence bound condition ibc (ibc ← λ² + (1 - λ)²·ibc at each
value), ε(δ) = √(ibc · ln(1/δ) / 2). The total stream's weighted mean X̂ and bound set a cut
point where X̂ + ε was lowest; the weighted means before (X̂₁) and after (X̂₂) the cut then
show an increase, with confidence 1 - δ, when::

    X̂₂ - X̂₁ > √( (ibc₁ + ibc₂) · ln(1/δ) / 2 )

δ = ``drift_confidence`` gives a drift, ``warning_confidence`` a warning; ``two_sided_test``
also tests for a decrease. Defaults and semantics are River 0.26.1's ``drift.binary.HDDMW``.

Reference: I. Frías-Blanco et al., "Online and Non-Parametric Drift Detection Methods Based on
Hoeffding's Bounds", IEEE TKDE 27(3), 2015, pp. 810-823.

>>> det = HDDMW()
>>> stream = [0, 0, 0, 1] * 50 + [1, 1, 0, 1] * 50    # error rate 0.25 → 0.75
>>> [i for i, x in enumerate(stream) if det.update(x).drift_detected]
[228]
"""

from __future__ import annotations

import math
from typing import ClassVar

from mlmon.concept.detectors.base import Param
from mlmon.concept.detectors.hoeffding import HoeffdingDetector

# A weighted mean as a list [started (0/1), mean, ibc]: plain data, so the state is JSON.
STARTED, MEAN, IBC = 0, 1, 2


class HDDMW(HoeffdingDetector):
    """Hoeffding drift detection on weighted averages (see the module docstring)."""

    name = "hddm_w"
    PARAMS: ClassVar[dict[str, Param]] = {
        **HoeffdingDetector.PARAMS,
        "lambda_val": Param(0.05, low=0, high=1, low_open=True, high_open=True),
        "two_sided_test": Param(False, choices=(False, True)),
    }
    STATE = ("total", "s1_incr", "s2_incr", "s1_decr", "s2_decr", "incr_cut", "decr_cut")

    def _new(self) -> list[float]:
        return [0, 0.0, 1.0]

    def _clear(self) -> None:
        self.total = self._new()
        self.s1_incr, self.s2_incr = self._new(), self._new()
        self.s1_decr, self.s2_decr = self._new(), self._new()
        self.incr_cut = math.inf
        self.decr_cut = -math.inf

    def _add(self, sample: list[float], x: float) -> None:
        lam = self.params["lambda_val"]
        if sample[STARTED]:
            sample[MEAN] = lam * x + (1.0 - lam) * sample[MEAN]
        else:
            sample[STARTED], sample[MEAN] = 1, x
        sample[IBC] = lam * lam + (1 - lam) ** 2 * sample[IBC]

    def _bound(self, ibc: float, confidence: float) -> float:
        return math.sqrt(ibc * math.log(1 / confidence) / 2)

    def _changed(self, before: list[float], after: list[float], confidence: float) -> bool:
        if not (before[STARTED] and after[STARTED]):
            return False
        return after[MEAN] - before[MEAN] > self._bound(before[IBC] + after[IBC], confidence)

    def _step(self, x: float) -> None:
        drift = self.params["drift_confidence"]
        warning = self.params["warning_confidence"]
        self._add(self.total, x)
        eps = self._bound(self.total[IBC], drift)
        if self.total[MEAN] + eps < self.incr_cut:
            self.incr_cut = self.total[MEAN] + eps
            self.s1_incr, self.s2_incr = list(self.total), self._new()
        else:
            self._add(self.s2_incr, x)
        if self._changed(self.s1_incr, self.s2_incr, drift):
            self.drift_detected, self.warning_detected = True, False
        elif self._changed(self.s1_incr, self.s2_incr, warning):
            self.drift_detected, self.warning_detected = False, True
        else:
            self.drift_detected, self.warning_detected = False, False
        eps = self._bound(self.total[IBC], drift)
        if self.total[MEAN] - eps > self.decr_cut:
            self.decr_cut = self.total[MEAN] - eps
            self.s1_decr, self.s2_decr = list(self.total), self._new()
        else:
            self._add(self.s2_decr, x)
        if self.params["two_sided_test"]:
            if self._changed(self.s2_decr, self.s1_decr, drift):
                self.drift_detected = True
            elif self._changed(self.s2_decr, self.s1_decr, warning):
                self.warning_detected = True
