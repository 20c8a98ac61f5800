"""``mlmon ingest`` from the command line: exit codes, exact messages, state on disk."""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl
import pytest

from mlmon.store.ingest import ingest
from tests.conftest import GOOD_ROWS, MULTICLASS_CONFIG, Project


@pytest.fixture
def seeded(project: Project) -> Project:
    """A project whose store already holds rows (so 'unchanged' means something)."""
    assert project.cli("ingest", str(project.csv("seed.csv", GOOD_ROWS[:2]))).code == 0
    return project


def _file_error(project: Project, path: str, message: str, hint: str) -> None:
    before = project.snapshot()
    result = project.cli("ingest", path)
    assert result.code == 4, result.stderr
    assert result.stderr == f"error: {message}\nhint: {hint}\n"
    assert result.stdout == ""
    assert project.snapshot() == before


def test_missing_file_is_exit_4_and_store_unchanged(seeded: Project) -> None:
    path = str(seeded.root / "nope.csv")
    _file_error(seeded, path, f"{path}: no such file", "check the path; use - to read stdin")


def test_empty_file_is_exit_4(seeded: Project) -> None:
    path = seeded.root / "empty.csv"
    path.write_bytes(b"")
    _file_error(
        seeded, str(path), f"{path}: the file is empty", "nothing to ingest; check the producer"
    )


def test_unknown_extension_is_exit_4(seeded: Project) -> None:
    path = seeded.root / "log.xlsx"
    path.write_text("x")
    _file_error(
        seeded,
        str(path),
        f"{path}: unknown file type '.xlsx'",
        "name the file .csv, .jsonl/.ndjson or .parquet, or pass --format csv|jsonl|parquet",
    )


def test_a_csv_that_is_not_csv_is_exit_4(seeded: Project) -> None:
    path = seeded.root / "binary.csv"
    path.write_bytes(bytes(range(256)) * 4)
    _file_error(
        seeded,
        str(path),
        f"{path}: holds binary data, not csv text",
        "pass the right file, or --format parquet if it is Parquet",
    )


def test_corrupt_parquet_is_exit_4(seeded: Project) -> None:
    path = seeded.root / "corrupt.parquet"
    path.write_bytes(b"PAR1" + b"\x00garbage" * 50 + b"PAR1")
    before = seeded.snapshot()
    result = seeded.cli("ingest", str(path))
    assert result.code == 4
    assert result.stderr.startswith(f"error: {path}: cannot read as parquet: ")
    assert "hint: the file may be truncated or corrupt" in result.stderr
    assert seeded.snapshot() == before


