"""Which columns ``mlmon drift`` compares, and as what: from the config's schema, or inferred
from the reference's types when two files are compared without one; narrowed by ``--columns``
and ``--exclude``.

Without a config, a column plays a role by what it holds, not by its name alone:

- **timestamp**: a date/time type, or text whose first ``SNIFF_ROWS`` values all read as
  ISO-8601 timestamps (the layouts ``mlmon ingest`` reads). Two windows' timestamps never
  overlap, so compared as categories they always "drift" (Jensen-Shannon distance 1), and the
  domain classifier separates the windows by them alone;
- **id**: text whose values are all distinct and present in the reference (at least
  ``drift.min_rows`` rows), or integers that are and whose name says id (``id``, ``…_id``,
  ``…Id``, ``uuid``, ``guid``): an integer feature may be all-distinct by chance, an id name
  is what tells them apart.

Neither is compared; ``--columns`` names a column to compare whatever its inferred role.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from mlmon.config import Config
from mlmon.datadrift import sources
from mlmon.errors import UsageError

SNIFF_ROWS = 1_000
"""Rows of a text column read to decide whether it holds timestamps."""

_ID_NAME = re.compile(r"(^|[_\-. ])(id|uuid|guid)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9]Id$")


@dataclass
class Roles:
    """Which columns are compared, and as what."""

    numerical: list[str]
    categorical: list[str]
    prediction: dict[str, str] = field(default_factory=dict)
    """Output columns compared (name → kind), reported apart from the features."""
    derived: dict[str, pl.Expr] = field(default_factory=dict)
    inferred: bool = False
    left_out: dict[str, list[str]] = field(default_factory=dict)
    """Inferred roles that are not compared: ``{"timestamp": [...], "id": [...]}``."""

    def to_dict(self) -> dict[str, list[str]] | None:
        """The JSON ``roles_inferred``: None when the roles come from a config."""
        if not self.inferred:
            return None
        return {
            "numerical": self.numerical,
            "categorical": self.categorical,
            "timestamp": self.left_out.get("timestamp", []),
            "id": self.left_out.get("id", []),
        }


def resolve(
    config: Config | None,
    reference: sources.Source,
    current: pl.LazyFrame,
    *,
    min_rows: int,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> Roles:
    """The roles (see the module docstring), with only ``columns`` among the features when
    given, and without ``exclude``. A name that is not a feature (with a config) or not a
    column of the reference (without one) is a :class:`UsageError`."""
    ref_schema = reference.frame.collect_schema()
    if config is not None:
        roles = _configured(config, ref_schema, current.collect_schema())
        known = roles.numerical + roles.categorical
        for flag, names in (("--columns", columns or []), ("--exclude", exclude)):
            for name in names:
                if name not in known:
                    raise UsageError(
                        f"{flag}: {name!r} is not a feature in schema.features of {config.source}",
                        hint=f"features: {', '.join(known)}",
                    )
    else:
        for flag, names in (("--columns", columns or []), ("--exclude", exclude)):
            for name in names:
                if name not in ref_schema:
                    raise UsageError(
                        f"{flag}: no column {name!r} in the reference ({reference.description})",
                        hint=f"its columns: {', '.join(ref_schema)}",
                    )
        roles = _inferred(reference.frame, ref_schema, min_rows, columns)
    keep = set(columns) if columns is not None else None
    roles.numerical = [c for c in roles.numerical if _kept(c, keep, exclude)]
    roles.categorical = [c for c in roles.categorical if _kept(c, keep, exclude)]
    if (columns is not None or exclude) and not roles.numerical + roles.categorical:
        raise UsageError(
            "--columns/--exclude leave no column to compare",
            hint="name at least one column in --columns that --exclude does not name",
        )
    return roles


def _kept(name: str, keep: set[str] | None, exclude: Sequence[str]) -> bool:
    return (keep is None or name in keep) and name not in exclude


def _configured(config: Config, ref_schema: pl.Schema, cur_schema: pl.Schema) -> Roles:
    f = config.schema_.features
    roles = Roles(list(f.numerical), list(f.categorical))
    s = config.schema_
    union = pl.Schema({**dict(cur_schema), **dict(ref_schema)})
    if config.model.task == "regression":
        if s.prediction in union:
            roles.prediction[s.prediction or ""] = "numerical"
    elif s.score is not None and s.score in union:
        roles.prediction[s.score] = "numerical"
    for name, expr in sources.prediction_columns(config, union).items():
        roles.derived[name] = expr
        kind = "categorical" if name in (sources.CLASS, sources.LOW_CONFIDENCE) else "numerical"
        roles.prediction[name] = kind
    return roles


def _inferred(
    frame: pl.LazyFrame, schema: pl.Schema, min_rows: int, named: Sequence[str] | None
) -> Roles:
    """Kinds from the reference's types; timestamps and ids left out unless ``named``."""
    chosen = set(named or [])
    timestamps = [c for c in _timestamps(frame, schema) if c not in chosen]
    ids = [c for c in _ids(frame, schema, min_rows) if c not in chosen and c not in timestamps]
    numerical, categorical = [], []
    for name, dtype in schema.items():
        if name in timestamps or name in ids:
            continue
        if dtype.is_numeric() and dtype != pl.Boolean:
            numerical.append(name)
        elif dtype in (pl.String, pl.Categorical, pl.Boolean) or isinstance(dtype, pl.Enum):
            categorical.append(name)
        elif name in chosen:
            raise UsageError(
                f"--columns: {name!r} holds {dtype} values; drift compares numbers and categories",
                hint=f"leave {name!r} out of --columns",
            )
    left_out = {k: v for k, v in (("id", ids), ("timestamp", timestamps)) if v}
    return Roles(numerical, categorical, inferred=True, left_out=left_out)


def _timestamps(frame: pl.LazyFrame, schema: pl.Schema) -> list[str]:
    """Columns of a date/time type, or of text that reads as ISO-8601 timestamps."""
    from mlmon.store.timestamps import parse_timestamps

    temporal = [c for c, t in schema.items() if t.is_temporal()]
    text = [c for c, t in schema.items() if t == pl.String]
    if not text:
        return temporal
    head = frame.select(text).head(SNIFF_ROWS).collect()
    found = []
    for c in text:
        values = head[c].drop_nulls().str.strip_chars()
        if values.len() == 0:
            continue
        parsed = pl.select(parse_timestamps(pl.lit(values))).to_series()
        if parsed.null_count() == 0:
            found.append(c)
    return [c for c in schema if c in temporal or c in found]


def _ids(frame: pl.LazyFrame, schema: pl.Schema, min_rows: int) -> list[str]:
    """Text columns whose values are all distinct and present; integer columns too when their
    name says id (one pass over the candidates)."""
    candidates = [
        c
        for c, t in schema.items()
        if t == pl.String or (t.is_integer() and (_ID_NAME.search(c) or _CAMEL_ID.search(c)))
    ]
    if not candidates:
        return []
    counts = frame.select(
        pl.len().alias("__rows"),
        *[pl.col(c).n_unique().alias(f"{c}__distinct") for c in candidates],
        *[pl.col(c).null_count().alias(f"{c}__nulls") for c in candidates],
    ).collect()
    rows = int(counts["__rows"][0])
    if rows < max(2, min_rows):
        return []
    return [
        c
        for c in candidates
        if int(counts[f"{c}__nulls"][0]) == 0 and int(counts[f"{c}__distinct"][0]) == rows
    ]
