"""What the two HDDM detectors (Frías-Blanco et al. 2015) share: values in [0, 1], a warning
zone, and a drift and a warning confidence, the warning one the looser. Pure."""

from __future__ import annotations

from typing import ClassVar

from mlmon.concept.detectors.base import Detector, Param


class HoeffdingDetector(Detector):
    """Base of HDDM_A and HDDM_W: their common parameters and checks."""

    binary = True  # Hoeffding / McDiarmid bounds need values in [0, 1]
    has_warning = True
    PARAMS: ClassVar[dict[str, Param]] = {
        "drift_confidence": Param(0.001, low=0, high=1, low_open=True, high_open=True),
        "warning_confidence": Param(0.005, low=0, high=1, low_open=True, high_open=True),
    }

    def _check(self, params: dict[str, float]) -> None:
        if params["warning_confidence"] < params["drift_confidence"]:
            raise ValueError(f"{self.name}: warning_confidence must be at least drift_confidence")

    @property
    def warm_up(self) -> int:
        return 2
