"""Column profiles: what drift statistics need of a dataset, read once, mergeable.

A numerical column's profile holds its row, null (null or NaN) and infinite counts, the
count, mean, M₂ (sum of squared deviations), min and max of its finite values, counts in bins
whose edges come from the *reference* (quantiles of the reference's values, so they never move
with the current data and a reference profile can be cached), and the values themselves: all
of them up to ``sample_rows``, a systematic sample above (see below). A categorical column's profile
holds its row and null counts and counts per category (the ``max_categories`` most frequent;
the rest pooled in ``other``). The sample of a larger column is systematic: every k-th finite
value in the data's order (for logs, evenly spread over time), k = ⌈rows / sample_rows⌉.

Profiles of disjoint parts of a dataset merge into the profile of the whole (counts add;
moments combine by Chan, Golub & LeVeque's parallel formula; samples are merged and thinned
with the same seed), which is what lets profiling run per partition later.

How the data is read: the categorical columns in one polars pass (null and value counts), and
beside it the numerical columns streamed in chunks through :mod:`mlmon.datadrift.accumulator`,
which computes every numerical field in one compiled loop; each column is decoded once. A
reference is read twice for its numerical columns: its bin edges come from the sample the
first pass takes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import polars as pl

SAMPLE_SEED = 20261127
PROFILE_FORMAT = 2
READABLE_FORMATS = (1, 2)
"""Format 1 stored samples as JSON numbers; training-data profiles in the registry may
still hold it."""


@dataclass
class NumericalProfile:
    """One numerical column (see the module docstring)."""

    rows: int
    nulls: int
    infinite: int
    count: int
    mean: float
    m2: float
    minimum: float | None
    maximum: float | None
    edges: list[float]
    counts: list[int]
    sample: list[float]
    sample_complete: bool
    kind: str = field(default="numerical", init=False)

    @property
    def std(self) -> float:
        """Population standard deviation of the finite values (0 for fewer than 2)."""
        return math.sqrt(self.m2 / self.count) if self.count > 1 else 0.0

    @property
    def missing(self) -> int:
        """Rows without a usable value: null, NaN or ±inf."""
        return self.nulls + self.infinite

    def merge(self, other: NumericalProfile, sample_rows: int) -> NumericalProfile:
        """The profile of both parts (same edges required)."""
        if self.edges != other.edges:
            raise ValueError("profiles with different bin edges cannot be merged")
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * other.count / n if n else 0.0
        m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / n if n else 0.0
        sample = np.sort(np.concatenate([self.sample, other.sample]))
        complete = self.sample_complete and other.sample_complete and len(sample) <= sample_rows
        if len(sample) > sample_rows:
            sample = np.sort(np.random.default_rng(SAMPLE_SEED).choice(sample, sample_rows, False))
        return NumericalProfile(
            rows=self.rows + other.rows,
            nulls=self.nulls + other.nulls,
            infinite=self.infinite + other.infinite,
            count=n,
            mean=mean,
            m2=m2,
            minimum=_extreme(min, self.minimum, other.minimum),
            maximum=_extreme(max, self.maximum, other.maximum),
            edges=list(self.edges),
            counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)],
            sample=sample.tolist(),
            sample_complete=complete,
        )


@dataclass
class CategoricalProfile:
    """One categorical column (see the module docstring)."""

    rows: int
    nulls: int
    counts: dict[str, int]
    other: int
    kind: str = field(default="categorical", init=False)

    @property
    def missing(self) -> int:
        return self.nulls

    def merge(self, other: CategoricalProfile, max_categories: int) -> CategoricalProfile:
        counts = dict(self.counts)
        for k, v in other.counts.items():
            counts[k] = counts.get(k, 0) + v
        kept = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_categories])
        pooled = sum(counts.values()) - sum(kept.values())
        return CategoricalProfile(
            rows=self.rows + other.rows,
            nulls=self.nulls + other.nulls,
            counts=kept,
            other=self.other + other.other + pooled,
        )


ColumnProfile = NumericalProfile | CategoricalProfile


@dataclass
class Profile:
    """Every profiled column of one dataset (reference or current)."""

    rows: int
    columns: dict[str, ColumnProfile]
    row_sample: pl.DataFrame | None = None
    """Whole rows, evenly spread (for the multivariate check); not part of the JSON form."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (cache, registry). A numerical sample is stored as its float64
        bytes, little-endian, in base64: as JSON numbers, 20,000 values a column took far
        longer to write and read (bench/RESULTS.md)."""
        columns: dict[str, Any] = {}
        for name, p in self.columns.items():
            # shallow: asdict deep-copies every sampled value
            raw = {f.name: getattr(p, f.name) for f in fields(p)}
            if isinstance(p, NumericalProfile):
                data = np.asarray(p.sample, dtype="<f8").tobytes()
                raw["sample"] = {"float64": base64.b64encode(data).decode("ascii")}
            columns[name] = raw
        return {"format": PROFILE_FORMAT, "rows": self.rows, "columns": columns}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """The profile :meth:`to_dict` gave (format 1, with samples as JSON numbers, too)."""
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError(f"profile format {data.get('format')!r}, expected {PROFILE_FORMAT}")
        columns: dict[str, ColumnProfile] = {}
        for name, raw in data["columns"].items():
            values = {k: v for k, v in raw.items() if k != "kind"}
            if raw["kind"] == "numerical":
                sample = values["sample"]
                if isinstance(sample, dict):
                    decoded = np.frombuffer(base64.b64decode(sample["float64"]), dtype="<f8")
                    values["sample"] = decoded.astype(float).tolist()
                columns[name] = NumericalProfile(**values)
            else:
                columns[name] = CategoricalProfile(**values)
        return cls(rows=int(data["rows"]), columns=columns)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON (identical data and settings → identical digest)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _extreme(pick: Any, a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return float(pick(values)) if values else None


# --------------------------------------------------------------------------------------------
# Building profiles with polars


def profile(
    lf: pl.LazyFrame,
    numerical: list[str],
    categorical: list[str],
    *,
    bins: int,
    sample_rows: int,
    max_categories: int,
    reference: Profile | None = None,
    row_sample: tuple[list[str], int] | None = None,
) -> Profile:
    """Profile ``lf``'s columns. Categorical columns take one polars pass; numerical columns
    (and the rows sampled for the multivariate check) stream through
    :mod:`mlmon.datadrift.accumulator` in chunks. With ``reference`` (a reference profile) they
    are binned on the reference's edges in that pass; without it the data *is* a reference:
    the edges are the sample's quantiles, and a second pass over the numerical columns counts
    the bins."""
    known: dict[str, list[float]] = {}
    for c in numerical:
        ref = reference.columns.get(c) if reference is not None else None
        if isinstance(ref, NumericalProfile):
            known[c] = list(ref.edges)
    # The row count first (Parquet metadata, or one cheap column), so the sample can be every
    # k-th value: shuffling each column to sample it took as long as the rest of the pass.
    rows = lf.select(pl.len()).collect().item()
    step = max(1, math.ceil(rows / sample_rows))
    sampled = None
    if row_sample is not None and row_sample[0]:
        joint, wanted = row_sample
        sampled = _RowSample(joint, max(1, rows // wanted), wanted)  # `wanted` rows at least
    # The two passes read different columns: run side by side, they keep both cores busy.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlmon-categorical") as side:
        categorical_pass = side.submit(_categorical_pass, lf, categorical)
        wanted_edges = {c: known.get(c) for c in numerical}
        numbers = _numerical_pass(lf, wanted_edges, sample_rows, step, rows, sampled)
        first = categorical_pass.result()
    # A reference's edges: quantiles of its sample; then its bins are counted.
    unbinned = {
        c: quantile_edges(np.asarray(numbers[c].sample), bins) for c in numerical if c not in known
    }
    for c, binned in _numerical_pass(lf, unbinned, 0, 1, rows).items():
        numbers[c] = replace(numbers[c], edges=binned.edges, counts=binned.counts)
    columns: dict[str, ColumnProfile] = {c: numbers[c] for c in numerical}
    for c in categorical:
        pairs = first[f"{c}__values"][0].to_list()
        ranked = sorted(
            ((str(p[c]), int(p["count"])) for p in pairs if p[c] is not None),
            key=lambda kv: (-kv[1], kv[0]),
        )
        kept = dict(ranked[:max_categories])
        columns[c] = CategoricalProfile(
            rows=rows,
            nulls=int(first[f"{c}__nulls"][0]),
            counts=kept,
            other=sum(v for _, v in ranked[max_categories:]),
        )
    row_frame = sampled.frame(lf.collect_schema()) if sampled is not None else None
    return Profile(rows=rows, columns=columns, row_sample=row_frame)


def quantile_edges(values: np.ndarray, bins: int) -> list[float]:
    """Interior bin edges: the 1/bins, 2/bins, … quantiles of ``values``, without repeats
    (a column with few distinct values gets fewer bins).

    >>> quantile_edges(np.arange(1.0, 101.0), 4)
    [25.75, 50.5, 75.25]
    >>> quantile_edges(np.array([1.0, 1.0, 1.0, 2.0]), 4)
    [1.0, 1.25]
    """
    if len(values) == 0:
        return []
    qs = np.linspace(0, 1, bins + 1)[1:-1]
    return [float(e) for e in np.unique(np.quantile(values, qs))]


def _categorical_pass(lf: pl.LazyFrame, categorical: list[str]) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for c in categorical:
        col = pl.col(c).cast(pl.String)
        exprs += [
            col.is_null().sum().alias(f"{c}__nulls"),
            col.drop_nulls().value_counts().implode().alias(f"{c}__values"),
        ]
    if not exprs:
        return pl.DataFrame()
    return lf.select(exprs).collect(engine="streaming")


CHUNK_ROWS = 500_000
"""Rows per chunk of the numerical pass: 4 MB per column, and few enough calls that their
overhead does not show."""


@dataclass
class _RowSample:
    """Whole rows for the multivariate check: every ``every``-th row of the data, from the
    first, up to ``wanted`` rows."""

    columns: list[str]
    every: int
    wanted: int
    seen: int = 0
    parts: list[pl.DataFrame] = field(default_factory=list)
    taken: int = 0

    def take(self, chunk: pl.DataFrame) -> None:
        if self.taken < self.wanted:
            offset = -self.seen % self.every
            part = chunk.select(self.columns).gather_every(self.every, offset)
            part = part.head(self.wanted - self.taken)
            self.parts.append(part)
            self.taken += part.height
        self.seen += chunk.height

    def frame(self, schema: pl.Schema) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema={c: schema[c] for c in self.columns})
        return pl.concat(self.parts)


def _numerical_pass(
    lf: pl.LazyFrame,
    edges: Mapping[str, list[float] | None],
    sample_rows: int,
    step: int,
    rows: int,
    sampled: _RowSample | None = None,
) -> dict[str, NumericalProfile]:
    """Stream the numerical columns (cast to float) through one accumulator each, on
    ``edges`` where given; two threads share the columns of each chunk (the compiled loop
    releases the GIL). ``sampled`` takes its rows from the same chunks (its categorical
    columns are read here too)."""
    from mlmon.datadrift.accumulator import NumericAccumulator

    accumulators = {c: NumericAccumulator(e, sample_rows, step) for c, e in edges.items()}
    exprs = [pl.col(c).cast(pl.Float64, strict=False) for c in accumulators]
    if sampled is not None:
        exprs += [pl.col(c) for c in sampled.columns if c not in accumulators]
    if not exprs:
        return {}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlmon-profile") as pool:

        def take(chunk: pl.DataFrame) -> None:
            done = pool.map(lambda c: accumulators[c].add(chunk[c].to_numpy()), accumulators)
            if sampled is not None:
                sampled.take(chunk)
            for _ in done:
                pass  # re-raises a failure

        lf.select(exprs).sink_batches(take, chunk_size=CHUNK_ROWS)
    # step 1: every finite value was kept
    return {c: a.profile(rows, sample_complete=step == 1) for c, a in accumulators.items()}
