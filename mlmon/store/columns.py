"""The storage schema: which polars dtype each configured column is stored as. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import polars as pl

from mlmon.config import Config

Kind = Literal["id", "timestamp", "string", "float", "class"]
TIMESTAMP = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    """One stored column: its name in the logs, its role (for messages) and how to coerce it."""

    name: str
    role: str
    kind: Kind
    required: bool

    def dtype(self, config: Config) -> pl.DataType:
        if self.kind == "timestamp":
            return TIMESTAMP
        if self.kind == "float":
            return pl.Float64()
        if self.kind == "class":
            return class_dtype(config)
        return pl.String()


def class_dtype(config: Config) -> pl.DataType:
    """Labels and predictions: Int64 or String for classification (as ``model.classes``),
    Float64 for regression."""
    classes = config.model.classes
    if classes is None:
        return pl.Float64()
    return pl.Int64() if isinstance(classes[0], int) else pl.String()


_KIND_BY_ROLE: dict[str, Kind] = {
    "id": "id",
    "timestamp": "timestamp",
    "label_timestamp": "timestamp",
    "model_version": "string",
    "prediction": "class",
    "label": "class",
    "score": "float",
    "numerical feature": "float",
    "categorical feature": "string",
    "latency": "float",
    "error": "string",
    "metadata": "string",
}
# Columns a prediction log must carry; the others are filled with nulls when a file lacks them.
_REQUIRED_ROLES = {
    "id",
    "timestamp",
    "prediction",
    "score",
    "numerical feature",
    "categorical feature",
}


def prediction_columns(config: Config) -> list[Column]:
    """The columns of the ``predictions`` table, in storage order."""
    out = []
    for role, name in config.schema_.prediction_columns():
        base = "score" if role.startswith("probability[") else role
        out.append(Column(name, role, _KIND_BY_ROLE[base], required=base in _REQUIRED_ROLES))
    return out


def label_columns(config: Config) -> list[Column]:
    """The columns of the ``labels`` table: id, label and when the label became known.

    ``label_timestamp`` is optional in a label file; when absent, ingest time is stored.
    """
    s = config.schema_
    return [
        Column(s.id, "id", "id", required=True),
        Column(s.label, "label", "class", required=True),
        Column(
            s.label_timestamp or "label_timestamp", "label_timestamp", "timestamp", required=False
        ),
    ]


def storage_schema(config: Config, columns: list[Column]) -> dict[str, pl.DataType]:
    """``{name: dtype}`` of stored files, for empty frames and scans."""
    return {c.name: c.dtype(config) for c in columns}


MISSING = "_mlmon_missing"
"""Stored with each prediction: does any configured feature lack a value (null, or NaN)?"""
MISSING_OF = "mlmon.missing_features"
"""Parquet key-value metadata: the feature lists ``MISSING`` was computed over."""


def missing_features(config: Config) -> pl.Expr:
    """True where any configured feature is null (or NaN, for numerical ones)."""
    f = config.schema_.features
    return pl.any_horizontal(
        [pl.col(c).is_null() | pl.col(c).is_nan() for c in f.numerical]
        + [pl.col(c).is_null() for c in f.categorical]
        + [pl.lit(False)]
    )


def missing_features_key(config: Config) -> str:
    """The value of ``MISSING_OF`` for this config's features (order does not matter)."""
    f = config.schema_.features
    return json.dumps({"numerical": sorted(f.numerical), "categorical": sorted(f.categorical)})


INGESTED = "_mlmon_ingested_at"
"""Stored with each label: when its batch was staged (strictly increasing within a run, so
two labels for one id are ordered even when they arrive in one run). A corrected label is
appended, never written over the old one; reads keep the label with the latest
``INGESTED`` (label files written before label corrections existed read it as null, the
earliest)."""
