"""The drift accumulator's loop: the compiled C extension (``_accumulate.c``) when it was built,
else :func:`reference`, the same computation in numpy. Pure.

:func:`accumulate` adds a chunk of a numerical column to the running state of
:class:`mlmon.datadrift.accumulator.NumericAccumulator` (the layout of its buffers is in
``_accumulate.c``). The C loop does it in one pass over the values, with the GIL released;
the reference does it in whole-array numpy operations, slower and with temporaries of the
chunk's size, but with the same results to the last bit:

- the sums (``Σx``, ``Σ(x - s)``, ``Σ(x - s)²``) are added one value after the other from the
  previous sum, as the C loop does: ``np.add.accumulate`` is sequential, where ``np.sum``
  would add pairwise and round differently;
- min and max keep the first of equal values (the loop replaces only on ``<`` / ``>``), which
  decides between ``-0.0`` and ``0.0``: ``argmin``/``argmax`` return the first occurrence;
- a value falls in bin #{edges < v}, which the loop finds through its lookup table and
  ``np.searchsorted(side="left")`` finds directly;
- every ``step``-th finite value from the first is sampled, counted across chunks.

The C extension is optional at install (no compiler, no extension): ``COMPILED`` says which
one :func:`accumulate` is, and ``mlmon --debug`` says so when it is the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Accumulate = Callable[
    [
        np.ndarray,
        np.ndarray,
        np.ndarray,
        float,
        float,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        int,
    ],
    None,
]


def reference(
    values: np.ndarray,
    edges: np.ndarray,
    table: np.ndarray,
    low: float,
    scale: float,
    counts: np.ndarray,
    sums: np.ndarray,
    tallies: np.ndarray,
    sample: np.ndarray,
    step: int,
) -> None:
    """What ``_accumulate.accumulate`` computes, in numpy: the same arguments, the same state
    updated in place, the same errors. ``table``, ``low`` and ``scale`` only speed up the C
    loop's bin search and are checked but not needed here.

    >>> edges = np.array([1.0, 2.0])
    >>> counts, sums = np.zeros(3, dtype=np.int64), np.zeros(6)
    >>> tallies, sample = np.zeros(4, dtype=np.int64), np.zeros(2)
    >>> values = np.array([0.5, np.nan, 2.0, -np.inf, 3.0])
    >>> reference(values, edges, np.zeros(0, dtype=np.int64), 0.0, 0.0, counts, sums, tallies,
    ...           sample, 2)
    >>> counts.tolist(), tallies.tolist(), sample.tolist(), float(sums[5])
    ([1, 1, 1], [1, 1, 3, 2], [0.5, 3.0], 5.5)
    """
    arrays = (values, edges, table, counts, sums, tallies, sample)
    for name, array, kind, writable in zip(
        ("values", "edges", "table", "counts", "sums", "tallies", "sample"),
        arrays,
        "ddqqdqd",
        (False, False, False, True, True, True, True),
        strict=True,
    ):
        _check(array, name, kind, writable)
    step = int(step)
    if (
        step < 1
        or sums.size < 6
        or tallies.size < 4
        or (counts.size != 0 and counts.size != edges.size + 1)
    ):
        raise ValueError("accumulate: inconsistent state buffers")
    values, edges = values.reshape(-1), edges.reshape(-1)
    finite_mask = np.isfinite(values)
    nans = int(np.count_nonzero(np.isnan(values)))
    tallies[0] += nans
    tallies[1] += values.size - nans - int(np.count_nonzero(finite_mask))
    finite = values[finite_mask]
    if not len(finite):
        return
    count, taken = int(tallies[2]), int(tallies[3])
    if count == 0:
        sums[0] = sums[3] = sums[4] = finite[0]
    shift = sums[0]
    # sample: every step-th finite value, numbered from the column's first
    if taken < sample.size:
        first = -count % step
        picked = finite[first::step][: sample.size - taken]
        sample[taken : taken + len(picked)] = picked
        tallies[3] = taken + len(picked)
    tallies[2] = count + len(finite)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: ±inf, as in the C loop
        deviations = finite - shift
        squares = deviations * deviations
    sums[1] = _sequential_sum(sums[1], deviations)
    sums[2] = _sequential_sum(sums[2], squares)
    sums[5] = _sequential_sum(sums[5], finite)
    smallest, largest = finite[np.argmin(finite)], finite[np.argmax(finite)]
    if smallest < sums[3]:
        sums[3] = smallest
    if largest > sums[4]:
        sums[4] = largest
    if counts.size:
        bins = np.searchsorted(edges, finite, side="left")
        counts.reshape(-1)[:] += np.bincount(bins, minlength=counts.size)


def _sequential_sum(start: float, values: np.ndarray) -> float:
    """``start + values[0] + values[1] + …`` left to right, as a loop adds them."""
    with np.errstate(over="ignore", invalid="ignore"):  # ±inf and nan, as in the C loop
        return float(np.add.accumulate(np.concatenate(([start], values)))[-1])


def _check(array: np.ndarray, name: str, kind: str, writable: bool) -> None:
    """The C extension's checks of one buffer (dtype, contiguity, writability)."""
    dtype = np.float64 if kind == "d" else np.int64
    if (
        not isinstance(array, np.ndarray)
        or array.dtype != dtype
        or array.ndim > 1
        or not array.flags.c_contiguous
    ):
        label = "float64" if kind == "d" else "int64"
        raise TypeError(f"{name} must be a contiguous {label} array")
    if writable and not array.flags.writeable:
        raise ValueError(f"{name}: buffer is not writable")


def _compiled() -> Accumulate | None:
    """The C extension's function, or None where it was not built (no compiler at install)."""
    try:
        from mlmon._speedups._accumulate import accumulate as compiled
    except ImportError:
        return None
    return compiled


_COMPILED = _compiled()
COMPILED = _COMPILED is not None
"""Whether :func:`accumulate` is the C extension (else it is :func:`reference`)."""

accumulate: Accumulate = _COMPILED if _COMPILED is not None else reference
"""Add a chunk of a numerical column to the running state: the C loop, or its reference."""