def test_truncated_parquet_is_exit_4(seeded: Project) -> None:
    good = seeded.root / "good.parquet"
    pl.read_csv(seeded.csv("x.csv", GOOD_ROWS[2:]), infer_schema=False).write_parquet(good)
    data = good.read_bytes()
    path = seeded.root / "truncated.parquet"
    path.write_bytes(data[: len(data) // 2])
    before = seeded.snapshot()
    result = seeded.cli("ingest", str(path))
    assert result.code == 4
    assert result.stderr.startswith(f"error: {path}: cannot read as parquet: ")
    assert seeded.snapshot() == before


def test_missing_required_column_is_exit_4(seeded: Project) -> None:
    path = seeded.csv(
        "nocol.csv", ["r9,2026-10-01,v1,1,0.5,1,a"], header="id,ts,version,pred,score,x,c"
    )
    _file_error(
        seeded,
        str(path),
        f"{path}: missing required column(s) 'y' (numerical feature); the file has: "
        "id, ts, version, pred, score, x, c",
        "map the prediction log's columns in the config's `schema` section",
    )


def test_uncoercible_column_is_exit_4(seeded: Project) -> None:
    rows = [
        r.replace(",1.5,", ",abc,")
        .replace(",0.5,", ",abc,")
        .replace(",2.5,", ",abc,")
        .replace(",nan,", ",abc,")
        .replace(",1.0,1.0,", ",abc,1.0,")
        for r in GOOD_ROWS[2:]
    ]
    path = seeded.csv("types.csv", rows)
    _file_error(
        seeded,
        str(path),
        f"{path}: column 'x' (numerical feature): none of its 3 values can be read as "
        "Float64 (first value: 'abc')",
        "check that the file's columns match `schema` in the config",
    )


def test_error_in_second_file_leaves_first_file_unwritten_too(seeded: Project) -> None:
    good = seeded.csv("more.csv", GOOD_ROWS[2:])
    before = seeded.snapshot()
    result = seeded.cli("ingest", str(good), str(seeded.root / "missing.csv"))
    assert result.code == 4
    assert seeded.snapshot() == before


def test_row_problems_are_quarantined_exit_1(seeded: Project) -> None:
    rows = [
        *GOOD_ROWS[2:],
        "r8,31/10/2026 25:00,v1,1,0.5,1,1,a,1,",
        "r9,2026-10-02,v1,1,1.7,1,1,a,1,",
        "r3,2026-10-02T09:00:00+02:00,v1,0,0.1,2.5,0.1,a,30.0,",
    ]
    result = seeded.cli("ingest", str(seeded.csv("mixed.csv", rows)))
    assert result.code == 1, result.stderr
    assert "wrote 3 of 6 rows; 0 duplicates skipped; 3 rejected" in result.stdout
    assert "3 invalid rows quarantined to " in result.stderr
    assert (
        "mixed.csv row 4: ts: cannot read '31/10/2026 25:00' as an ISO-8601 timestamp"
        in result.stderr
    )
    assert "mixed.csv row 5: score: 1.7 is outside [0, 1]" in result.stderr
    assert "mixed.csv row 6: id: duplicate id 'r3' conflicts with row 1" in result.stderr
    assert sorted(seeded.stored()["id"].to_list()) == ["r1", "r2", "r3", "r4", "r5"]


def test_exit_zero_turns_quarantine_finding_into_0(project: Project) -> None:
    rows = [*GOOD_ROWS, "r9,2026-10-02,v1,1,1.7,1,1,a,1,"]
    result = project.cli("ingest", str(project.csv("m.csv", rows)), "--exit-zero")
    assert result.code == 0


def test_reject_mode_exit_4_and_store_unchanged(make_project: Callable[..., Project]) -> None:
    project = make_project(on_invalid="reject")
    project.cli("ingest", str(project.csv("seed.csv", GOOD_ROWS[:2])))
    before = project.snapshot()
    rows = [*GOOD_ROWS[2:], "r9,2026-10-02,v1,1,1.7,1,1,a,1,"]
    result = project.cli("ingest", str(project.csv("m.csv", rows)))
    assert result.code == 4
    assert "error: " in result.stderr and "store.on_invalid is 'reject'" in result.stderr
    assert "m.csv row 4: score: 1.7 is outside [0, 1]" in result.stderr
    assert project.snapshot() == before


def test_reingest_is_a_no_op_that_exits_0_and_says_so(project: Project) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    assert project.cli("ingest", path).code == 0
    before = project.snapshot()
    result = project.cli("ingest", path)
    assert result.code == 0
    assert "nothing to do: every file was ingested before (same content)" in result.stderr
    assert project.snapshot() == before


def test_json_output_is_the_envelope_around_the_library_result(
    make_project: Callable[..., Project], tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = make_project()
    rows = [*GOOD_ROWS, "r9,2026-10-02,v1,1,1.7,1,1,a,1,"]
    path = project.csv("m.csv", rows)
    twin = Project(tmp_path_factory.mktemp("twin"))
    twin.config_path.write_text(project.config_path.read_text())
    expected = ingest(twin.config(), [str(path)]).to_dict()

    result = project.cli("--json", "ingest", str(path))
    doc = json.loads(result.stdout)
    assert result.code == 1
    assert doc["schema_version"] == 1 and doc["command"] == "ingest" and doc["status"] == "finding"
    for key in (
        "rows_read",
        "rows_written",
        "duplicates_skipped",
        "rows_rejected",
        "partitions",
        "reject_examples",
    ):
        assert doc["result"][key] == expected[key]
    assert doc["result"]["quarantine_path"].startswith(str(project.store / "quarantine"))
    assert [f["sha256"] for f in doc["result"]["files"]] == [f["sha256"] for f in expected["files"]]


def test_json_error_envelope_for_data_errors(project: Project) -> None:
    path = str(project.root / "nope.csv")
    result = project.cli("ingest", path, "--json")
    assert result.code == 4
    assert json.loads(result.stdout) == {
        "schema_version": 1,
        "command": "ingest",
        "status": "error",
        "error": {
            "type": "data",
            "message": f"{path}: no such file",
            "hint": "check the path; use - to read stdin",
        },
    }


def test_bad_format_flag_is_a_usage_error(project: Project) -> None:
    result = project.cli("ingest", "--format", "xml", str(project.csv("a.csv", GOOD_ROWS)))
    assert result.code == 2
    assert result.stderr.startswith(
        "error: Invalid value for --format: 'xml' is not one of csv, jsonl, parquet"
    )


def test_labels_ingest_reports_unmatched(project: Project) -> None:
    project.cli("ingest", str(project.csv("a.csv", GOOD_ROWS)))
    labels = project.csv(
        "l.csv", ["r1,1,2026-10-05", "zz,0,2026-10-05"], header="id,label,label_ts"
    )
    result = project.cli("ingest", "--labels", str(labels))
    assert result.code == 0
    assert "wrote 2 of 2 rows" in result.stdout
    assert "1 labels have no matching prediction yet; they are kept" in result.stderr


def test_jsonl_file_by_format_flag(project: Project) -> None:
    path = project.root / "log.txt"
    pl.read_csv(project.csv("a.csv", GOOD_ROWS), infer_schema=False).write_ndjson(path)
    result = project.cli("ingest", "--format", "jsonl", str(path))
    assert result.code == 0, result.stderr
    assert project.stored().height == 5


def test_parquet_named_csv_is_exit_4_with_format_hint(seeded: Project) -> None:
    path = seeded.root / "really.csv"
    pl.read_csv(seeded.csv("x.csv", GOOD_ROWS[2:]), infer_schema=False).write_parquet(path)
    _file_error(
        seeded,
        str(path),
        f"{path}: holds Parquet data, not csv text",
        "pass the right file, or --format parquet if it is Parquet",
    )


def test_probabilities_not_summing_to_one_are_quarantined_exit_1(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(text=MULTICLASS_CONFIG)
    rows = ["a,2026-10-01,cat,0.7,0.2,0.1,1", "b,2026-10-01,dog,0.5,0.4,0.4,1"]
    path = project.csv("m.csv", rows, header="id,ts,pred,p_cat,p_dog,p_bird,x")
    result = project.cli("ingest", str(path))
    assert result.code == 1
    assert f"{path} row 2: class probabilities sum to 1.3, not 1" in result.stderr
    assert project.stored()["id"].to_list() == ["a"]


def test_labels_outside_the_classes_are_quarantined_exit_1(project: Project) -> None:
    project.cli("ingest", str(project.csv("a.csv", GOOD_ROWS)))
    labels = project.csv(
        "l.csv", ["r1,1,2026-10-05", "r2,yes,2026-10-05"], header="id,label,label_ts"
    )
    result = project.cli("ingest", "--labels", str(labels))
    assert result.code == 1
    assert f"{labels} row 2: label: cannot read 'yes' as a whole number" in result.stderr
    assert project.stored("labels")["id"].to_list() == ["r1"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("  lock_timeout: 30s", "  lock_timeout: 30s\n  colour: red"),
            "store.colour: unknown key; allowed keys here: batch_rows, label_updates, "
            "lock_timeout, max_future, nonfinite_features, on_invalid, path, probability_tolerance",
        ),
        (
            ("batch_rows: 1000", "batch_rows: many"),
            "store.batch_rows: input should be a valid integer, unable to parse string as an "
            "integer (got 'many')",
        ),
        (
            ("path: store", "path: ${MLMON_TEST_UNSET_VAR}"),
            "store.path: environment variable MLMON_TEST_UNSET_VAR is not set",
        ),
        (
            ("model:\n  name: loans", "modell:\n  name: loans"),
            "modell: unknown key; allowed keys here: alerts, check, drift, metrics, model, "
            "promote, registry, retrain, schema, store",
        ),
    ],
)
def test_config_problems_exit_3_naming_the_key_path(
    project: Project, edit: tuple[str, str], message: str
) -> None:
    text = project.config_path.read_text()
    assert edit[0] in text
    project.config_path.write_text(text.replace(edit[0], edit[1]))
    result = project.cli("ingest", str(project.csv("a.csv", GOOD_ROWS)))
    assert result.code == 3
    first = result.stderr.split("\nhint: ")[0]
    assert first == f"error: {project.config_path}: {message}"
    assert not project.store.exists()
