"""Coerce one batch of raw log rows to the storage schema and sort the rows into good and bad.

Pure: polars frames in, frames and counts out; no I/O. A *row-level* problem (an unparsable
timestamp, a score outside [0, 1], a label outside the classes, …) marks the row with a
reason; a *whole-file* problem (a column none of whose values can be read as its type) raises
:class:`~mlmon.errors.DataError`, because it means the file or the config is wrong, not a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.store.columns import TIMESTAMP, Column
from mlmon.store.timestamps import parse_with_layout, reparse_missed, timestamp_layout

ROW = "__mlmon_row"  # 1-based row number in the source file
REASON = "__mlmon_reason"
_FAILED = "__mlmon_failed__"
# A column is "wrong" (a file error) when at least this many values are present and not one of
# them can be read; a single unreadable value is just a bad row.
_WRONG_COLUMN_MIN = 2

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""No stored time is earlier: a log time before 1970 is a default value or a corrupt one."""
_OUTPUT_ROLES = ("prediction", "score", "error")


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
        # (text timestamps never get here: validate_batch parses them with timestamp_layout)
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
    number = (raw.str.strip_chars() if text else raw).cast(pl.Float64, strict=False)
    if col.kind == "float" or (col.kind == "class" and config.model.classes is None):
        return number, "a number"
    if col.kind == "class" and isinstance((config.model.classes or ("",))[0], int):
        integral = number.is_finite() & (number == number.floor())
        return pl.when(integral).then(number.cast(pl.Int64)).otherwise(None), "a whole number"
    return (raw if text else raw.cast(pl.String)), "text"


def validate_batch(
    raw: pl.DataFrame,
    columns: list[Column],
    config: Config,
    where: str,
    now: dt.datetime | None = None,
    *,
    nul_free: bool = False,
) -> BatchResult:
    """Coerce ``raw`` (which has the ROW column and every column of ``columns``) and split it.

    ``where`` names the source in messages (``file.csv``); ``now`` is the ingest time (default:
    the clock), which bounds timestamps from above by ``store.max_future``. Work is proportional
    to the batch only for the typed values and one boolean per rule; the text of a reason is
    built for the (usually few) rows that fail. ``nul_free`` says the caller has checked that
    no value holds a NUL character (which makes a row invalid).
    """
    now = now or dt.datetime.now(dt.UTC)
    typed: list[pl.Expr] = []
    whats: dict[str, str] = {}
    text_timestamps: list[str] = []
    for col in columns:
        dtype = raw.schema[col.name]
        if col.kind == "timestamp" and dtype == pl.String:
            # one layout for the whole column (fast), the others only where it fails (rare)
            layout = timestamp_layout(raw.get_column(col.name))
            value, what = (
                parse_with_layout(pl.col(col.name).str.strip_chars(), layout),
                "an ISO-8601 timestamp",
            )
            text_timestamps.append(col.name)
        else:
            value, what = _coerce(col, dtype, config, where)
        typed.append(value.alias(col.name))
        whats[col.name] = what
    values = raw.select(pl.col(ROW), *typed)
    for name in text_timestamps:
        values = reparse_missed(values, raw, name)
    both = pl.concat([values, raw.drop(ROW).rename(_raw)], how="horizontal")

    _refuse_wrong_columns(both, columns, config, where)
    nul_checked = (
        set() if nul_free else {c.name for c in columns if raw.schema[c.name] == pl.String}
    )
    # never empty: every column can be unreadable
    rules = _rules(columns, config, whats, nul_checked, now)
    flags = both.select([flag.alias(f"{_FAILED}{i}") for i, (flag, _) in enumerate(rules)])
    nonfinite_names = [c.name for c in columns if c.role == "numerical feature"]
    nonfinite = (
        values.select((~pl.col(n).is_finite()).sum().alias(n) for n in nonfinite_names).row(
            0, named=True
        )
        if nonfinite_names
        else {}
    )
    is_bad = flags.select(pl.any_horizontal(pl.all()).fill_null(False)).to_series()
    names = [c.name for c in columns]
    if not is_bad.any():
        good = values
        bad_rows = pl.DataFrame(schema={ROW: pl.Int64, REASON: pl.String})
    else:
        good = values.filter(~is_bad)
        failing = pl.concat([both.filter(is_bad), flags.filter(is_bad)], how="horizontal")
        bad_rows = failing.select(
            pl.col(ROW),
            pl.concat_str(
                [
                    pl.when(pl.col(f"{_FAILED}{i}")).then(message)
                    for i, (_, message) in enumerate(rules)
                ],
                separator="; ",
                ignore_nulls=True,
            ).alias(REASON),
        )
    good, conflicts, duplicates = _split_duplicates(good, columns[0].name, names)
    bad = _bad_as_text(raw, bad_rows, conflicts, names)
    return BatchResult(
        good=good,
        bad=bad,
        duplicates=duplicates,
        nonfinite={k: int(v) for k, v in nonfinite.items() if v},
    )


