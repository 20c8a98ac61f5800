"""Batch coercion and validation: which rows are good, and the exact reason for each bad one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from mlmon.config import Config, parse_config
from mlmon.errors import DataError
from mlmon.store.columns import label_columns, prediction_columns
from mlmon.store.timestamps import parse_timestamps
from mlmon.store.validate import REASON, ROW, validate_batch
from tests.conftest import BINARY_CONFIG, MULTICLASS_CONFIG

UTC = dt.UTC


def _config(**store: str) -> Config:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid=store.pop("on_invalid", "quarantine"))
    for key, value in store.items():
        text += f"  {key}: {value}\n"
    return parse_config(text, Path("mlmon.yaml"))


def _raw(**overrides: list[object]) -> pl.DataFrame:
    n = len(next(iter(overrides.values()))) if overrides else 2
    base: dict[str, list[object]] = {
        "id": [f"r{i}" for i in range(n)],
        "ts": ["2026-10-01T00:00:00Z"] * n,
        "version": ["v1"] * n,
        "pred": ["1"] * n,
        "score": ["0.9"] * n,
        "x": ["1.0"] * n,
        "y": ["2.0"] * n,
        "c": ["a"] * n,
        "latency_ms": ["10"] * n,
        "error": [None] * n,
    }
    base.update(overrides)
    frame = pl.DataFrame(base, schema={k: pl.String for k in base})
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def _reasons(result_bad: pl.DataFrame) -> dict[int, str]:
    return dict(result_bad.select(ROW, REASON).iter_rows())


def test_timestamps_naive_are_utc_and_zoned_are_converted() -> None:
    s = pl.Series(
        [
            "2026-10-01T12:00:00",
            "2026-10-01T14:00:00+02:00",
            "2026-10-01 12:00:00Z",
            "2026-10-01T12:00:00.250Z",
            "2026-10-01",
            "01/10/2026",
            None,
        ]
    )
    parsed = pl.select(parse_timestamps(pl.lit(s))).to_series().to_list()
    noon = dt.datetime(2026, 10, 1, 12, tzinfo=UTC)
    assert parsed[:3] == [noon, noon, noon]
    assert parsed[3] == noon + dt.timedelta(milliseconds=250)
    assert parsed[4] == dt.datetime(2026, 10, 1, tzinfo=UTC)
    assert parsed[5:] == [None, None]


def test_good_rows_are_typed_as_stored() -> None:
    config = _config()
    result = validate_batch(_raw(), prediction_columns(config), config, "f.csv")
    assert result.bad.height == 0
    assert result.good.schema["ts"] == pl.Datetime("us", "UTC")
    assert result.good.schema["pred"] == pl.Int64
    assert result.good.schema["score"] == pl.Float64
    assert result.good["pred"].to_list() == [1, 1]


def test_each_row_problem_gets_its_own_reason() -> None:
    config = _config()
    raw = _raw(
        id=["a", "b", "c", "d", None, "f"],
        ts=[
            "2026-10-01T00:00:00Z",
            "not-a-time",
            "2026-10-01",
            "2026-10-01",
            "2026-10-01",
            "2026-10-01",
        ],
        score=["0.5", "0.5", "1.7", "-0.2", "0.5", "0.5"],
        pred=["1", "1", "1", "0", "1", "2"],
    )
    result = validate_batch(raw, prediction_columns(config), config, "f.csv")
    assert result.good["id"].to_list() == ["a"]
    assert _reasons(result.bad) == {
        2: "ts: cannot read 'not-a-time' as an ISO-8601 timestamp",
        3: "score: 1.7 is outside [0, 1]",
        4: "score: -0.2 is outside [0, 1]",
        5: "id is missing",
        6: "pred: 2 is not one of the classes [0, 1]",
    }
    # the bad rows keep their original text, for the quarantine file
    assert result.bad.filter(pl.col(ROW) == 2)["ts"].item() == "not-a-time"


def test_several_problems_on_one_row_are_joined() -> None:
    config = _config()
    raw = _raw(x=["abc"], latency_ms=["-3"])
    reason = _reasons(validate_batch(raw, prediction_columns(config), config, "f").bad)[1]
    assert reason == "x: cannot read 'abc' as a number; latency_ms: -3.0 is negative"


def test_a_column_that_cannot_be_read_at_all_is_a_file_error() -> None:
    config = _config()
    raw = _raw(x=["abc", "def", None])
    with pytest.raises(DataError) as info:
        validate_batch(raw, prediction_columns(config), config, "f.csv")
    assert info.value.message == (
        "f.csv: column 'x' (numerical feature): none of its 2 values can be read as Float64 "
        "(first value: 'abc')"
    )


def test_identical_repeats_are_skipped_and_conflicting_duplicates_quarantined() -> None:
    config = _config()
    raw = _raw(id=["a", "a", "a", "b"], score=["0.9", "0.9", "0.3", "0.9"])
    result = validate_batch(raw, prediction_columns(config), config, "f")
    assert result.good["id"].to_list() == ["a", "b"]
    assert result.duplicates == 1
    assert _reasons(result.bad) == {3: "id: duplicate id 'a' conflicts with row 1"}


def test_nonfinite_features_are_counted_and_kept_by_default() -> None:
    config = _config()
    raw = _raw(x=["nan", "inf", "1"])
    result = validate_batch(raw, prediction_columns(config), config, "f")
    assert result.good.height == 3
    assert result.nonfinite == {"x": 2}


def test_nonfinite_features_can_be_quarantined() -> None:
    config = _config(nonfinite_features="quarantine")
    raw = _raw(x=["nan", "-inf", "1"])
    result = validate_batch(raw, prediction_columns(config), config, "f")
    assert result.good.height == 1
    assert _reasons(result.bad) == {1: "x: NaN is not finite", 2: "x: -inf is not finite"}


def test_failed_requests_may_lack_score_and_prediction() -> None:
    config = _config()
    raw = _raw(score=[None], pred=[None], error=["timeout"])
    result = validate_batch(raw, prediction_columns(config), config, "f")
    assert result.good.height == 1 and result.bad.height == 0


def test_typed_parquet_columns_are_coerced_too() -> None:
    config = _config()
    raw = pl.DataFrame(
        {
            ROW: [1, 2],
            "id": [7, 8],
            "ts": [dt.datetime(2026, 10, 1, 12), dt.datetime(2026, 10, 1, 13)],
            "version": ["v", "v"],
            "pred": [1.0, 0.5],
            "score": [0.5, 0.5],
            "x": [1, 2],
            "y": [1.0, 2.0],
            "c": ["a", "b"],
            "latency_ms": [1.0, 2.0],
            "error": [None, None],
        }
    )
    result = validate_batch(raw, prediction_columns(config), config, "f.parquet")
    assert result.good["id"].to_list() == ["7"]
    assert result.good["ts"][0] == dt.datetime(2026, 10, 1, 12, tzinfo=UTC)
    assert _reasons(result.bad) == {2: "pred: cannot read '0.5' as a whole number"}


def test_class_probabilities_must_sum_to_one_within_tolerance() -> None:
    config = parse_config(
        MULTICLASS_CONFIG.replace(
            "store: {path: store}", "store: {path: s, probability_tolerance: 0.01}"
        ),
        Path("m.yaml"),
    )
    raw = (
        pl.DataFrame(
            {
                "id": ["a", "b", "c", "d"],
                "ts": ["2026-10-01"] * 4,
                "pred": ["cat", "dog", "cow", "cat"],
                "p_cat": ["0.5", "0.6", "0.2", "0.3"],
                "p_dog": ["0.3", "0.3", "0.3", None],
                "p_bird": ["0.2", "0.3", "0.5", "0.7"],
                "x": ["1"] * 4,
            }
        )
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    result = validate_batch(raw, prediction_columns(config), config, "f")
    assert result.good["id"].to_list() == ["a"]
    assert _reasons(result.bad) == {
        2: "class probabilities sum to 1.2, not 1",
        3: "pred: cow is not one of the classes ['cat', 'dog', 'bird']",
        4: "class probabilities are partly missing",
    }


def test_labels_outside_the_classes_are_rejected() -> None:
    config = _config()
    raw = pl.DataFrame(
        {"id": ["a", "b"], "label": ["1", "7"], "label_ts": [None, None]},
        schema={"id": pl.String, "label": pl.String, "label_ts": pl.String},
    )
    raw = raw.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    result = validate_batch(raw, label_columns(config), config, "labels.csv")
    assert result.good["id"].to_list() == ["a"]
    assert _reasons(result.bad) == {2: "label: 7 is not one of the classes [0, 1]"}


NOW = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_times_outside_1970_to_max_future_after_ingest_are_bad_rows() -> None:
    config = _config(max_future="12h")
    raw = _raw(
        ts=[
            "2026-12-01T23:59:59Z",
            "2026-12-02T00:00:01Z",
            "9999-12-31",
            "1970-01-01",
            "1969-12-31T23:59:59Z",
            "0000-01-01",
        ]
    )
    result = validate_batch(raw, prediction_columns(config), config, "f", NOW)
    late = "is more than 12h after the ingest time (2026-12-01 12:00:00; store.max_future)"
    assert _reasons(result.bad) == {
        2: f"ts: 2026-12-02 00:00:01 {late}",
        3: f"ts: 9999-12-31 00:00:00 {late}",
        5: "ts: 1969-12-31 23:59:59 is before 1970-01-01",
        6: "ts: 0000-01-01 00:00:00 is before 1970-01-01",
    }


def test_blank_ids_rows_without_output_and_nul_values_are_bad_rows() -> None:
    config = _config()
    raw = _raw(
        id=["r0", " \t", "r2", "r3", "r4"],
        pred=["1", "1", None, None, "1"],
        score=["0.9", "0.9", None, None, "0.9"],
        error=[None, None, "  ", "timeout", None],
        c=["a", "a", "a", "a", "a\x00b"],
    )
    result = validate_batch(raw, prediction_columns(config), config, "f", NOW)
    assert _reasons(result.bad) == {
        2: "id is blank",
        3: "no prediction, score or error: a row must carry an output or its error",
        5: "c: contains a NUL byte",
    }
    # the caller may vouch that the bytes held no NUL: then no value is searched
    clean = validate_batch(raw.head(1), prediction_columns(config), config, "f", NOW, nul_free=True)
    assert clean.bad.height == 0


def test_a_missing_label_is_a_bad_row_not_a_null_label() -> None:
    config = _config()
    raw = pl.DataFrame(
        {"id": ["a", "b"], "label": ["1", None], "label_ts": [None, None]},
        schema={"id": pl.String, "label": pl.String, "label_ts": pl.String},
    )
    raw = raw.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    result = validate_batch(raw, label_columns(config), config, "labels.csv", NOW)
    assert result.good["id"].to_list() == ["a"]
    assert _reasons(result.bad) == {2: "label is missing"}
