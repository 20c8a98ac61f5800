"""Change detectors for streams of errors: one algorithm per module, one interface
(:class:`~mlmon.concept.detectors.base.Detector`), River-compatible defaults and semantics.

:data:`DETECTORS` maps the names used in ``mlmon.yaml`` to the classes.
"""

from __future__ import annotations

from mlmon.concept.detectors.adwin import ADWIN
from mlmon.concept.detectors.base import Detector, Param
from mlmon.concept.detectors.ddm import DDM
from mlmon.concept.detectors.eddm import EDDM
from mlmon.concept.detectors.hddm_a import HDDMA
from mlmon.concept.detectors.hddm_w import HDDMW
from mlmon.concept.detectors.kswin import KSWIN
from mlmon.concept.detectors.page_hinkley import PageHinkley

DETECTORS: dict[str, type[Detector]] = {
    cls.name: cls for cls in (DDM, EDDM, HDDMA, HDDMW, ADWIN, PageHinkley, KSWIN)
}
"""Every detector by its config name."""

__all__ = ["DETECTORS", "Detector", "Param"]