def _raw(name: str) -> str:
    return f"__mlmon_raw__{name}"


Rule = tuple[pl.Expr, pl.Expr]
"""(flag: true where a row breaks the rule, message: the reason, evaluated on failing rows)."""


def _rules(
    columns: list[Column],
    config: Config,
    whats: dict[str, str],
    nul_checked: set[str],
    now: dt.datetime,
) -> list[Rule]:
    """Every row rule, over typed values (by name) and source values (``_raw(name)``);
    ``nul_checked`` names the (text) columns to check for NUL, ``now`` is the ingest time."""
    store = config.store
    classes = config.model.classes
    latest = now + dt.timedelta(seconds=store.max_future)
    rules: list[Rule] = []
    for col in columns:
        v, raw = pl.col(col.name), pl.col(_raw(col.name))
        unreadable = raw.is_not_null() & v.is_null()
        rules.append(
            (
                unreadable,
                pl.format(
                    "{}: cannot read {} as {}",
                    pl.lit(col.name),
                    quoted(raw.cast(pl.String)),
                    pl.lit(whats[col.name]),
                ),
            )
        )
        if col.name in nul_checked:
            # The binary sniff reads only a file's first 8 KiB; a NUL further on is a bad row.
            rules.append(
                (
                    raw.str.contains("\x00", literal=True),
                    pl.lit(f"{col.name}: contains a NUL byte"),
                )
            )
        if col.kind == "timestamp":
            shown = v.dt.strftime("%Y-%m-%d %H:%M:%S")
            rules.append(
                (
                    v < EARLIEST,
                    pl.format("{}: {} is before 1970-01-01", pl.lit(col.name), shown),
                )
            )
            rules.append(
                (
                    v > latest,
                    pl.format(
                        "{}: {} is more than {} after the ingest time ({}; store.max_future)",
                        pl.lit(col.name),
                        shown,
                        pl.lit(duration_text(store.max_future)),
                        pl.lit(now.strftime("%Y-%m-%d %H:%M:%S")),
                    ),
                )
            )
        if col.kind == "id":
            rules.append((raw.is_null(), pl.lit(f"{col.name} is missing")))
            rules.append(
                (
                    raw.is_not_null() & (v.str.strip_chars().str.len_bytes() == 0),
                    pl.lit(f"{col.name} is blank"),
                )
            )
        elif col.role == "timestamp":
            rules.append((raw.is_null(), pl.lit(f"{col.name} is missing")))
        if col.role == "label":
            # A missing label is no label: stored, it would stand for the id's real label.
            rules.append((raw.is_null(), pl.lit(f"{col.name} is missing")))
            if classes is None:
                rules.append(
                    (
                        v.is_not_null() & ~v.is_finite(),
                        pl.format("{}: {} is not a finite number", pl.lit(col.name), v),
                    )
                )
        if col.role == "score" or col.role.startswith("probability["):
            rules.append(
                (
                    v.is_not_null() & (v.is_nan() | (v < 0) | (v > 1)),
                    pl.format("{}: {} is outside [0, 1]", pl.lit(col.name), v),
                )
            )
        elif col.kind == "class" and classes is not None:
            rules.append(
                (
                    v.is_not_null() & ~v.is_in(list(classes)),
                    pl.format(
                        "{}: {} is not one of the classes {}",
                        pl.lit(col.name),
                        v,
                        pl.lit(str(list(classes))),
                    ),
                )
            )
        elif col.role == "latency":
            rules.append((v < 0, pl.format("{}: {} is negative", pl.lit(col.name), v)))
        elif col.role == "numerical feature" and store.nonfinite_features == "quarantine":
            rules.append(
                (
                    v.is_not_null() & ~v.is_finite(),
                    pl.format("{}: {} is not finite", pl.lit(col.name), v),
                )
            )
    outputs = [c.name for c in columns if c.role.startswith(("probability[", *_OUTPUT_ROLES))]
    errors = {c.name for c in columns if c.role == "error"}
    if outputs:
        # A prediction row must carry what the model said, or that it failed to say anything.
        rules.append(
            (
                pl.all_horizontal(_absent(pl.col(_raw(n)), n in errors) for n in outputs),
                pl.lit("no prediction, score or error: a row must carry an output or its error"),
            )
        )
    prob_cols = [c.name for c in columns if c.role.startswith("probability[")]
    if prob_cols:
        total = pl.sum_horizontal(prob_cols)
        n_null = pl.sum_horizontal([pl.col(c).is_null().cast(pl.Int32) for c in prob_cols])
        rules.append(
            (
                (n_null > 0) & (n_null < len(prob_cols)),
                pl.lit("class probabilities are partly missing"),
            )
        )
        rules.append(
            (
                (n_null == 0) & ((total - 1.0).abs() > store.probability_tolerance),
                pl.format("class probabilities sum to {}, not 1", total.round(6)),
            )
        )
    return rules


