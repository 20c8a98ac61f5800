"""The ingest operation against real temporary stores: formats, dedup, labels, reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import polars as pl
import pytest

from mlmon.errors import DataError
from mlmon.store.ingest import ingest
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import latest_timestamp, read_window, scan_predictions
from tests.conftest import GOOD_ROWS, HEADER, Project

UTC = dt.UTC


def test_csv_rows_land_in_daily_partitions_typed(project: Project) -> None:
    result = ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    assert (result.rows_read, result.rows_written, result.rows_rejected) == (5, 5, 0)
    assert result.partitions == ("2026-10-01", "2026-10-02", "2026-10-03")
    days = sorted(p.name for p in (project.store / "predictions").iterdir())
    assert days == ["date=2026-10-01", "date=2026-10-02", "date=2026-10-03"]
    stored = project.stored().sort("id")
    assert stored["ts"].to_list()[2] == dt.datetime(2026, 10, 2, 7, tzinfo=UTC)  # +02:00 → UTC
    assert stored.schema["score"] == pl.Float64
    assert stored.filter(pl.col("id") == "r5")["error"].item() == "timeout"


def test_csv_jsonl_and_parquet_inputs_store_identical_rows(
    make_project: Callable[..., Project],
) -> None:
    project = make_project()
    csv = project.csv("a.csv", GOOD_ROWS)
    frame = pl.read_csv(csv, infer_schema=False)
    stored = {}
    for fmt in ("csv", "jsonl", "parquet"):
        path = project.root / f"a.{fmt}"
        if fmt == "jsonl":
            frame.write_ndjson(path)
        elif fmt == "parquet":
            frame.write_parquet(path)
        else:
            path = csv
        sub = Project(project.root / fmt)
        sub.root.mkdir()
        sub.config_path.write_text(project.config_path.read_text())
        ingest(sub.config(), [str(path)])
        stored[fmt] = sub.stored().sort("id")
    assert stored["csv"].equals(stored["jsonl"])
    assert stored["csv"].equals(stored["parquet"])


def test_reingesting_the_same_file_is_a_no_op(project: Project) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    ingest(project.config(), [path])
    before = project.snapshot()
    again = ingest(project.config(), [path])
    assert again.rows_written == 0 and again.rows_read == 0
    assert again.files[0].already_ingested_at is not None
    after = project.snapshot()
    assert after == before


def test_rows_already_stored_are_skipped_even_from_another_file(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS[:3]))])
    result = ingest(project.config(), [str(project.csv("b.csv", GOOD_ROWS))])
    assert (result.rows_written, result.duplicates_skipped) == (2, 3)
    assert project.stored()["id"].sort().to_list() == ["r1", "r2", "r3", "r4", "r5"]


def test_duplicates_across_files_of_one_run_land_once(project: Project) -> None:
    a = project.csv("a.csv", GOOD_ROWS)
    b = project.csv("b.csv", GOOD_ROWS[1:])
    result = ingest(project.config(), [str(a), str(b)])
    assert (result.rows_written, result.duplicates_skipped) == (5, 4)
    assert project.stored().height == 5


def test_duplicates_across_batches_of_one_file_land_once(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(batch_rows=2)
    rows = GOOD_ROWS + GOOD_ROWS[:2]
    result = ingest(project.config(), [str(project.csv("a.csv", rows))])
    assert (result.rows_written, result.duplicates_skipped) == (5, 2)


def test_quarantine_file_holds_bad_rows_with_source_row_and_reason(project: Project) -> None:
    bad = "r9,yesterday,v1,1,0.5,1,1,a,1,"
    result = ingest(project.config(), [str(project.csv("a.csv", [*GOOD_ROWS, bad]))])
    assert (result.rows_written, result.rows_rejected) == (5, 1)
    assert result.status == "finding"
    assert result.quarantine_path is not None
    q = pl.read_parquet(result.quarantine_path)
    assert q.select("_source", "_row", "_reason", "id", "ts").row(0) == (
        str(project.root / "a.csv"),
        6,
        "ts: cannot read 'yesterday' as an ISO-8601 timestamp",
        "r9",
        "yesterday",
    )


def test_reject_mode_refuses_the_file_and_changes_nothing(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(on_invalid="reject")
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS[:2]))])
    before = project.snapshot()
    bad = "r9,2026-10-05,v1,1,1.5,1,1,a,1,"
    with pytest.raises(DataError, match=r"1 invalid row\(s\).*store.on_invalid is 'reject'"):
        ingest(project.config(), [str(project.csv("b.csv", [*GOOD_ROWS[2:], bad]))])
    assert project.snapshot() == before


def test_dry_run_reports_and_writes_nothing(project: Project) -> None:
    result = ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))], dry_run=True)
    assert result.rows_written == 5 and result.dry_run
    assert not project.store.exists()


def test_labels_join_on_read_and_unmatched_labels_are_kept_and_reported(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    labels = project.csv(
        "labels.csv",
        ["r1,1,2026-10-08T00:00:00Z", "r2,0,", "ghost,1,2026-10-09T00:00:00Z"],
        header="id,label,label_ts",
    )
    result = ingest(project.config(), [str(labels)], labels=True)
    assert (result.rows_written, result.unmatched_labels) == (3, 1)
    stored_labels = project.stored("labels")
    assert "ghost" in stored_labels["id"].to_list()
    joined = read_window(project.config(), select=["id", "score"]).sort("id")
    assert joined["label"].to_list() == [1, 0, None, None, None]
    # a label without a timestamp is stamped with the ingest time
    assert joined.filter(pl.col("id") == "r2")["label_ts"].item().date() >= dt.date(2026, 11, 1)


def test_window_reads_prune_partitions_and_select_columns(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    since = dt.datetime(2026, 10, 2, tzinfo=UTC)
    until = dt.datetime(2026, 10, 3, tzinfo=UTC)
    layout = StoreLayout(project.store)
    assert [p.parent.name for p in layout.files("predictions", since.date(), until.date())] == [
        "date=2026-10-02",
        "date=2026-10-03",
    ]
    frame = scan_predictions(project.config(), since, until, ["id", "x"]).collect()
    assert frame.columns == ["id", "x"]
    assert sorted(frame["id"].to_list()) == ["r3", "r4"]
    assert latest_timestamp(project.config()) == dt.datetime(2026, 10, 3, tzinfo=UTC)


def test_reads_of_an_empty_store_give_an_empty_typed_frame(project: Project) -> None:
    frame = read_window(project.config())
    assert frame.height == 0
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")
    assert latest_timestamp(project.config()) is None


def test_missing_optional_columns_are_stored_as_null_and_reported(project: Project) -> None:
    header = "id,ts,pred,score,x,y,c"
    rows = ["q1,2026-10-01T00:00:00Z,1,0.9,1,1,a"]
    result = ingest(project.config(), [str(project.csv("a.csv", rows, header=header))])
    assert result.files[0].missing_optional_columns == ("version", "latency_ms", "error")
    assert project.stored()["latency_ms"].to_list() == [None]


def test_manifest_records_each_committed_file(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    lines = (project.store / "_ingested.jsonl").read_text().splitlines()
    entry = json.loads(lines[0])
    assert entry["table"] == "predictions" and entry["rows_written"] == 5
    assert len(entry["sha256"]) == 64


def test_failed_run_leaves_no_staging_files(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS[:1]))])
    broken = project.csv(
        "b.csv", ["r7,2026-10-01,v1,1,0.5,abc,1,a,1,", "r8,2026-10-01,v1,1,0.5,def,1,a,1,"]
    )
    with pytest.raises(DataError):
        ingest(project.config(), [str(broken)])
    assert list((project.store / "_staging").iterdir()) == []


def test_header_only_file_is_an_error(project: Project) -> None:
    with pytest.raises(DataError, match="has a header but no rows"):
        ingest(project.config(), [str(project.csv("a.csv", [], header=HEADER))])


def test_quoted_fields_with_commas_and_newlines_survive_small_batches(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(batch_rows=1)
    rows = [
        f'q{i},2026-10-01T00:00:0{i}Z,v1,1,0.5,1,1,"city, ""north""\nside {i}",1,' for i in range(5)
    ]
    result = ingest(project.config(), [str(project.csv("q.csv", rows))])
    assert result.rows_written == 5
    stored = project.stored().sort("id")
    assert stored["c"].to_list() == [f'city, "north"\nside {i}' for i in range(5)]


REGRESSION = """\
model: {name: prices, task: regression}
schema:
  id: id
  timestamp: ts
  prediction: yhat
  label: y
  features: {numerical: [size], categorical: [town]}
