"""Coerce one batch of raw log rows to the storage schema and sort the rows into good and bad.

Pure: polars frames in, frames and counts out; no I/O. A *row-level* problem (an unparsable
timestamp, a score outside [0, 1], a label outside the classes, …) marks the row with a
reason; a *whole-file* problem (a column none of whose values can be read as its type) raises
:class:`~mlmon.errors.DataError`, because it means the file or the config is wrong, not a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.store.columns import TIMESTAMP, Column

ROW = "__mlmon_row"  # 1-based row number in the source file
REASON = "__mlmon_reason"
_FAILED = "__mlmon_failed__"
# A column is "wrong" (a file error) when at least this many values are present and not one of
# them can be read; a single unreadable value is just a bad row.
_WRONG_COLUMN_MIN = 2

# Timestamp layouts tried in order (chrono syntax; %.f also matches "no fraction",
# %#z matches Z, +02:00 and +0200). Zoned layouts are converted to UTC, naive ones are UTC.
_ZONED = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass
class BatchResult:
    """What validation made of one batch."""

    good: pl.DataFrame
    """Valid rows, typed as stored (plus the ROW column), duplicates within the batch removed."""
    bad: pl.DataFrame
    """Invalid rows as text: ROW, REASON and the source's configured columns."""
    duplicates: int = 0
    """Rows identical to an earlier row with the same id in this batch (skipped)."""
    nonfinite: dict[str, int] = field(default_factory=dict)
    """NaN/inf values per numerical feature among the rows read."""


def parse_timestamps(expr: pl.Expr) -> pl.Expr:
    """ISO-8601 text to UTC timestamps; null where no layout matches.

    >>> s = pl.Series(["2026-10-01T14:00:00+02:00", "2026-10-01 12:00:00", "31/10/2026"])
    >>> pl.select(parse_timestamps(pl.lit(s))).to_series().dt.hour().to_list()
    [12, 12, None]
    """
    zoned = [expr.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC") for f in _ZONED]
    naive = [
        expr.str.to_datetime(f, strict=False, time_unit="us").dt.replace_time_zone("UTC")
        for f in _NAIVE
    ]
    return pl.coalesce([*zoned, *naive])


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    raw = pl.col(name)
    return raw if dtype == pl.String else raw.cast(pl.String)


def _coerce(col: Column, source: pl.DataType, config: Config, where: str) -> tuple[pl.Expr, str]:
    """(expression giving the typed value, what a failed value is called in messages)."""
    raw = pl.col(col.name)
    text = source == pl.String
    nested = isinstance(source, pl.List | pl.Struct | pl.Array | pl.Object | pl.Binary)
    if nested:
        raise DataError(
            f"{where}: column {col.name!r} ({col.role}) holds {source} values, which cannot be "
            f"stored as {col.dtype(config)}",
            hint="flatten the column in the producer, or map another column to this role",
        )
    if col.kind == "timestamp":
        if text:
            return parse_timestamps(raw.str.strip_chars()), "an ISO-8601 timestamp"
        if isinstance(source, pl.Datetime):
            fixed = (
                raw.dt.replace_time_zone("UTC")
                if source.time_zone is None
                else raw.dt.convert_time_zone("UTC")
            )
            return fixed.cast(TIMESTAMP), "a timestamp"
        if source == pl.Date:
            return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), "a timestamp"
        raise DataError(
            f"{where}: column {col.name!r} ({col.role}) holds {source} values, not timestamps",
            hint="write timestamps as ISO-8601 text (2026-10-01T12:00:00Z) or a Parquet "
            "timestamp type; epoch numbers are ambiguous and not accepted",
        )
    if col.kind == "float" or (col.kind == "class" and config.model.classes is None):
        number = (
            raw.str.strip_chars().cast(pl.Float64, strict=False)
            if text
            else raw.cast(pl.Float64, strict=False)
        )
        return number, "a number"
    if col.kind == "class" and isinstance((config.model.classes or ("",))[0], int):
        number = (
            raw.str.strip_chars().cast(pl.Float64, strict=False)
            if text
            else raw.cast(pl.Float64, strict=False)
        )
        integral = number.is_finite() & (number == number.floor())
        return pl.when(integral).then(number.cast(pl.Int64)).otherwise(None), "a whole number"
    return (raw if text else raw.cast(pl.String)), "text"


