"""The counts every health check reads, per window, in one pass over the logs. Pure.

One ``group_by`` over the window start computes, for each column a contract constrains, the
counts the checks judge (nulls, zeros, NaN/inf, values out of range or outside the domain,
sentinels, the most common value's count, distinct values, the spread, each domain value's
count): a single scan of the window's rows, whatever the number of checks.
"""

from __future__ import annotations

import polars as pl

from mlmon.config.contract import ColumnContract, Contract

WINDOW = "_window"
ROWS = "_rows"
SEP = "\x1f"


def stat(column: str, name: str) -> str:
    """The tally's column holding ``name`` of ``column``."""
    return f"{column}{SEP}{name}"


def condition(column: str, check: str, cc: ColumnContract, value: object = None) -> pl.Expr:
    """Rows that count against ``check`` of ``column`` (also used to find example ids)."""
    c = pl.col(column)
    if check == "null_share":
        return c.is_null()
    if check == "zero_share":
        return c.eq(0)
    if check == "nonfinite_share":
        return c.is_nan() | c.is_infinite()
    if check == "out_of_range_share":
        assert cc.range is not None
        low, high = cc.range
        return c.is_finite() & ((c < low) | (c > high))
    if check == "sentinel_share":
        return c.is_in(list(cc.sentinels))
    if check == "new_value_share":
        return c.is_not_null() & ~c.is_in(list(cc.domain or {}))
    if check in ("value_share", "top_share"):
        return c.eq(value)
    raise ValueError(f"no row condition for {check}")


def _typed(values: list[object], dtype: pl.DataType) -> list[object]:
    """Contract values (YAML numbers or text) in the column's type, those that fit."""
    out: list[object] = []
    for v in values:
        try:
            out.append(pl.Series([v]).cast(dtype).item())
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            continue
    return out


def typed_contract(contract: Contract, schema: dict[str, pl.DataType]) -> Contract:
    """The contract with its domain values and sentinels cast to the stored column types
    (an int class label is written ``1`` in YAML and stored as Int64; a numeric-looking
    category is text), so comparisons in polars are exact."""
    columns = {}
    for name, cc in contract.columns.items():
        dtype = schema.get(name)
        if dtype is None:
            columns[name] = cc
            continue
        update: dict[str, object] = {"sentinels": tuple(_typed(list(cc.sentinels), dtype))}
        if cc.domain is not None:
            update["domain"] = {
                typed: share
                for value, share in cc.domain.items()
                for typed in _typed([value], dtype)
            }
        columns[name] = cc.model_copy(update=update)
    return contract.model_copy(update={"columns": columns})


def aggregations(contract: Contract, present: set[str]) -> list[pl.Expr]:
    """The per-window aggregations of the contract's columns that are in ``present``."""
    out: list[pl.Expr] = [pl.len().alias(ROWS)]
    for name, cc in contract.columns.items():
        if name not in present:
            continue
        c = pl.col(name)
        out.append(c.count().alias(stat(name, "present")))  # nulls: rows - present
        if cc.cardinality is not None:
            # HyperLogLog: the floor is half the fewest distinct values of a reference window,
            # far beyond its error, and an exact count per window costs a second hash table
            out.append(c.drop_nulls().approx_n_unique().alias(stat(name, "unique")))
        if cc.top_share is not None:
            out.append(c.drop_nulls().unique_counts().max().alias(stat(name, "top")))
        if cc.sentinels:
            out.append(condition(name, "sentinel_share", cc).sum().alias(stat(name, "sentinels")))
        if cc.kind == "numerical":
            finite = pl.when(c.is_finite()).then(c)  # NaN and ±inf as null (cheaper than a filter)
            out += [
                condition(name, "zero_share", cc).sum().alias(stat(name, "zeros")),
                condition(name, "nonfinite_share", cc).sum().alias(stat(name, "nonfinite")),
                finite.std().alias(stat(name, "std")),
            ]  # finite: present - nonfinite; a failing range's min and max are read for it
            if cc.range is not None:
                out.append(
                    condition(name, "out_of_range_share", cc)
                    .sum()
                    .alias(stat(name, "out_of_range"))
                )
        elif cc.domain is not None:
            out.append(condition(name, "new_value_share", cc).sum().alias(stat(name, "new")))
            for i, value in enumerate(cc.domain):
                out.append(c.eq(value).sum().alias(stat(name, f"value{SEP}{i}")))
    return out


def derived(contract: Contract, present: set[str]) -> list[pl.Expr]:
    """The counts that follow from the aggregated ones (cheaper than aggregating them)."""
    out = []
    for name, cc in contract.columns.items():
        if name not in present:
            continue
        count = pl.col(stat(name, "present"))
        out.append((pl.col(ROWS) - count).alias(stat(name, "nulls")))
        if cc.kind == "numerical":
            out.append((count - pl.col(stat(name, "nonfinite"))).alias(stat(name, "finite")))
    return out


def tally(
    frame: pl.LazyFrame, timestamp: str, every: str, contract: Contract, present: set[str]
) -> pl.DataFrame:
    """One row per window (``every``: ``1h`` or ``1d``) that has rows, in time order, with
    the counts of :func:`aggregations`."""
    return (
        frame.group_by(pl.col(timestamp).dt.truncate(every).alias(WINDOW))
        .agg(aggregations(contract, present))
        .with_columns(derived(contract, present))
        .sort(WINDOW)
        .collect()
    )