store: {path: store}
"""


def test_regression_logs_and_labels(make_project: Callable[..., Project]) -> None:
    project = make_project(text=REGRESSION)
    preds = project.csv(
        "p.csv", ["a,2026-10-01,10.5,3,x", "b,2026-10-01,-2,4,y"], header="id,ts,yhat,size,town"
    )
    labels = project.csv("l.csv", ["a,11.25", "b,oops"], header="id,y")
    assert ingest(project.config(), [str(preds)]).rows_written == 2
    result = ingest(project.config(), [str(labels)], labels=True)
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert result.reject_examples == (f"{labels} row 2: y: cannot read 'oops' as a number",)
    joined = read_window(project.config(), select=["id", "yhat"]).sort("id")
    assert joined["y"].to_list() == [11.25, None]


def test_unmatched_labels_are_counted_across_lookup_chunks(
    make_project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("mlmon.store.labelling"), "ADDRESS_CHUNK", 2)
    project = make_project(batch_rows=2)  # one staged label file per 2 rows
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    rows = ["r1,1,", "ghost1,0,", "r3,1,", "ghost2,1,", "r5,0,", "ghost3,1,", "r2,0,"]
    result = ingest(
        project.config(), [str(project.csv("l.csv", rows, header="id,label,label_ts"))], labels=True
    )
    assert (result.rows_written, result.unmatched_labels) == (7, 3)


def _labels(project: Project, name: str, rows: list[str]) -> str:
    return str(project.csv(name, rows, header="id,label,label_ts"))


def test_a_resent_prediction_with_other_values_is_quarantined_with_what_changed(
    project: Project,
) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    changed = [GOOD_ROWS[0].replace(",0.9,", ",0.3,"), GOOD_ROWS[1]]
    result = ingest(project.config(), [str(project.csv("b.csv", changed))])
    assert (result.rows_written, result.duplicates_skipped, result.rows_rejected) == (0, 1, 1)
    assert result.status == "finding"
    assert result.reject_examples == (
        f"{project.root / 'b.csv'} row 1: id: id 'r1' is already stored with other values "
        "(score); a re-sent prediction must equal the stored one",
    )
    assert result.quarantine_path is not None
    quarantined = pl.read_parquet(result.quarantine_path)
    assert quarantined["score"].to_list() == ["0.3"]
    assert project.stored().filter(pl.col("id") == "r1")["score"].item() == 0.9


def test_a_corrected_label_replaces_the_stored_one_and_is_audited(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    first = ["r1,1,2026-10-08T00:00:00Z", "r2,0,2026-10-08T00:00:00Z", "r3,0,"]
    ingest(project.config(), [_labels(project, "l1.csv", first)], labels=True)
    # a chargeback weeks later: r2 turns out positive; r1 is re-sent unchanged
    later = ["r1,1,2026-10-08T00:00:00Z", "r2,1,2026-10-29T00:00:00Z"]
    result = ingest(project.config(), [_labels(project, "l2.csv", later)], labels=True)
    assert (result.rows_written, result.duplicates_skipped, result.labels_updated) == (1, 1, 1)
    assert result.status == "ok" and result.rows_rejected == 0
    assert result.label_updates_path is not None
    audit = pl.read_parquet(result.label_updates_path)
    assert audit.select("id", "old_label", "new_label").rows() == [("r2", 0, 1)]
    assert audit["old_label_timestamp"].item() == dt.datetime(2026, 10, 8, tzinfo=UTC)
    assert audit["_source"].item().endswith("l2.csv")
    joined = read_window(project.config(), select=["id"]).sort("id")
    assert joined["label"].to_list()[:3] == [1, 1, 0]
    assert joined["label_ts"].to_list()[1] == dt.datetime(2026, 10, 29, tzinfo=UTC)
    # correcting it back is another update, and the latest label wins again
    back = ingest(
        project.config(), [_labels(project, "l3.csv", ["r2,0,2026-10-30T00:00:00Z"])], labels=True
    )
    assert back.labels_updated == 1
    assert read_window(project.config(), select=["id"]).sort("id")["label"][1] == 0
    # identical repeats (in a file with other content) stay no-ops
    repeats = ["r1,1,2026-10-08T00:00:00Z", "r2,0,2026-10-30T00:00:00Z"]
    same = ingest(project.config(), [_labels(project, "l4.csv", repeats)], labels=True)
    assert (same.rows_written, same.duplicates_skipped, same.labels_updated) == (0, 2, 0)


def test_a_label_corrected_twice_in_one_run_keeps_the_later_file(project: Project) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    ingest(project.config(), [_labels(project, "l1.csv", ["r1,0,"])], labels=True)
    result = ingest(
        project.config(),
        [
            _labels(project, "l2.csv", ["r1,1,"]),
            _labels(project, "l3.csv", ["r1,0,2026-11-01T00:00:00Z"]),
        ],
        labels=True,
    )
    assert result.labels_updated == 2
    assert read_window(project.config(), select=["id"]).sort("id")["label"][0] == 0


def test_a_correction_of_a_label_that_arrived_before_its_prediction(project: Project) -> None:
    ingest(project.config(), [_labels(project, "l1.csv", ["r1,0,"])], labels=True)
    ingest(project.config(), [_labels(project, "l2.csv", ["r1,1,"])], labels=True)
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    assert read_window(project.config(), select=["id"]).sort("id")["label"][0] == 1


@pytest.mark.parametrize(
    ("policy", "written", "ignored", "rejected", "label"),
    [("keep_first", 0, 1, 0, 0), ("quarantine", 0, 0, 1, 0)],
)
def test_label_updates_keep_first_or_quarantine_leave_the_stored_label(
    make_project: Callable[..., Project],
    policy: str,
    written: int,
    ignored: int,
    rejected: int,
    label: int,
) -> None:
    project = make_project()
    project.config_path.write_text(
        project.config_path.read_text().replace(
            "  lock_timeout: 30s", f"  lock_timeout: 30s\n  label_updates: {policy}"
        )
    )
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    ingest(project.config(), [_labels(project, "l1.csv", ["r1,0,"])], labels=True)
    result = ingest(project.config(), [_labels(project, "l2.csv", ["r1,1,"])], labels=True)
    assert (result.rows_written, result.labels_ignored, result.rows_rejected) == (
        written,
        ignored,
        rejected,
    )
    assert result.labels_updated == 0 and result.label_updates_path is None
    if rejected:
        assert result.reject_examples[0].endswith(
            "label: the label of id 'r1' differs from the stored label 0 "
            "(store.label_updates is 'quarantine')"
        )
    assert read_window(project.config(), select=["id"]).sort("id")["label"][0] == label


def test_a_label_file_without_label_times_reports_the_ingest_time_not_null(
    project: Project,
) -> None:
    ingest(project.config(), [str(project.csv("a.csv", GOOD_ROWS))])
    labels = project.csv("l.csv", ["r1,1"], header="id,label")
    result = ingest(project.config(), [str(labels)], labels=True)
    report = result.files[0]
    assert report.missing_optional_columns == ()
    assert report.label_time_from == "ingest_time"
    stamped = read_window(project.config(), select=["id"]).sort("id")["label_ts"][0]
    assert stamped is not None and stamped.date() >= dt.date(2026, 11, 1)
    cli = project.cli("ingest", "--labels", str(project.csv("m.csv", ["r2,0"], header="id,label")))
    assert "optional columns absent" not in cli.stderr
    assert "no label time column: each label's time is the ingest time" in cli.stderr
