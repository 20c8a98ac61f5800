"""Concept drift on a stream of errors: change points from detectors, the error before and
after each, and the reference-vs-current comparison of the error. Pure.

The stream is the labelled predictions in time order: for classification the
misclassification indicator (1 when the predicted class is not the label), for regression
the absolute error |prediction - label|.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmon.concept.detectors.base import Detector
from mlmon.performance.estimate import finite_or_none
from mlmon.performance.intervals import wilson
from mlmon.timewindow import iso_utc


@dataclass(frozen=True)
class Trace:
    """What a detector reported over a stream: the positions where it detected a change and,
    for each, where the warning zone that preceded it began (None: no warning zone)."""

    drifts: list[int]
    warnings: list[int | None]


def trace(detector: Detector, values: Sequence[float] | np.ndarray) -> Trace:
    """Feed ``values`` to ``detector`` (continuing its state) and record its detections
    (:meth:`~mlmon.concept.detectors.base.Detector.feed`).

    >>> from mlmon.concept.detectors.ddm import DDM
    >>> t = trace(DDM(), [0, 0, 0, 1] * 50 + [1, 1, 0] * 20)  # error rate 0.25, then 0.67
    >>> t.drifts, t.warnings
    ([231], [212])
    """
    return Trace(*detector.feed(values))


@dataclass(frozen=True)
class ChangePoint:
    """A change the detector found, with the error of its stream's segment on each side."""

    detector: str
    timestamp: dt.datetime
    warning_since: dt.datetime | None
    error_before: float | None
    error_after: float | None
    n_before: int
    n_after: int
    finding: bool
    """The error grew by at least the configured increase: the model got worse (a decrease,
    or a change too small to matter, is reported but is not a finding)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "timestamp": iso_utc(self.timestamp),
            "warning_since": iso_utc(self.warning_since),
            "error_before": finite_or_none(self.error_before),
            "error_after": finite_or_none(self.error_after),
            "n_before": self.n_before,
            "n_after": self.n_after,
            "direction": self.direction,
            "drifted": self.finding,
        }

    @property
    def direction(self) -> str | None:
        """``increase``, ``decrease`` or ``none`` (None without an error on both sides)."""
        return _direction(self.error_before, self.error_after)


@dataclass
class SavedPoint:
    """A change point of a stream and the count and sum of the errors of the segment before
    it (from the previous change point, or the stream's first row)."""

    timestamp: dt.datetime
    warning_since: dt.datetime | None
    before_n: int
    before_sum: float


@dataclass
class Segments:
    """A stream's change points in time order, and the open segment after the last."""

    points: list[SavedPoint] = field(default_factory=list)
    open_n: int = 0
    open_sum: float = 0.0

    def extend(
        self,
        values: np.ndarray,
        drifts: Sequence[int],
        moments: Sequence[tuple[dt.datetime, dt.datetime | None]],
    ) -> None:
        """Continue the stream with ``values``, on which the detector found changes at
        positions ``drifts`` (at the times and warning-zone starts ``moments``): the row of a
        change opens the segment after it."""
        csum = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
        previous = 0
        for d, (moment, warning) in zip(drifts, moments, strict=True):
            n = self.open_n + d - previous
            total = self.open_sum + float(csum[d] - csum[previous])
            self.points.append(SavedPoint(moment, warning, n, total))
            self.open_n, self.open_sum, previous = 0, 0.0, d
        self.open_n += len(values) - previous
        self.open_sum += float(csum[len(values)] - csum[previous])


def change_points(
    segments: Segments,
    detector: str,
    grew: Callable[[float, float], bool],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[ChangePoint]:
    """The stream's change points whose time falls in ``[since, until)``, each with the mean
    error of the stream's segment before it and after it (up to the next change point, or
    the last row read). The segments are the detector's stream, not the window that shows the
    point, so a change point reads the same in every run that shows it.

    >>> s = Segments()
    >>> t = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    >>> s.extend(np.array([0, 0, 1, 0, 1, 1, 1, 0]), [4], [(t, None)])
    >>> p, = change_points(s, "ddm", lambda a, b: b - a >= 0.1)
    >>> (p.error_before, p.n_before, p.error_after, p.n_after, p.finding)
    (0.25, 4, 0.75, 4, True)
    """
    out = []
    points = segments.points
    for k, point in enumerate(points):
        if (since is not None and point.timestamp < since) or (
            until is not None and point.timestamp >= until
        ):
            continue
        if k + 1 < len(points):
            n_after, sum_after = points[k + 1].before_n, points[k + 1].before_sum
        else:
            n_after, sum_after = segments.open_n, segments.open_sum
        a = point.before_sum / point.before_n if point.before_n else None
        b = sum_after / n_after if n_after else None
        out.append(
            ChangePoint(
                detector=detector,
                timestamp=point.timestamp,
                warning_since=point.warning_since,
                error_before=a,
                error_after=b,
                n_before=point.before_n,
                n_after=n_after,
                finding=a is not None and b is not None and grew(a, b),
            )
        )
    return out


def increased(before: float, after: float, *, threshold: float, relative: bool) -> bool:
    """Whether the error grew by at least ``threshold``: after - before ≥ threshold
    (absolute), or ≥ threshold · before (relative; any rise from 0).

    >>> increased(0.10, 0.13, threshold=0.02, relative=False)
    True
    >>> increased(2.0, 2.1, threshold=0.1, relative=True)
    False
    """
    if relative:
        return after - before >= threshold * before if before > 0 else after > before
    return after - before >= threshold


def _direction(before: float | None, after: float | None) -> str | None:
    if before is None or after is None:
        return None
    return "increase" if after > before else "decrease" if after < before else "none"


@dataclass(frozen=True)
class ErrorComparison:
    """The error of the current data against the reference's: a test and an interval."""

    measure: str  # "error_rate" or "mean_absolute_error"
    reference: float | None
    current: float | None
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    test: str
    threshold: float
    n_reference: int
    n_current: int
    finding: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "reference": finite_or_none(self.reference),
            "current": finite_or_none(self.current),
            "difference": finite_or_none(self.difference),
            "interval": [finite_or_none(self.low), finite_or_none(self.high)],
            "p_value": finite_or_none(self.p_value),
            "test": self.test,
            "threshold": self.threshold,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "drifted": self.finding,
            "reason": self.reason,
        }


def compare_error_rates(
    k_ref: int,
    n_ref: int,
    k_cur: int,
    n_cur: int,
    *,
    alpha: float,
    threshold: float,
    confidence: float,
) -> ErrorComparison:
    """Misclassification rates q (current) and p (reference): the difference q - p with
    Newcombe's hybrid score interval (Newcombe 1998, *Statistics in Medicine* 17, method 10:
    from the two Wilson intervals [l, u], q - p - √((q - l_q)² + (u_p - p)²) to
    q - p + √((u_q - q)² + (p - l_p)²)) and the chi-squared / Fisher test of
    :func:`mlmon.datadrift.stats.two_proportions`. A finding when the test rejects at ``alpha``
    and the rate grew by at least ``threshold`` (absolute).

    >>> c = compare_error_rates(100, 1000, 150, 1000, alpha=0.05, threshold=0.02,
    ...                         confidence=0.95)
    >>> round(c.difference, 3), round(c.low, 4), round(c.high, 4), c.finding
    (0.05, 0.021, 0.079, True)
    """
    from mlmon.datadrift.stats import two_proportions

    if n_ref == 0 or n_cur == 0:
        return _undefined("error_rate", threshold, n_ref, n_cur, "no labelled rows on one side")
    p, q = k_ref / n_ref, k_cur / n_cur
    wp = wilson(k_ref, n_ref, confidence, "")
    wq = wilson(k_cur, n_cur, confidence, "")
    assert wp.low is not None and wp.high is not None and wq.low is not None
    assert wq.high is not None
    d = q - p
    low = d - math.sqrt((q - wq.low) ** 2 + (wp.high - p) ** 2)
    high = d + math.sqrt((wq.high - q) ** 2 + (p - wp.low) ** 2)
    p_value = two_proportions(k_ref, n_ref, k_cur, n_cur).p_value
    assert p_value is not None
    return ErrorComparison(
        "error_rate",
        p,
        q,
        d,
        low,
        high,
        p_value,
        "two_proportions",
        threshold,
        n_ref,
        n_cur,
        finding=p_value < alpha and increased(p, q, threshold=threshold, relative=False),
    )


def compare_absolute_errors(
    ref: np.ndarray, cur: np.ndarray, *, alpha: float, threshold: float, confidence: float
) -> ErrorComparison:
    """Mean absolute errors: the difference (current - reference) with Welch's t-test and its
    interval (``scipy.stats.ttest_ind(equal_var=False)``; Welch 1947). A finding when the
    test rejects at ``alpha`` and the MAE grew by at least ``threshold`` × the reference's
    (a relative increase)."""
    from scipy import stats

    if len(ref) < 2 or len(cur) < 2:
        return _undefined(
            "mean_absolute_error", threshold, len(ref), len(cur), "fewer than 2 labelled rows"
        )
    a, b = float(ref.mean()), float(cur.mean())
    result = stats.ttest_ind(cur, ref, equal_var=False)
    ci = result.confidence_interval(confidence)
    p_value = float(result.pvalue)
    grew = increased(a, b, threshold=threshold, relative=True)
    return ErrorComparison(
        "mean_absolute_error",
        a,
        b,
        b - a,
        float(ci.low),
        float(ci.high),
        p_value if math.isfinite(p_value) else None,
        "welch_t",
        threshold,
        len(ref),
        len(cur),
        finding=math.isfinite(p_value) and p_value < alpha and grew,
    )


def _undefined(
    measure: str, threshold: float, n_ref: int, n_cur: int, reason: str
) -> ErrorComparison:
    return ErrorComparison(
        measure,
        None,
        None,
        None,
        None,
        None,
        None,
        "none",
        threshold,
        n_ref,
        n_cur,
        finding=False,
        reason=reason,
    )


def as_datetime64(t: dt.datetime) -> np.datetime64:
    """A UTC datetime as numpy datetime64[us] (naive, UTC), the stream's time type."""
    return np.datetime64(t.astimezone(dt.UTC).replace(tzinfo=None), "us")
