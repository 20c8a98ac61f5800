"""The ``comparison`` of the ``concept`` section: the current rows' error against the
reference's, and — where CBPE has a calibration (``metrics.estimate``: a classifier's scores or
class probabilities calibrated on its labelled reference; multiclass through the calibrated
probability of the predicted class) — against the error CBPE expects of the same rows, which
then decides (:mod:`mlmon.concept.expected`). Regression, files and models without a
calibration keep the plain comparison, and ``basis_reason`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlmon.concept.expected import ExpectedComparison, compare_with_expected
from mlmon.concept.stream import ErrorComparison, compare_absolute_errors, compare_error_rates
from mlmon.config import Config
from mlmon.errors import DataError

if TYPE_CHECKING:
    from mlmon.config.drift import DriftSection
    from mlmon.store.datasets import Source


@dataclass(frozen=True)
class ConceptComparison:
    """The ``comparison`` of the ``concept`` section: the ``plain`` reference-vs-current
    comparison and, where CBPE has a calibration, the ``expected`` one, which then decides."""

    plain: ErrorComparison
    expected: ExpectedComparison | None
    basis_reason: str | None
    """Why the plain comparison decides (None when the expected one does)."""

    @property
    def basis(self) -> str:
        """What the current error is compared with: ``reference`` or ``expected_error``."""
        return "reference" if self.expected is None else "expected_error"

    @property
    def plain_drifted(self) -> bool:
        return self.plain.finding

    @property
    def drifted(self) -> bool:
        """The deciding comparison's finding."""
        return self.plain.finding if self.expected is None else self.expected.finding

    def to_dict(self) -> dict[str, Any]:
        return self.plain.to_dict() | {
            "plain_drifted": self.plain_drifted,
            "basis": self.basis,
            "basis_reason": self.basis_reason,
            "expected": None if self.expected is None else self.expected.to_dict(),
            "drifted": self.drifted,
        }


def compare(
    config: Config,
    ref_errors: np.ndarray | None,
    current: Source,
    errors: np.ndarray,
    settings: DriftSection,
) -> ConceptComparison | None:
    """The ``comparison`` of the current rows' ``errors`` (None without labelled
    reference rows ``ref_errors``): the plain reference-vs-current comparison, and the
    paired one against CBPE's expected error where there is a calibration, which then
    decides (its ``basis``; ``basis_reason`` says why the plain one decides)."""
    plain = _plain_comparison(config, ref_errors, errors, settings)
    if plain is None:
        return None
    c = settings.concept
    expected, why = None, None
    if plain.reason is None:
        pair, why = _expected_errors(config, current)
        if pair is not None:
            expected = compare_with_expected(
                *pair,
                plain.reference,
                alpha=settings.alpha,
                threshold=c.error_rate_increase,
                confidence=c.confidence,
            )
            if expected.unexplained_change is None:
                expected, why = None, "fewer than 2 labelled rows with a score"
    return ConceptComparison(plain, expected, why if expected is None else None)


def _expected_errors(
    config: Config, current: Source
) -> tuple[tuple[np.ndarray, np.ndarray] | None, str | None]:
    """Each labelled current row's error indicator and the probability CBPE gives it of
    being wrong, or why there are none (then the plain comparison decides)."""
    if config.model.task == "regression":
        return None, "regression: CBPE estimates classifiers only"
    if not current.store:
        return None, "the current data is a file: CBPE calibrates on the store's reference"
    if not config.metrics.estimate.enabled:
        return None, "no CBPE calibration: metrics.estimate.enabled is false"
    from mlmon.performance.calibrations import error_probabilities
    from mlmon.performance.windows import reference_calibration, window_frame
    from mlmon.store.cache import store_cache

    cache = store_cache(config.store.path, "calibrations")
    try:
        calibration, estimation = reference_calibration(config, cache)
    except DataError as exc:
        return None, f"no CBPE calibration: {exc.message}"
    if calibration is None:
        reason = (estimation or {}).get("reason") or "metrics.estimate gives none"
        return None, f"no CBPE calibration: {reason}"
    assert current.until is not None
    return error_probabilities(
        calibration, window_frame(config, current.since, current.until)
    ), None


def _plain_comparison(
    config: Config, ref_errors: np.ndarray | None, errors: np.ndarray, settings: DriftSection
) -> ErrorComparison | None:
    if ref_errors is None or len(ref_errors) == 0:
        return None
    c = settings.concept
    if config.model.task == "regression":
        return compare_absolute_errors(
            ref_errors,
            errors,
            alpha=settings.alpha,
            threshold=c.mae_increase,
            confidence=c.confidence,
        )
    return compare_error_rates(
        int(ref_errors.sum()),
        len(ref_errors),
        int(errors.sum()),
        len(errors),
        alpha=settings.alpha,
        threshold=c.error_rate_increase,
        confidence=c.confidence,
    )
