"""DDM, the Drift Detection Method (Gama, Medas, Castillo & Rodrigues 2004). Pure.

Input: a 0/1 error indicator. After n values the error rate is pₙ (the running mean) and its
standard deviation sₙ = √(pₙ(1 - pₙ)/n). Once n > ``warm_start``, DDM remembers p_min and
s_min, the values at the n where pₙ + sₙ was smallest, and decides::

    pₙ + sₙ > p_min + warning_threshold · s_min   →  warning
    pₙ + sₙ > p_min + drift_threshold · s_min     →  drift (and no warning)

The defaults (2 and 3) are about 95% and 99% one-sided confidence under a normal
approximation. Defaults and semantics are River 0.26.1's ``drift.binary.DDM``.

Reference: J. Gama, P. Medas, G. Castillo, P. Rodrigues, "Learning with Drift Detection",
SBIA 2004, LNCS 3171, pp. 286-295.

>>> ddm = DDM()
>>> stream = [0] * 20 + [1, 0] * 40 + [1] * 60     # error rate 0 → 0.5 → 1
>>> [i for i, x in enumerate(stream) if ddm.update(x).drift_detected]
[56, 121]
"""

from __future__ import annotations

import math
from typing import ClassVar

from mlmon.concept.detectors.base import Detector, Param


class DDM(Detector):
    """Drift Detection Method (see the module docstring)."""

    name = "ddm"
    binary = True
    has_warning = True
    PARAMS: ClassVar[dict[str, Param]] = {
        "warm_start": Param(30, low=0, integer=True),
        "warning_threshold": Param(2.0, low=0, low_open=True),
        "drift_threshold": Param(3.0, low=0, low_open=True),
    }
    STATE = ("n", "p", "p_min", "s_min", "ps_min")

    def _check(self, params: dict[str, float]) -> None:
        if params["warning_threshold"] > params["drift_threshold"]:
            raise ValueError("ddm: warning_threshold must not exceed drift_threshold")

    @property
    def warm_up(self) -> int:
        return int(self.params["warm_start"]) + 1

    def _clear(self) -> None:
        self.n = 0
        self.p = 0.0
        self.p_min = math.inf
        self.s_min = math.inf
        self.ps_min = math.inf

    def _step(self, x: float) -> None:
        self.n += 1
        self.p += (1.0 / self.n) * (x - self.p)
        p, n = self.p, self.n
        s = math.sqrt(p * (1 - p) / n)
        if n <= self.params["warm_start"]:
            return
        if p + s <= self.ps_min:
            self.p_min, self.s_min = p, s
            self.ps_min = p + s
        self.warning_detected = p + s > self.p_min + self.params["warning_threshold"] * self.s_min
        if p + s > self.p_min + self.params["drift_threshold"] * self.s_min:
            self.drift_detected = True
            self.warning_detected = False