def validate_batch(
    raw: pl.DataFrame, columns: list[Column], config: Config, where: str
) -> BatchResult:
    """Coerce ``raw`` (which has the ROW column and every column of ``columns``) and split it.

    ``where`` names the source in messages (``file.csv``).
    """
    store = config.store
    typed: list[pl.Expr] = []
    failures: list[pl.Expr] = []
    checks: list[pl.Expr] = []
    counts: list[tuple[pl.Expr, pl.Expr]] = []
    for col in columns:
        source = raw.schema[col.name]
        value, what = _coerce(col, source, config, where)
        text = _as_text(col.name, source)
        present = pl.col(col.name).is_not_null()
        failed = present & value.is_null()
        typed.append(value.alias(col.name))
        failures.append(
            pl.when(failed)
            .then(
                pl.format("{}: cannot read {} as {}", pl.lit(col.name), _quoted(text), pl.lit(what))
            )
            .alias(f"{_FAILED}{col.name}")
        )
        counts.append((failed.sum().alias(f"f:{col.name}"), present.sum().alias(f"p:{col.name}")))
    stats = raw.select([e for pair in counts for e in pair]).row(0, named=True)
    for col in columns:
        n_failed, n_present = stats[f"f:{col.name}"], stats[f"p:{col.name}"]
        if n_present >= _WRONG_COLUMN_MIN and n_failed == n_present:
            example = raw.filter(pl.col(col.name).is_not_null()).get_column(col.name)[0]
            raise DataError(
                f"{where}: column {col.name!r} ({col.role}): none of its {n_present} values can "
                f"be read as {col.dtype(config)} (first value: {example!r})",
                hint="check that the file's columns match `schema` in the config",
            )

    frame = raw.select(pl.col(ROW), *typed, *failures)
    classes = config.model.classes
    nonfinite_names: list[str] = []
    for col in columns:
        v = pl.col(col.name)
        failed = pl.col(f"{_FAILED}{col.name}")
        if col.kind == "id":
            checks.append(pl.when(v.is_null()).then(pl.lit(f"{col.name} is missing")))
        elif col.role == "timestamp":
            checks.append(
                pl.when(v.is_null() & failed.is_null()).then(pl.lit(f"{col.name} is missing"))
            )
        elif col.role == "score" or col.role.startswith("probability["):
            invalid = v.is_not_null() & (v.is_nan() | (v < 0) | (v > 1))
            checks.append(
                pl.when(invalid).then(pl.format("{}: {} is outside [0, 1]", pl.lit(col.name), v))
            )
        elif col.kind == "class" and classes is not None:
            invalid = v.is_not_null() & ~v.is_in(list(classes))
            checks.append(
                pl.when(invalid).then(
                    pl.format(
                        "{}: {} is not one of the classes {}",
                        pl.lit(col.name),
                        v,
                        pl.lit(str(list(classes))),
                    )
                )
            )
        elif col.role == "latency":
            checks.append(pl.when(v < 0).then(pl.format("{}: {} is negative", pl.lit(col.name), v)))
        elif col.role == "numerical feature":
            nonfinite_names.append(col.name)
            if store.nonfinite_features == "quarantine":
                checks.append(
                    pl.when(v.is_not_null() & ~v.is_finite()).then(
                        pl.format("{}: {} is not finite", pl.lit(col.name), v)
                    )
                )
    prob_cols = [c.name for c in columns if c.role.startswith("probability[")]
    if prob_cols:
        total = pl.sum_horizontal(prob_cols)
        n_null = pl.sum_horizontal([pl.col(c).is_null().cast(pl.Int32) for c in prob_cols])
        checks.append(
            pl.when((n_null > 0) & (n_null < len(prob_cols)))
            .then(pl.lit("class probabilities are partly missing"))
            .when((n_null == 0) & ((total - 1.0).abs() > store.probability_tolerance))
            .then(pl.format("class probabilities sum to {}, not 1", total.round(6)))
        )
    reasons = [pl.col(f"{_FAILED}{c.name}") for c in columns] + checks
    frame = frame.with_columns(
        pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias(REASON)
    )
    nonfinite = (
        frame.select([(~pl.col(n).is_finite()).sum().alias(n) for n in nonfinite_names]).row(
            0, named=True
        )
        if nonfinite_names
        else {}
    )
    is_bad = pl.col(REASON) != ""
    names = [c.name for c in columns]
    good = frame.filter(~is_bad).select(ROW, *names)
    bad_rows = frame.filter(is_bad).select(ROW, REASON)

    good, conflicts, duplicates = _split_duplicates(good, columns[0].name, names)
    bad = _bad_as_text(raw, bad_rows, conflicts, names)
    return BatchResult(
        good=good,
        bad=bad,
        duplicates=duplicates,
        nonfinite={k: int(v) for k, v in nonfinite.items() if v},
    )


def _quoted(text: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("'"), text.str.slice(0, 60), pl.lit("'")])


def _split_duplicates(
    good: pl.DataFrame, id_col: str, names: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Keep the first row per id. A later row equal to it is a harmless repeat (counted);
    one that differs is a conflict (quarantined, naming the first row)."""
    if good.height == 0 or good.get_column(id_col).is_unique().all():
        return (
            good,
            pl.DataFrame({ROW: [], REASON: []}, schema={ROW: pl.Int64, REASON: pl.String}),
            0,
        )
    h = "__mlmon_hash"
    marked = good.with_columns(
        pl.struct([c for c in names if c != id_col]).hash().alias(h)
    ).with_columns(
        pl.col(ROW).first().over(id_col).alias("__first_row"),
        pl.col(h).first().over(id_col).alias("__first_hash"),
    )
    first = pl.col(ROW) == pl.col("__first_row")
    repeat = ~first & (pl.col(h) == pl.col("__first_hash"))
    conflict = ~first & ~repeat
    conflicts = marked.filter(conflict).select(
        ROW,
        pl.format(
            "{}: duplicate id {} conflicts with row {}",
            pl.lit(id_col),
            _quoted(pl.col(id_col)),
            pl.col("__first_row"),
        ).alias(REASON),
    )
    n_repeat = int(marked.select(repeat.sum()).item())
    return marked.filter(first).select(ROW, *names), conflicts, n_repeat


def _bad_as_text(
    raw: pl.DataFrame, bad_rows: pl.DataFrame, conflicts: pl.DataFrame, names: list[str]
) -> pl.DataFrame:
    rows = pl.concat([bad_rows.cast({ROW: pl.Int64}), conflicts.cast({ROW: pl.Int64})])
    as_text = raw.select(pl.col(ROW).cast(pl.Int64), *[pl.col(n).cast(pl.String) for n in names])
    return rows.join(as_text, on=ROW, how="left").sort(ROW)
