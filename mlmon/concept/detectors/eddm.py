"""EDDM, the Early Drift Detection Method (Baena-García et al. 2006). Pure.

Input: a 0/1 error indicator. EDDM watches the *distance* between consecutive errors: its
running mean p' and standard deviation s' (sample variance, n - 1). While the model
improves, errors grow further apart and p' + 2s' grows; EDDM remembers its maximum
(p' + 2s')_max. At each error, once more than ``warm_start`` values and more than
``warm_start`` errors have been seen, and p' + 2s' did not set a new maximum::

    (p' + 2s') / (p' + 2s')_max < beta   →  drift
    (p' + 2s') / (p' + 2s')_max < alpha  →  warning

(defaults alpha = 0.95, beta = 0.9). Values between errors change nothing. It reacts to
gradual drift earlier than DDM. Defaults and semantics are River 0.26.1's
``drift.binary.EDDM``.

Reference: M. Baena-García, J. del Campo-Ávila, R. Fidalgo, A. Bifet, R. Gavaldà,
R. Morales-Bueno, "Early Drift Detection Method", 4th International Workshop on Knowledge
Discovery from Data Streams, 2006.

>>> eddm = EDDM()
>>> stream = ([1] + [0] * 9) * 10 + [1, 0] * 30   # an error every 10 values, then every 2
>>> [i for i, x in enumerate(stream) if eddm.update(x).drift_detected]
[140]
"""

from __future__ import annotations

from typing import ClassVar

from mlmon.concept.detectors.base import Detector, Param


class EDDM(Detector):
    """Early Drift Detection Method (see the module docstring)."""

    name = "eddm"
    binary = True
    has_warning = True
    PARAMS: ClassVar[dict[str, Param]] = {
        "warm_start": Param(30, low=0, integer=True),
        "alpha": Param(0.95, low=0, high=1, low_open=True, high_open=True),
        "beta": Param(0.9, low=0, high=1, low_open=True, high_open=True),
    }
    STATE = ("n", "n_errors", "last_error", "d_n", "d_mean", "d_s", "p2s_max")

    def _check(self, params: dict[str, float]) -> None:
        if params["alpha"] < params["beta"]:
            raise ValueError("eddm: alpha (warning) must be at least beta (drift)")

    @property
    def warm_up(self) -> int:
        return int(self.params["warm_start"]) + 1

    def _clear(self) -> None:
        self.n = 0
        self.n_errors = 0
        self.last_error = 0
        self.d_n = 0  # distances between errors: count, mean, sum of squared deviations
        self.d_mean = 0.0
        self.d_s = 0.0
        self.p2s_max = -1.0

    def _step(self, x: float) -> None:
        self.n += 1
        if x != 1:
            return
        self.n_errors += 1
        distance = self.n - self.last_error
        old = self.d_mean
        self.d_n += 1
        self.d_mean += (1.0 / self.d_n) * (distance - self.d_mean)
        self.d_s += (distance - old) * (distance - self.d_mean)
        warm = self.params["warm_start"]
        if self.n > warm:
            var = self.d_s / (self.d_n - 1) if self.d_n > 1 else 0.0
            p2s = self.d_mean + 2 * var**0.5
            if p2s > self.p2s_max:
                self.p2s_max = p2s
            elif self.n_errors > warm:
                level = p2s / self.p2s_max
                if level < self.params["beta"]:
                    self.drift_detected = True
                elif level < self.params["alpha"]:
                    self.warning_detected = True
                else:
                    self.warning_detected = False
        self.last_error = self.n
