"""The numerical half of a profile, accumulated chunk by chunk by one compiled loop. Pure.

For each numerical column the profile needs the null/NaN and ±inf counts, the count, mean,
M₂, min and max of the finite values, a systematic sample (every k-th finite value), and the
counts in the reference's bins. Asked of polars, that is eight aggregations and a histogram,
each a pass over the column, and the histogram alone costs more than decoding the file. One
loop over each value does all of it. It is written in C (``mlmon/_speedups/_accumulate.c``,
compiled at install, about 100 lines with its argument checks), which releases the GIL while
it runs: no numpy expression does a data-dependent bin search without several temporaries per
value, and numba, which compiles this loop as well, costs every process a large share of a
million-row ``mlmon drift`` to import and initialise, where the C module loads at once (the
figures are in bench/RESULTS.md). Where the C extension could not be built (no compiler at
install), its numpy reference runs instead, with the same results
(:mod:`mlmon._speedups.accumulate`).

Bins are right-closed: value v falls in bin b = #{edges < v}, i.e. (e₀, e₁] … , as
``np.searchsorted(edges, v, side="left")`` and polars' ``hist`` count. The bin is found by a
lookup table over 32 cells per edge between the first and last edge, which gives a lower
bound of the bin (the table holds the count of edges below the start of the *previous* cell,
so a rounding of the cell index by one cannot overshoot), then a short upward walk. Counts
are exact whatever the table says; a skewed column only walks further.

The mean is Σx / n (as polars computes it). M₂ uses shifted sums, M₂ = Σd² - (Σd)² / n with
d = x - s and s the column's first finite value (Chan, Golub & LeVeque 1983, "Algorithms for
computing the sample variance", §3), accurate while the spread is not tiny against |mean - s|:
the shift keeps values like 10⁶ ± 3 from cancelling.
"""

from __future__ import annotations

import math

import numpy as np

from mlmon._speedups.accumulate import accumulate
from mlmon.datadrift.profile import NumericalProfile

CELLS_PER_EDGE = 32


class NumericAccumulator:
    """Running profile of one numerical column, fed chunk by chunk with :meth:`add`.

    ``edges`` (sorted, distinct) switches on bin counts; ``sample_rows`` values are kept,
    every ``step``-th finite value from the first.

    >>> acc = NumericAccumulator(edges=[1.0, 2.0], sample_rows=3, step=2)
    >>> acc.add(np.array([0.5, 1.0, np.nan, 1.5, np.inf]))
    >>> acc.add(np.array([3.0, 2.0]))
    >>> p = acc.profile(rows=7, sample_complete=False)
    >>> p.counts, p.nulls, p.infinite, p.count, p.mean, p.sample
    ([2, 2, 1], 1, 1, 5, 1.6, [0.5, 1.5, 2.0])
    """

    def __init__(self, edges: list[float] | None, sample_rows: int, step: int) -> None:
        self.edges = np.asarray(edges if edges is not None else [], dtype=np.float64)
        self.counts = np.zeros(len(self.edges) + 1 if edges is not None else 0, dtype=np.int64)
        self.table, self.low, self.scale = lookup_table(self.edges)
        self.sums = np.zeros(6, dtype=np.float64)
        self.tallies = np.zeros(4, dtype=np.int64)
        self.sample = np.empty(sample_rows, dtype=np.float64)
        self.step = max(1, int(step))

    def add(self, values: np.ndarray) -> None:
        """Take the next chunk of the column (float64; NaN for null). Releases the GIL."""
        accumulate(
            np.ascontiguousarray(values, dtype=np.float64),
            self.edges,
            self.table,
            self.low,
            self.scale,
            self.counts,
            self.sums,
            self.tallies,
            self.sample,
            self.step,
        )

    def profile(self, rows: int, sample_complete: bool) -> NumericalProfile:
        """What the accumulator has seen, as the profile of a column of ``rows`` rows (its
        edges and counts empty when it was given no edges; the sample sorted)."""
        _, s1, s2, low, high, total = (float(v) for v in self.sums)
        nans, infinite, count, taken = (int(v) for v in self.tallies)
        return NumericalProfile(
            rows=rows,
            nulls=nans,
            infinite=infinite,
            count=count,
            mean=total / count if count else 0.0,
            m2=max(0.0, s2 - s1 * s1 / count) if count else 0.0,
            minimum=low if count else None,
            maximum=high if count else None,
            edges=self.edges.tolist(),
            counts=self.counts.tolist(),
            sample=np.sort(self.sample[:taken]).tolist(),
            sample_complete=sample_complete,
        )


def lookup_table(edges: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The bin lookup table over [e₀, eₖ₋₁] (see the module docstring), its start and cells
    per unit; an empty table (a linear walk) for fewer than two distinct edges."""
    low, high = (float(edges[0]), float(edges[-1])) if len(edges) else (0.0, 0.0)
    if len(edges) < 2 or not high > low or not math.isfinite(high - low):
        return np.zeros(0, dtype=np.int64), 0.0, 0.0
    cells = CELLS_PER_EDGE * len(edges)
    scale = cells / (high - low)
    with np.errstate(over="ignore"):  # starts beyond ±max float are ±inf: still lower bounds
        starts = low + (np.arange(cells) - 1.0) / scale
    return np.searchsorted(edges, starts, side="left").astype(np.int64), low, scale
