"""A data contract learned from a reference: what "normal" looked like, with room. Pure.

For each feature and each of the model's outputs (prediction, score or class probabilities):

- every share bound is the reference's share plus ``tolerance`` (nulls, zeros, NaN/inf,
  sentinels, values out of range, new values);
- a numerical range is the reference's 0.1% and 99.9% quantiles widened by ``RANGE_MARGIN``
  of their span on each side (quantiles, not min/max: one absurd reference value does not
  open the range to everything), and never below 0 for a column that never was;
- a numerical column (or score) that was not constant may not concentrate on one value
  beyond the reference's most common value's share plus ``tolerance`` (``top_share``: a
  feature sending a default, a model stuck on one score), nor lose its spread below
  ``SPREAD_FLOOR`` of the reference's standard deviation;
- a categorical column keeps its domain with each value's reference share (up to
  ``MAX_DOMAIN`` values), so values outside it are new and vanished common values are seen;
  the prediction's class shares may move ``class_tolerance`` either way (the positive rate
  of a binary model, the class mix of a multiclass one);
- the distinct-value floor is half the fewest distinct values of any reference window of at
  least half the median window's rows.

Categorical distributions moving within their domain are drift's to judge, not health's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from mlmon.config.contract import Cardinality, ColumnContract, Contract

RANGE_MARGIN = 0.25
SPREAD_FLOOR = 0.25
MAX_DOMAIN = 50
QUANTILES = (0.001, 0.999)
COMMON_SENTINELS: tuple[float | str, ...] = (
    -1, -99, -999, -9999, 999, 9999, 99999, "", "unknown", "n/a", "na", "null", "none", "?", "-",
)  # fmt: skip
"""Values that commonly stand for "missing"; one seen in at least ``SENTINEL_SHARE`` of a
reference column is learned as that column's sentinel."""
SENTINEL_SHARE = 0.001


def infer_contract(
    frame: pl.LazyFrame,
    kinds: Mapping[str, str],
    *,
    timestamp: str,
    every: str,
    tolerance: float,
    class_tolerance: float,
    prediction: str | None,
    sentinels: Mapping[str, Sequence[float | str]],
    model: str | None,
    source: str,
) -> Contract:
    """The contract of ``kinds`` (column → numerical/categorical) learned from ``frame``.
    ``sentinels`` are declared ones (``check.sentinels``), kept whatever the reference."""
    names = list(kinds)
    windows = pl.col(timestamp).dt.truncate(every).alias("_window")
    sizes = frame.group_by(windows).agg(pl.len().alias("_rows")).collect()
    rows = int(sizes["_rows"].sum())
    if rows == 0:
        raise ValueError("the reference has no rows")
    columns = {}
    for name in names:  # one column in memory at a time (with the window it belongs to)
        data = frame.select(windows, pl.col(name)).collect()
        per_window = data.group_by("_window").agg(
            pl.len().alias("_rows"), pl.col(name).drop_nulls().n_unique()
        )
        col = data[name]
        kind = kinds[name]
        present = col.drop_nulls()
        spec: dict[str, Any] = {
            "kind": kind,
            "null_share": _bound(col.null_count() / rows, tolerance),
        }
        declared = list(sentinels.get(name, ()))
        learned = _sentinels(present, kind)
        found = list(dict.fromkeys([*declared, *learned]))
        if found:
            share = float(present.is_in(_fit(found, present.dtype)).sum()) / max(len(present), 1)
            spec |= {"sentinels": found, "sentinel_share": _bound(share, tolerance)}
        if kind == "numerical":
            spec |= _numerical(present, tolerance)
        else:
            spec |= _categorical(
                present, tolerance, class_tolerance if name == prediction else None
            )
        floor = _cardinality(per_window, name)
        if floor is not None:
            spec["cardinality"] = floor
        columns[name] = ColumnContract.model_validate(spec)
        del data, col, present
    return Contract(model=model, source=source, columns=columns)


def _bound(share: float, tolerance: float) -> float:
    return round(min(share + tolerance, 1.0), 6)


def _fit(values: list[Any], dtype: pl.DataType) -> list[Any]:
    """The values that can be compared with a column of ``dtype``."""
    if dtype == pl.String:
        return [v for v in values if isinstance(v, str)]
    return [v for v in values if not isinstance(v, str)]


def _sentinels(present: pl.Series, kind: str) -> list[float | str]:
    candidates = _fit(list(COMMON_SENTINELS), present.dtype)
    if kind == "numerical":
        candidates = [float(v) for v in candidates]
    n = max(len(present), 1)
    counts = present.filter(present.is_in(candidates)).value_counts()
    return [
        v
        for v, k in zip(counts[present.name].to_list(), counts["count"].to_list(), strict=True)
        if k / n >= SENTINEL_SHARE
    ]


def _numerical(present: pl.Series, tolerance: float) -> dict[str, Any]:
    n = max(len(present), 1)
    finite = present.filter(present.is_finite())
    spec: dict[str, Any] = {
        "zero_share": _bound(float(present.eq(0).sum()) / n, tolerance),
        "nonfinite_share": _bound((len(present) - len(finite)) / n, tolerance),
    }
    if len(finite) == 0:
        return spec
    values = finite.cast(pl.Float64).to_numpy()
    # numpy's linear quantiles (polars' "linear" interpolation), both from one selection pass
    low, high = (float(q) for q in np.quantile(values, QUANTILES))
    margin = (high - low) * RANGE_MARGIN
    floor = low - margin
    smallest, largest = float(values.min()), float(values.max())
    if smallest >= 0:
        floor = max(floor, 0.0)  # a count or an amount: the margin does not open negatives
    spec |= {
        "range": [_round(floor), _round(high + margin)],
        "out_of_range_share": _bound(0.0, tolerance),
    }
    top = int(finite.unique_counts().max() or 0) / len(finite)  # type: ignore[arg-type]
    if smallest < largest:  # a constant reference column may stay constant
        spec["top_share"] = _bound(top, tolerance)
        std = finite.cast(pl.Float64).std()
        if isinstance(std, float) and std > 0:
            spec["spread_min"] = _round(std * SPREAD_FLOOR)
    return spec


def _categorical(
    present: pl.Series, tolerance: float, class_tolerance: float | None
) -> dict[str, Any]:
    counts = present.value_counts(sort=True)
    if counts.height > MAX_DOMAIN and class_tolerance is None:
        return {}
    n = max(len(present), 1)
    domain = {
        v: round(k / n, 6)
        for v, k in zip(counts[present.name].to_list(), counts["count"].to_list(), strict=True)
    }
    spec: dict[str, Any] = {"domain": domain, "new_value_share": _bound(0.0, tolerance)}
    if class_tolerance is not None:
        spec["share_tolerance"] = class_tolerance
    return spec


def _cardinality(per_window: pl.DataFrame, name: str) -> dict[str, int] | None:
    if per_window.height == 0:
        return None
    sizes = per_window["_rows"].cast(pl.Float64)
    rows = max(int(float(sizes.median() or 0.0)) // 2, 1)  # type: ignore[arg-type]
    full = per_window.filter(pl.col("_rows") >= rows)
    fewest = full[name].cast(pl.Int64).min()
    if not isinstance(fewest, int) or fewest < 4:  # too few values to tell a collapse by chance
        return None
    return Cardinality(min=fewest // 2, rows=rows).model_dump()


def _round(x: float) -> float:
    """Six significant digits: a contract people read."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, 5 - math.floor(math.log10(abs(x))))