def _absent(raw: pl.Expr, blank_too: bool) -> pl.Expr:
    """Null (or, for ``blank_too``, only whitespace) in the source."""
    if not blank_too:
        return raw.is_null()
    return raw.is_null() | (raw.cast(pl.String).str.strip_chars().str.len_bytes() == 0)


def duration_text(seconds: float) -> str:
    """A duration in the config's own units, for messages.

    >>> duration_text(86400.0), duration_text(5400.0), duration_text(0.5)
    ('1d', '90m', '0.5s')
    """
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _refuse_wrong_columns(
    both: pl.DataFrame, columns: list[Column], config: Config, where: str
) -> None:
    """A column none of whose (two or more) values can be read is a file error, not bad rows."""
    counts = both.select(
        e
        for c in columns
        for e in (
            (pl.col(_raw(c.name)).is_not_null() & pl.col(c.name).is_null())
            .sum()
            .alias(f"f:{c.name}"),
            pl.col(_raw(c.name)).is_not_null().sum().alias(f"p:{c.name}"),
        )
    ).row(0, named=True)
    for col in columns:
        n_failed, n_present = counts[f"f:{col.name}"], counts[f"p:{col.name}"]
        if n_present >= _WRONG_COLUMN_MIN and n_failed == n_present:
            example = both.filter(pl.col(_raw(col.name)).is_not_null()).get_column(_raw(col.name))[
                0
            ]
            raise DataError(
                f"{where}: column {col.name!r} ({col.role}): none of its {n_present} values can "
                f"be read as {col.dtype(config)} (first value: {example!r})",
                hint="check that the file's columns match `schema` in the config",
            )


def quoted(text: pl.Expr) -> pl.Expr:
    """A value for a reason message: in quotes, cut at 60 characters."""
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
            quoted(pl.col(id_col)),
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
