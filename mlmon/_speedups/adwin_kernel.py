"""ADWIN's update loop compiled with numba: the fast path of ``ADWIN.feed`` for long streams.
Pure.

The reference is the pure-Python ADWIN of :mod:`mlmon.concept.detectors.adwin` (its
``update``); this is not a second algorithm but the same loop in a form numba compiles.
ADWIN is sequential: whether a value is tested, merged or dropped depends on every value
before it, and a cut found on one update empties the window for the next. No vectorised
(numpy) form reproduces River's change points, so the loop of ``adwin.ADWIN`` is compiled
instead: :func:`feed` runs :func:`_run`, which does the floating-point operations of
``ADWIN._step``, ``_merge``, ``_has_cut`` and ``_drop_oldest`` in the same order (no
``fastmath``, so nothing is reassociated or fused), and gives the same detections and the
same state, to the last bit. Keep the two in step: ``tests/unit/test_adwin.py`` and
``tests/unit/test_speedups.py`` compare them.

Importing numba and loading the cached kernel costs a fresh process a noticeable fraction of
a second (compiling it the first time, more; figures in ``bench/RESULTS.md``), so ``adwin``
imports this module only for streams long enough to pay for it (``adwin.COMPILED_FROM``), and
only where numba imports (:func:`mlmon._speedups.adwin_feed`). The compiled code is cached on
disk where a directory allows it (see :mod:`mlmon._speedups.jit`).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from mlmon._speedups.jit import compiled


class ADWINState(Protocol):
    """What :func:`feed` reads and writes of an ``adwin.ADWIN`` (its state, see there)."""

    params: dict[str, Any]
    bucket_totals: list[list[float]]
    bucket_variances: list[list[float]]
    window_width: float
    window_total: float
    window_variance: float
    tick: int
    detections: int
    drift_detected: bool
    warning_detected: bool

    def _restored(self) -> None: ...


ROWS = 64
"""Rows of buckets the arrays hold: row i holds buckets of 2**i values, so 64 rows need more
than 2**63 values."""

FOUND = 1024
"""Detections recorded per call of the kernel; when the buffer fills, :func:`feed` calls it
again from the next value."""

_JIT: dict[str, Any] = {"nogil": True, "error_model": "numpy"}
# error_model="numpy": no zero-division checks in the loop. No division in it can have a zero
# denominator (the guards are those of the pure-Python code, which would raise there).


_compile = compiled(**_JIT)


@_compile
def _merge(
    totals: np.ndarray, variances: np.ndarray, counts: np.ndarray, rows: int, limit: int
) -> int:
    """``ADWIN._merge`` on the arrays; the number of rows afterwards."""
    count = counts[0]
    if count <= limit:
        return rows
    take = (count - limit + 1) // 2 * 2
    if rows == 1:
        counts[1] = 0
        rows = 2
    pairs = take // 2
    dest = counts[1]
    for j in range(pairs):
        first = totals[0, 2 * j]
        second = totals[0, 2 * j + 1]
        totals[1, dest + j] = first + second
        gap = first - second
        variances[1, dest + j] = 0.5 * gap * gap
    counts[1] = dest + pairs
    for j in range(count - take):
        totals[0, j] = totals[0, take + j]
    counts[0] = count - take
    row = 1
    size = 2.0
    while True:
        count = counts[row]
        if count <= limit:
            return rows
        take = (count - limit + 1) // 2 * 2
        if row + 1 == rows:
            counts[rows] = 0
            rows += 1
        half = size * 0.5
        pairs = take // 2
        dest = counts[row + 1]
        for j in range(pairs):
            first = totals[row, 2 * j]
            second = totals[row, 2 * j + 1]
            totals[row + 1, dest + j] = first + second
            gap = first / size - second / size
            variances[row + 1, dest + j] = (
                variances[row, 2 * j] + variances[row, 2 * j + 1] + half * gap * gap
            )
        counts[row + 1] = dest + pairs
        for j in range(count - take):
            totals[row, j] = totals[row, take + j]
            variances[row, j] = variances[row, take + j]
        counts[row] = count - take
        row += 1
        size *= 2.0


@_compile
def _has_cut(
    totals: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    rows: int,
    width: float,
    total: float,
    variance: float,
    min_len: float,
    delta: float,
) -> bool:
    """``ADWIN._has_cut`` on the arrays."""
    if width < 2.0 * min_len:
        return False
    spread = variance / width
    if not spread >= 0.0:
        return False
    delta_prime = math.log(2.0 * math.log(width) / delta)
    third = 2.0 / 3.0 * delta_prime
    offset = min_len - 1.0
    m_low = 4.0 / (width - 2.0 * offset) * (1.0 - 1e-12)
    floor = math.sqrt(2.0 * m_low * spread * delta_prime) + third * m_low
    neg_floor = -floor
    n0 = 0.0
    n1 = width
    u0 = 0.0
    u1 = total
    for row in range(rows - 1, -1, -1):
        size = sizes[row]
        for j in range(counts[row]):
            value = totals[row, j]
            n0 += size
            n1 -= size
            u0 += value
            u1 -= value
            if n1 < min_len:
                return False
            gap = u0 / n0 - u1 / n1
            if (gap > floor or gap < neg_floor) and n0 >= min_len:
                m_recip = 1.0 / (n0 - offset) + 1.0 / (n1 - offset)
                linear = third * m_recip
                gap = abs(gap)
                if gap > linear and gap > math.sqrt(2.0 * m_recip * spread * delta_prime) + linear:
                    return True
    return False


@_compile
def _drop_oldest(
    totals: np.ndarray,
    variances: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    rows: int,
    width: float,
    total: float,
    variance: float,
) -> tuple[int, float, float, float]:
    """``ADWIN._drop_oldest`` on the arrays; rows, width, total and variance afterwards."""
    last = rows - 1
    size = sizes[last]
    bucket_total = totals[last, 0]
    bucket_variance = variances[last, 0] if last else 0.0
    mean = bucket_total / size
    width = width - size
    total = total - bucket_total
    gap = mean - total / width
    variance = variance - (bucket_variance + size * width * gap * gap / (size + width))
    count = counts[last] - 1
    for j in range(count):
        totals[last, j] = totals[last, j + 1]
        variances[last, j] = variances[last, j + 1]
    counts[last] = count
    if last and count == 0:
        rows -= 1
    return rows, width, total, variance


@_compile
def _run(
    values: np.ndarray,
    start: int,
    totals: np.ndarray,
    variances: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    window: np.ndarray,
    ints: np.ndarray,
    clock: int,
    limit: int,
    min_len: float,
    grace: float,
    delta: float,
    found: np.ndarray,
) -> tuple[int, int]:
    """``ADWIN.update`` on ``values[start:]``: the state is ``totals``/``variances``/``counts``
    (the bucket rows), ``window`` (width, total, variance) and ``ints`` (rows, tick,
    detections, drift_detected), updated in place. The indices of detections go to ``found``;
    returns where it stopped (``len(values)``, or after the detection that filled ``found``)
    and how many it found."""
    rows = ints[0]
    tick = ints[1]
    detections = ints[2]
    drift = ints[3] != 0
    width = window[0]
    total = window[1]
    variance = window[2]
    merge_at = limit + 32
    phase = tick % clock  # tick % clock, kept without a division per update
    n_found = 0
    stop = len(values)
    for i in range(start, len(values)):
        if drift:  # River's semantics: the update after a detection starts afresh
            counts[:rows] = 0
            rows = 1
            width = 0.0
            total = 0.0
            variance = 0.0
            tick = 0
            phase = 0
            detections = 0
            drift = False
        x = values[i]
        count0 = counts[0]
        totals[0, count0] = x
        counts[0] = count0 + 1
        before = width
        width = before + 1.0
        if before != 0.0:
            dev = x - total / before
            variance = variance + before * dev * dev / width
        total = total + x
        tick += 1
        phase += 1
        if phase == clock:
            phase = 0
        if tick >= 2147483648:  # River's update counter is a wrapping 32-bit integer
            tick -= 4294967296
            phase = tick % clock
        if phase == 0:
            rows = _merge(totals, variances, counts, rows, limit)
            if width > grace:
                changed = False
                while _has_cut(totals, counts, sizes, rows, width, total, variance, min_len, delta):
                    changed = True
                    rows, width, total, variance = _drop_oldest(
                        totals, variances, counts, sizes, rows, width, total, variance
                    )
                if changed:
                    drift = True
                    detections += 1
                    found[n_found] = i
                    n_found += 1
                    if n_found == len(found):
                        stop = i + 1
                        break
        elif counts[0] > merge_at:
            rows = _merge(totals, variances, counts, rows, limit)
    ints[0] = rows
    ints[1] = tick
    ints[2] = detections
    ints[3] = 1 if drift else 0
    window[0] = width
    window[1] = total
    window[2] = variance
    return stop, n_found


def feed(detector: ADWINState, values: np.ndarray) -> list[int]:
    """Run ``values`` (float64) through ``detector`` as its ``update`` would, leaving it in
    the same state; the indices of the updates that detected a change."""
    totals_rows, variances_rows = detector.bucket_totals, detector.bucket_variances
    limit = int(detector.params["max_buckets"])
    longest = max(limit, *(len(row) for row in totals_rows))
    # Row 0 takes up to max_buckets + 33 values before it merges, and a row receives at most
    # half of the buckets of the row below it: twice the longest row (of a state this code
    # wrote, at most max_buckets) plus a margin holds every row at every point.
    capacity = 2 * longest + 40
    height = max(ROWS, len(totals_rows) + 1)
    totals = np.zeros((height, capacity))
    variances = np.zeros((height, capacity))
    counts = np.zeros(height, dtype=np.int64)
    for r, row in enumerate(totals_rows):
        totals[r, : len(row)] = row
        counts[r] = len(row)
        if r:
            variances[r, : len(row)] = variances_rows[r]
    sizes = np.array([float(1 << r) for r in range(height)])
    window = np.array([detector.window_width, detector.window_total, detector.window_variance])
    ints = np.array(
        [len(totals_rows), detector.tick, detector.detections, int(detector.drift_detected)],
        dtype=np.int64,
    )
    params = detector.params
    found = np.empty(FOUND, dtype=np.int64)
    hits: list[int] = []
    start = 0
    while start < len(values):
        start, n_found = _run(
            values,
            start,
            totals,
            variances,
            counts,
            sizes,
            window,
            ints,
            int(params["clock"]),
            limit,
            float(params["min_window_length"]),
            float(params["grace_period"]),
            float(params["delta"]),
            found,
        )
        hits += found[:n_found].tolist()

    rows = int(ints[0])
    detector.bucket_totals = [totals[r, : counts[r]].tolist() for r in range(rows)]
    detector.bucket_variances = [[]] + [variances[r, : counts[r]].tolist() for r in range(1, rows)]
    detector.window_width, detector.window_total, detector.window_variance = window.tolist()
    detector.tick, detector.detections = int(ints[1]), int(ints[2])
    detector.drift_detected = bool(ints[3])
    detector.warning_detected = False
    detector._restored()
    return hits
