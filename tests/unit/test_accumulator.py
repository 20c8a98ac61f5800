"""The compiled numerical accumulator: bin counts exactly numpy's right-closed bins, the
moments numpy's, the sample polars' every-k-th finite value, whatever the chunking."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra import numpy as hnp

from mlmon.datadrift.accumulator import NumericAccumulator, lookup_table
from mlmon.datadrift.profile import NumericalProfile, quantile_edges


def numpy_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    finite = values[np.isfinite(values)]
    bins = np.searchsorted(np.asarray(edges), finite, side="left")
    counts: list[int] = np.bincount(bins, minlength=len(edges) + 1).tolist()
    return counts


def feed(
    values: np.ndarray, edges: list[float] | None, chunks: int, sample_rows: int, step: int
) -> NumericalProfile:
    acc = NumericAccumulator(edges, sample_rows, step)
    for part in np.array_split(values, chunks):
        acc.add(part)
    return acc.profile(rows=len(values), sample_complete=False)


DISTRIBUTIONS = {
    "normal": lambda rng, n: rng.normal(50, 10, n),
    "lognormal": lambda rng, n: rng.lognormal(0, 2, n),
    "pareto": lambda rng, n: rng.pareto(0.7, n),  # edges crowd at the low end
    "discrete": lambda rng, n: rng.integers(0, 5, n).astype(float),  # values on the edges
    "huge": lambda rng, n: rng.normal(1e300, 1e299, n),  # range overflows to inf
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_bin_counts_equal_numpys_right_closed_bins_on_skewed_and_discrete_data(name: str) -> None:
    rng = np.random.default_rng(7)
    reference = DISTRIBUTIONS[name](rng, 20_000)
    values = DISTRIBUTIONS[name](rng, 50_000) * rng.choice([1.0, 1.3], 50_000)
    values[rng.random(50_000) < 0.02] = np.nan
    values[:3] = [np.inf, -np.inf, reference.min() - 1]
    edges = quantile_edges(reference[np.isfinite(reference)], 100)
    values = np.concatenate([values, np.asarray(edges)])  # every edge itself: the closed side
    got = feed(values, edges, chunks=7, sample_rows=0, step=1)
    assert got.counts == numpy_counts(values, edges)


def test_moments_extremes_and_missing_counts_equal_numpy() -> None:
    rng = np.random.default_rng(8)
    values = rng.normal(1e6, 3.0, 100_001)
    values[rng.random(values.size) < 0.05] = np.nan
    values[[10, 20, 30]] = [np.inf, -np.inf, np.inf]
    finite = values[np.isfinite(values)]
    got = feed(values, None, chunks=13, sample_rows=10, step=1)
    assert (got.nulls, got.infinite, got.count) == (int(np.isnan(values).sum()), 3, finite.size)
    assert got.rows == values.size
    assert got.mean == pytest.approx(finite.mean(), rel=1e-14)
    assert got.m2 == pytest.approx(float(np.sum((finite - finite.mean()) ** 2)), rel=1e-9)
    assert (got.minimum, got.maximum) == (finite.min(), finite.max())
    assert got.counts == []  # no edges, no bins


def test_sample_is_polars_every_kth_finite_value_across_chunks() -> None:
    rng = np.random.default_rng(9)
    values = rng.normal(0, 1, 10_007)
    values[rng.random(values.size) < 0.1] = np.nan
    step = 7
    expected = (
        pl.Series(values).filter(pl.Series(values).is_finite()).gather_every(step).head(500)
    ).to_list()
    for chunks in (1, 3, 64):
        assert feed(values, [0.0], chunks, 500, step).sample == sorted(expected)


def test_chunking_does_not_change_counts_or_sample() -> None:
    rng = np.random.default_rng(10)
    values = rng.exponential(2.0, 30_000)
    edges = quantile_edges(values[:5000], 50)
    one, many = feed(values, edges, 1, 1000, 30), feed(values, edges, 97, 1000, 30)
    assert (one.counts, one.sample, one.count) == (many.counts, many.sample, many.count)
    assert one.mean == pytest.approx(many.mean, rel=1e-13)


def test_empty_and_all_missing_columns() -> None:
    got = feed(np.array([np.nan, np.inf]), [1.0, 2.0], 1, 5, 1)
    assert (got.count, got.minimum, got.maximum, got.mean, got.m2) == (0, None, None, 0.0, 0.0)
    assert got.counts == [0, 0, 0] and got.sample == []
    assert feed(np.array([]), [], 1, 5, 1).counts == [0]


def test_lookup_table_never_overshoots_the_bin() -> None:
    edges = np.array(quantile_edges(np.random.default_rng(11).lognormal(0, 3, 5000), 100))
    table, low, scale = lookup_table(edges)
    cells = np.arange(len(table))
    for shift in (-1e-9, 0.0, 1e-9):  # values at and around every cell start
        v = low + (cells + shift) / scale
        x = (v - low) * scale
        index = np.where(x >= len(table) - 1, len(table) - 1, np.maximum(x, 0).astype(int))
        assert np.all(table[index] <= np.searchsorted(edges, v, side="left"))
    assert lookup_table(np.array([1.0]))[0].size == 0  # one edge: a walk, no table


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(np.float64, hs.integers(0, 300), elements=hs.floats(allow_nan=True)),
    edge_values=hs.lists(hs.floats(allow_nan=False, allow_infinity=False), max_size=12),
    chunks=hs.integers(1, 5),
)
def test_property_counts_are_numpys_for_any_floats(
    values: np.ndarray, edge_values: list[float], chunks: int
) -> None:
    edges = sorted(set(edge_values))
    got = feed(values, edges, chunks, 0, 1)
    assert got.counts == numpy_counts(values, edges)
    assert got.count == int(np.isfinite(values).sum())
    if got.count:
        finite = values[np.isfinite(values)]
        assert (got.minimum, got.maximum) == (finite.min(), finite.max())
        with np.errstate(over="ignore"):
            magnitude = float(np.sum(np.abs(finite)))  # finite: no partial sum overflows
        if math.isfinite(magnitude):
            # summation order (sequential here, pairwise in numpy) moves the sum by at most
            # n·ε·Σ|x|
            assert abs(got.mean - float(np.mean(finite))) <= 1e-12 * magnitude


def test_compiled_loop_rejects_wrong_types_and_inconsistent_state() -> None:
    from mlmon._speedups._accumulate import accumulate

    ok = NumericAccumulator([1.0], 2, 1)
    args = (np.zeros(3), ok.edges, ok.table, 0.0, 0.0, ok.counts, ok.sums, ok.tallies, ok.sample)
    with pytest.raises(TypeError, match="values must be a contiguous float64 array"):
        accumulate(np.zeros(3, dtype=np.float32), *args[1:], 1)
    with pytest.raises(TypeError, match="counts must be a contiguous int64 array"):
        accumulate(*args[:5], np.zeros(2), *args[6:], 1)
    with pytest.raises(ValueError, match="inconsistent state buffers"):
        accumulate(*args[:5], np.zeros(5, dtype=np.int64), *args[6:], 1)  # k + 1 = 2 bins
    with pytest.raises(ValueError, match="inconsistent state buffers"):
        accumulate(*args, 0)  # step 0
    read_only = ok.counts.copy()
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError, TypeError)):
        accumulate(*args[:5], read_only, *args[6:], 1)
    accumulate(*args, 1)  # and the same arguments, well formed, pass
    assert ok.counts.tolist() == [3, 0]
