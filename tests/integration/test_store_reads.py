"""Reads of the store: labels carry the address of their prediction and reads place them by
it (labels that arrived before their prediction, or were stored without an address, are
joined on the id); the missing-feature flag stored at ingest is used only while it still
describes the configured features."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from mlmon.config import load_config
from mlmon.store.address import DAY, FILE, ROW
from mlmon.store.columns import MISSING, MISSING_OF, missing_features
from mlmon.store.ingest import ingest
from mlmon.store.scan import missing_feature_flag, read_window
from tests.conftest import GOOD_ROWS, Project

UTC = dt.UTC
LABEL_HEADER = "id,label,label_ts"


def _labels(project: Project, name: str, rows: list[str]) -> str:
    return str(project.csv(name, rows, header=LABEL_HEADER))


def test_each_stored_label_points_at_the_row_of_its_prediction(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    ingest(
        project.config(), [_labels(project, "l.csv", ["r4,1,", "r1,0,", "ghost,1,"])], labels=True
    )
    stored = project.stored("labels").sort("id")
    assert stored["id"].to_list() == ["ghost", "r1", "r4"]
    assert stored[FILE][0] is None and stored[ROW][0] is None and stored[DAY][0] is None
    for row in stored.filter(pl.col(FILE).is_not_null()).iter_rows(named=True):
        prediction = pl.read_parquet(project.store / row[FILE])[row[ROW]]
        assert prediction["id"].item() == row["id"]
        assert row[DAY] == prediction["ts"].item().date()


def test_a_label_stored_before_its_prediction_is_joined_on_read(project: Project) -> None:
    ingest(project.config(), [_labels(project, "early.csv", ["r2,1,", "r3,0,"])], labels=True)
    assert project.stored("labels")[FILE].null_count() == 2
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    ingest(project.config(), [_labels(project, "late.csv", ["r1,1,", "r5,0,"])], labels=True)
    frame = read_window(project.config(), select=["id"]).sort("id")
    assert frame["label"].to_list() == [1, 1, 0, None, 0]


def test_window_edges_keep_only_the_labels_of_rows_inside(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    rows = ["r1,1,", "r2,0,", "r3,1,", "r4,0,", "r5,1,"]
    ingest(project.config(), [_labels(project, "l.csv", rows)], labels=True)
    # 2026-10-01T11:00 cuts the first day's partition between r1 (10:00) and r2 (11:30)
    since = dt.datetime(2026, 10, 1, 11, tzinfo=UTC)
    until = dt.datetime(2026, 10, 2, 13, tzinfo=UTC)  # r4 at 12:00 in, r5 on 10-03 out
    frame = read_window(project.config(), since, until, select=["id", "score"])
    assert frame.columns == ["id", "score", "label", "label_ts"]
    assert dict(zip(frame["id"], frame["label"], strict=True)) == {"r2": 0, "r3": 1, "r4": 0}


def test_placed_labels_equal_a_join_on_the_id_across_many_files(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(batch_rows=7)  # several files per partition
    rows = [
        f"q{i:03d},2026-10-0{1 + i % 3}T{i % 24:02d}:00:00Z,v1,{i % 2},0.{i % 10},1,1,a,1,"
        for i in range(90)
    ]
    ingest(project.config(), [str(project.csv("a.csv", rows))])
    labels = [f"q{i:03d},{(i * 7) % 2},2026-10-09T00:00:00Z" for i in range(0, 90, 3)]
    ingest(project.config(), [_labels(project, "l.csv", labels)], labels=True)
    got = read_window(project.config(), select=["id"])
    expected = (
        project.stored()
        .select("id")
        .join(project.stored("labels").select("id", "label", "label_ts"), on="id", how="left")
    )
    assert got.sort("id").equals(expected.sort("id"))
    assert got["label"].null_count() == 60


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_addresses_do_not_depend_on_the_lookup_chunk(
    make_project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("mlmon.store.labelling"), "ADDRESS_CHUNK", chunk)
    project = make_project(batch_rows=2)
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    rows = ["r1,1,", "ghost1,0,", "r3,1,", "ghost2,1,", "r5,0,"]
    result = ingest(project.config(), [_labels(project, "l.csv", rows)], labels=True)
    assert result.unmatched_labels == 2
    frame = read_window(project.config(), select=["id"]).sort("id")
    assert frame["label"].to_list() == [1, None, 1, None, 0]


def test_the_missing_feature_flag_is_stored_with_each_prediction(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    stored = project.stored().sort("id")
    assert stored[MISSING].to_list() == [False, False, False, True, False]  # r4: x is nan
    assert (
        stored.select(missing_features(project.config()))[:, 0].to_list()
        == stored[MISSING].to_list()
    )
    expression = missing_feature_flag(project.config())
    assert expression.meta.output_name() == MISSING  # read, not recomputed
    files = sorted((project.store / "predictions").glob("*/*.parquet"))
    assert pl.read_parquet_metadata(files[0])[MISSING_OF] == (
        '{"numerical": ["x", "y"], "categorical": ["c"]}'
    )


def test_after_the_features_change_the_flag_is_computed_from_the_new_ones(
    project: Project,
) -> None:
    rows = [*GOOD_ROWS[:3], "r4,2026-10-02 12:00:00,v1,0,0.4,1,,c,15.0,"]  # y missing
    ingest(project.config(), [str(project.csv("a.csv", rows))])

    def flags() -> list[bool]:
        config = load_config(project.config_path)
        frame = read_window(config, select=["id", missing_feature_flag(config).alias("m")])
        return frame.sort("id")["m"].to_list()

    assert flags() == [False, False, False, True]
    text = project.config_path.read_text().replace("numerical: [x, y]", "numerical: [x]")
    project.config_path.write_text(text)
    assert flags() == [False, False, False, False]
