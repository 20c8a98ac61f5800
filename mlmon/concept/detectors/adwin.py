"""ADWIN, adaptive windowing (Bifet & Gavaldà 2007), in its bucketed form ADWIN2. Pure.

Input: any numbers (an error indicator, an absolute error). ADWIN keeps a window W of the
most recent values that shows no change, summarised in exponential-histogram buckets: row i
holds up to ``max_buckets`` buckets of 2ⁱ values each (their total and their sum of squared
deviations); when a row overflows, its two oldest buckets merge into one of the next row.
Every ``clock``-th value, once the window is longer than ``grace_period``, ADWIN tries each
bucket boundary, from the oldest, as a cut of W (n values) into an older part W₀ (n₀ values,
mean μ̂₀) and a newer part W₁ (n₁ values, mean μ̂₁). With L = ``min_window_length``,
σ̂² = the variance of W (its sum of squared deviations over n) and::

    m'     = 1/(n₀ - L + 1) + 1/(n₁ - L + 1)
    λ      = ln(2 · ln(n) / δ)
    ε_cut  = √(2 · m' · σ̂² · λ) + (2/3) · λ · m'

a cut with n₀ ≥ L, n₁ ≥ L and |μ̂₀ - μ̂₁| > ε_cut is a change: the oldest bucket leaves the
window and the test starts again on the shorter window, until no cut holds. The update on
which this happens reports ``drift_detected``; the next update starts from an empty window
(River's semantics, see ``base``). The paper's bound is
ε_cut = √((2/m) · σ̂² · ln(2/δ')) + (2/(3m)) · ln(2/δ') with 1/m = 1/n₀ + 1/n₁ and δ' = δ/n;
River, like MOA, puts m' for 1/m and λ for ln(2/δ'), as above.

Defaults, semantics and floating-point operations are those of River 0.26.1's
``drift.ADWIN`` (its Rust ``AdaptiveWindowing``), so both report the same change points on
any stream; ``tests/unit/test_adwin.py`` checks this.

This module is the pure reference. ``feed`` (what ``mlmon drift`` runs) takes a stream of
``COMPILED_FROM`` values or more through ``mlmon._speedups.adwin_kernel`` where numba imports:
the same loop compiled with numba, with the same operations in the same order, so the same
detections and the same state. It is compiled rather than vectorised because each update
depends on every one before it (a detection empties the window), and pure Python is several
times slower than River's Rust (``bench/RESULTS.md``).

References: A. Bifet, R. Gavaldà, "Learning from Time-Changing Data with Adaptive
Windowing", Proc. 2007 SIAM Int. Conf. on Data Mining (SDM), pp. 443-448. Merging bucket
variances: B. Babcock, M. Datar, R. Motwani, L. O'Callaghan, "Maintaining Variance and
k-Medians over Data Stream Windows", PODS 2003, pp. 234-243.

>>> det = ADWIN()
>>> stream = [0.0, 1.0] * 500 + [2.0, 3.0] * 500    # the mean jumps from 0.5 to 2.5 at 1000
>>> [i for i, x in enumerate(stream) if det.update(x).drift_detected]
[1023]
>>> det.width, det.estimation
(976, 2.5)
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from mlmon import _speedups
from mlmon.concept.detectors.base import Detector, Param

_I32 = 2**31
"""River counts updates in a wrapping 32-bit integer; the clock check follows it."""

COMPILED_FROM = 500_000
"""Streams of at least this many values go through the compiled loop
(``mlmon._speedups.adwin_kernel``), which is far faster a value than the pure-Python one but
costs a fresh process numba's import and the loading (or first compiling) of the kernel: the
pure-Python loop runs about 400,000 values in that time, so from 500,000 on the compiled path
wins even in a fresh process (the figures are in bench/RESULTS.md)."""


class ADWIN(Detector):
    """Adaptive windowing (see the module docstring)."""

    name = "adwin"
    PARAMS: ClassVar[dict[str, Param]] = {
        "delta": Param(0.002, low=0, high=1, low_open=True, high_open=True),
        "clock": Param(32, low=1, high=_I32 - 1, integer=True),
        "max_buckets": Param(5, low=2, integer=True),
        "min_window_length": Param(5, low=1, high=_I32 - 1, integer=True),
        "grace_period": Param(10, low=1, high=_I32 - 1, integer=True),
    }
    STATE = (
        "bucket_totals",
        "bucket_variances",
        "window_width",
        "window_total",
        "window_variance",
        "tick",
        "detections",
    )
    # bucket_totals[i][j] / bucket_variances[i][j]: the total / sum of squared deviations of
    # bucket j (oldest first) of row i, whose buckets hold 2**i values each. Row 0 buckets
    # are single values, whose squared deviations are 0: bucket_variances[0] stays empty.
    # Row 0 may hold up to max_buckets + 32 values not merged yet (see `_merge`). The width
    # is a float (a whole number), as in River, so the hot loops do float arithmetic only.

    bucket_totals: list[list[float]]
    bucket_variances: list[list[float]]
    window_width: float
    window_total: float
    window_variance: float
    tick: int
    detections: int

    # -- read-only views (River's names) ---------------------------------------------------

    @property
    def width(self) -> int:
        """How many values the window holds."""
        return int(self.window_width)

    @property
    def total(self) -> float:
        """The sum of the values in the window."""
        return self.window_total

    @property
    def estimation(self) -> float:
        """The mean of the window (0 when it is empty)."""
        return self.window_total / self.window_width if self.window_width else 0.0

    @property
    def variance(self) -> float:
        """The window's sum of squared deviations from its mean, as River's ``variance``
        reports it (divide by ``width`` for the variance of the window)."""
        return self.window_variance

    @property
    def n_detections(self) -> int:
        """Changes detected since the last reset, as River counts them: 1 on the update that
        detects, 0 otherwise (the next update resets the detector)."""
        return self.detections

    @functools.cached_property
    def warm_up(self) -> int:
        """The first update after a reset on which some stream can make ADWIN detect: the
        first test for a cut (every ``clock`` updates, beyond ``grace_period``) where a bucket
        boundary allows a cut that a large enough step between W₀ and W₁ passes. (Each part
        constant makes σ̂² smallest, σ̂² = n₀ · n₁ · gap² / n²; then a large enough gap
        passes iff 2 · m' · λ · n₀ · n₁ < n².)"""
        return _first_possible_detection(**self.params)

    def warm_up_within(self, span: float) -> int:
        """The first update on which a stream with values within ``span`` of each other can
        make ADWIN detect: as :attr:`warm_up`, with the step between W₀ and W₁ at most
        ``span``, so a cut passes iff span > ε_cut at σ̂² = n₀ · n₁ · span² / n². On a 0/1
        stream (span 1) with the defaults that is update 64, not 32.

        >>> ADWIN().warm_up_within(1.0)
        64
        """
        return _first_possible_detection(**self.params, span=span)

    # -- the algorithm ---------------------------------------------------------------------

    def feed(self, values: Sequence[float] | np.ndarray) -> tuple[list[int], list[int | None]]:
        """``update`` with each value in turn; where it detected (ADWIN has no warnings).
        From ``COMPILED_FROM`` values on, through the compiled loop of
        ``mlmon._speedups.adwin_kernel`` where numba imports (same detections, same state
        afterwards)."""
        kernel = _speedups.adwin_feed() if len(values) >= COMPILED_FROM else None
        if kernel is None:
            return super().feed(values)
        drifts = kernel(self, np.ascontiguousarray(values, dtype=np.float64))
        return drifts, [None] * len(drifts)

    def _clear(self) -> None:
        self.bucket_totals = [[]]
        self.bucket_variances = [[]]
        self.window_width = 0.0
        self.window_total = 0.0
        self.window_variance = 0.0
        self.tick = 0
        self.detections = 0
        self._restored()

    def _restored(self) -> None:
        # Row 0 is never removed, so the hot path can keep a direct reference to it.
        self._row0_totals = self.bucket_totals[0]
        params = self.params
        self._delta = float(params["delta"])
        self._clock = int(params["clock"])
        self._max_buckets = int(params["max_buckets"])
        self._min_len = float(params["min_window_length"])
        self._grace = float(params["grace_period"])
        # Merges are done in batches: before each test for a cut, and when row 0 holds 32
        # values more than River's rows would (see `_merge`).
        self._merge_at = self._max_buckets + 32

    def _step(self, x: float) -> None:
        row0 = self._row0_totals
        row0.append(x)
        # Add x to the window's width, total and sum of squared deviations (Welford).
        before = self.window_width
        width = before + 1.0
        total = self.window_total
        if before:
            dev = x - total / before
            self.window_variance += before * dev * dev / width
        self.window_total = total + x
        self.window_width = width

        tick = self.tick + 1
        if tick >= 2147483648:  # River's update counter is a wrapping 32-bit integer
            tick -= 4294967296
        self.tick = tick
        if tick % self._clock == 0:
            self._merge()
            if width > self._grace and self._shrink():
                self.drift_detected = True
                self.detections += 1
        elif len(row0) > self._merge_at:
            self._merge()

    def _merge(self) -> None:
        """Merge overflowing rows: a row holding more than ``max_buckets`` buckets merges its
        two oldest into one bucket of the next row, until it holds no more.

        River merges each time a row reaches max_buckets + 1 buckets; merging later, in a
        batch, pairs the same buckets in the same order (the oldest two, then the next two)
        with the same arithmetic, so the rows are River's whenever a cut is tested. In
        between, row 0 holds up to ``max_buckets + 32`` values."""
        totals = self.bucket_totals
        limit = self._max_buckets
        row_totals = totals[0]
        count = len(row_totals)
        if count <= limit:
            return
        take = (count - limit + 1) // 2 * 2
        up_totals: list[float] = []
        up_variances: list[float] = []
        add_total, add_variance = up_totals.append, up_variances.append
        pairs = iter(row_totals[:take])
        for first, second in zip(pairs, pairs, strict=True):
            # Two single values: squared deviations 1 · 0.5 · (a - b)² (plus their own, 0).
            add_total(first + second)
            gap = first - second
            add_variance(0.5 * gap * gap)
        del row_totals[:take]
        variances = self.bucket_variances
        row = 1
        size = 2.0
        while True:
            if row == len(totals):
                totals.append([])
                variances.append([])
            row_totals, row_variances = totals[row], variances[row]
            row_totals += up_totals
            row_variances += up_variances
            count = len(row_totals)
            if count <= limit:
                return
            take = (count - limit + 1) // 2 * 2
            # Two buckets of `size` values: their squared deviations plus
            # size · 0.5 · (difference of their means)².
            half = size * 0.5
            if take == 2:  # the usual case above the first rows: one pair
                first, second = row_totals[0], row_totals[1]
                gap = first / size - second / size
                up_totals = [first + second]
                up_variances = [row_variances[0] + row_variances[1] + half * gap * gap]
            else:
                up_totals = []
                up_variances = []
                add_total, add_variance = up_totals.append, up_variances.append
                pairs = iter(row_totals[:take])
                pair_variances = iter(row_variances[:take])
                for first, second, first_var, second_var in zip(
                    pairs, pairs, pair_variances, pair_variances, strict=True
                ):
                    add_total(first + second)
                    gap = first / size - second / size
                    add_variance(first_var + second_var + half * gap * gap)
            del row_totals[:take]
            del row_variances[:take]
            row += 1
            size *= 2.0

    def _shrink(self) -> bool:
        """Drop the oldest bucket while some cut of the window shows a change; whether one did."""
        changed = False
        while self._has_cut():
            changed = True
            self._drop_oldest()
        return changed

    def _has_cut(self) -> bool:
        """Whether some bucket boundary cuts the window into two parts whose means differ by
        more than ε_cut (the tests in the module docstring, oldest boundary first)."""
        min_len = self._min_len
        width = self.window_width
        if width < 2.0 * min_len:
            return False  # no cut leaves min_window_length values on both sides
        spread = self.window_variance / width
        if not spread >= 0.0:
            return False  # √ of a negative (rounding) or NaN is NaN in River: never a cut
        log, sqrt = math.log, math.sqrt
        delta_prime = log(2.0 * log(width) / self._delta)
        third = 2.0 / 3.0 * delta_prime
        offset = min_len - 1.0
        # ε_cut grows with m', which is smallest for n₀ = n₁: a floor under ε_cut at every
        # cut (computed by the same monotone operations, m' shaded by 1e-12 against
        # rounding), so most cuts are rejected without computing ε_cut.
        m_low = 4.0 / (width - 2.0 * offset) * (1.0 - 1e-12)
        floor = sqrt(2.0 * m_low * spread * delta_prime) + third * m_low
        neg_floor = -floor
        n0 = 0.0
        n1 = width
        u0 = 0.0
        u1 = self.window_total
        totals = self.bucket_totals
        for row in range(len(totals) - 1, -1, -1):
            size = float(1 << row)
            for value in totals[row]:
                n0 += size
                n1 -= size
                u0 += value
                u1 -= value
                if n1 < min_len:
                    return False  # n1 only shrinks from here (and is 0 after the last bucket)
                gap = u0 / n0 - u1 / n1
                if (gap > floor or gap < neg_floor) and n0 >= min_len:
                    m_recip = 1.0 / (n0 - offset) + 1.0 / (n1 - offset)
                    linear = third * m_recip  # ε_cut ≥ this: if gap ≤ it, no need for the √
                    gap = abs(gap)
                    if gap > linear and gap > sqrt(2.0 * m_recip * spread * delta_prime) + linear:
                        return True
        return False

    def _drop_oldest(self) -> None:
        """Remove the oldest bucket from the window (and its row, if that empties it)."""
        totals, variances = self.bucket_totals, self.bucket_variances
        last = len(totals) - 1
        size = float(1 << last)
        total = totals[last][0]
        # Row 0 buckets hold one value each: no deviations, and none stored.
        bucket_variance = variances[last][0] if last else 0.0
        mean = total / size
        self.window_width = width = self.window_width - size
        self.window_total = rest = self.window_total - total
        gap = mean - rest / width
        self.window_variance -= bucket_variance + size * width * gap * gap / (size + width)
        del totals[last][0]
        if last:
            del variances[last][0]
            if not totals[last]:
                totals.pop()
                variances.pop()


def _row_counts(width: int, max_buckets: int) -> list[int]:
    """How many buckets each row holds after ``width`` values (no removals): row i receives
    one bucket per merge of row i - 1 and merges at its (max_buckets + 1)-th bucket, then at
    every second one."""
    counts = []
    arrived = width
    while arrived:
        merges = (arrived - max_buckets + 1) // 2 if arrived > max_buckets else 0
        counts.append(arrived - 2 * merges)
        arrived = merges
    return counts


def _cut_possible(
    width: int, max_buckets: int, min_len: int, lam: float, span: float | None = None
) -> bool:
    """Whether a large enough step (at most ``span``) makes some cut pass at this width (see
    ``warm_up`` and ``warm_up_within``)."""
    n0 = 0
    counts = _row_counts(width, max_buckets)
    for row in range(len(counts) - 1, -1, -1):
        for _ in range(counts[row]):
            n0 += 1 << row
            n1 = width - n0
            if n1 < min_len:
                return False
            if n0 >= min_len:
                m_recip = 1.0 / (n0 - min_len + 1) + 1.0 / (n1 - min_len + 1)
                if span is None:
                    if 2.0 * m_recip * lam * n0 * n1 < float(width) * width:
                        return True
                else:
                    spread = n0 * n1 * span * span / (float(width) * width)
                    cut = math.sqrt(2.0 * m_recip * spread * lam) + 2.0 / 3.0 * lam * m_recip
                    if span > cut:
                        return True
    return False


def _first_possible_detection(
    delta: float,
    clock: int,
    max_buckets: int,
    min_window_length: int,
    grace_period: int,
    span: float | None = None,
) -> int:
    """The first update after a reset on which ADWIN with these parameters can detect (on a
    stream whose values lie within ``span``, when given)."""
    tick = _next_test(max(grace_period + 1, 2 * min_window_length), clock)
    while True:
        lam = math.log(2.0 * math.log(tick) / delta)
        if math.isinf(lam):
            return sys.maxsize  # δ so small that λ overflows: ε_cut is infinite from here on
        if _cut_possible(tick, max_buckets, min_window_length, lam, span):
            return tick
        tick = _next_test(tick + 1, clock)


def _next_test(updates: int, clock: int) -> int:
    """The first count of updates, from ``updates`` on, at which ADWIN tests for a cut:
    River's wrapping 32-bit counter of updates is then a multiple of ``clock``."""
    while True:
        counter = (updates + _I32) % (2 * _I32) - _I32
        wait = -counter % clock
        if counter + wait < _I32:
            return updates + wait
        updates += _I32 - counter  # the counter wraps to -2**31 first
