"""Issue 14: hostile input against the log store and ingest. Each test replays an attack that
once lost data, crashed with exit 70 or exhausted memory, and pins what it gets now."""

from __future__ import annotations

import datetime as dt
import errno
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from mlmon.errors import DataError
from mlmon.store.ingest import ingest
from mlmon.store.report import IngestResult
from mlmon.store.scan import latest_timestamp, read_window
from tests.conftest import GOOD_ROWS, HEADER, Project

UTC = dt.UTC
ingest_module = importlib.import_module("mlmon.store.ingest")  # the name `ingest` is a function


def _labels(project: Project, name: str, rows: list[str]) -> str:
    return str(project.csv(name, rows, header="id,label,label_ts"))


def _examples(project: Project, result: IngestResult) -> list[str]:
    """The result's reject examples with the project directory cut from the file names."""
    return [e.replace(f"{project.root}/", "") for e in result.reject_examples]


def _row(rid: str, ts: str) -> str:
    return f"{rid},{ts},v1,1,0.9,1.5,2.0,a,12.5,"


# --- 3. an empty label must not destroy the real one ------------------------------------------


def test_an_empty_label_is_quarantined_and_the_real_label_later_is_stored(
    project: Project,
) -> None:
    assert project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS))).code == 0
    empty = project.cli("ingest", "--labels", _labels(project, "l1.csv", ["r1,,2026-10-05"]))
    assert empty.code == 1, empty.stderr
    assert "l1.csv row 1: label is missing" in empty.stderr
    assert project.stored("labels").height == 0
    real = project.cli("ingest", "--labels", _labels(project, "l2.csv", ["r1,1,2026-10-06"]))
    assert real.code == 0, real.stderr
    frame = read_window(project.config(), select=["id"])
    assert frame.filter(pl.col("id") == "r1")["label"].item() == 1


def test_a_null_label_left_by_an_older_version_neither_blocks_nor_hides_the_real_label(
    project: Project,
) -> None:
    assert project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS))).code == 0
    assert (
        project.cli("ingest", "--labels", _labels(project, "l1.csv", ["r1,0,2026-10-05"])).code == 0
    )
    # what mlmon before the fix wrote for an empty label: a stored null, later than the label
    stored = project.stored("labels")
    legacy = stored.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("label"),
        (pl.col("_mlmon_ingested_at") + pl.duration(seconds=1)).alias("_mlmon_ingested_at"),
    )
    part = next((project.store / "labels").glob("date=*"))
    legacy.write_parquet(part / "part-legacy.parquet")
    (project.store / "label_updates").mkdir(exist_ok=True)
    pl.DataFrame({"id": ["r1"]}).write_parquet(project.store / "label_updates" / "x.parquet")
    frame = read_window(project.config(), select=["id"])
    assert frame.filter(pl.col("id") == "r1")["label"].item() == 0  # the null is not a label
    again = project.cli(
        "--json", "ingest", "--labels", _labels(project, "l2.csv", ["r1,0,2026-10-07"])
    )
    assert json.loads(again.stdout)["result"]["duplicates_skipped"] == 1


# --- 5. timestamps outside a plausible range ---------------------------------------------------


@pytest.mark.parametrize("ts", ["9999-12-31T10:00:00Z", "0000-01-01", "-001-01-01", "1969-12-31"])
def test_an_implausible_timestamp_is_quarantined_with_its_reason(project: Project, ts: str) -> None:
    path = project.csv("p.csv", [_row("r1", "2026-10-01T10:00:00Z"), _row("r2", ts)])
    result = project.cli("ingest", str(path))
    assert result.code == 1, result.stderr
    assert "p.csv row 2: ts:" in result.stderr
    assert project.stored()["id"].to_list() == ["r1"]
    latest = project.cli("metrics", "--until", "latest", "--exit-zero")
    assert latest.code in (0, 7), latest.stderr


def test_a_timestamp_beyond_store_max_future_is_quarantined_and_one_within_is_kept(
    project: Project,
) -> None:
    now = dt.datetime.now(UTC)
    soon = (now + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = project.csv("p.csv", [_row("r1", soon), _row("r2", later)])
    result = ingest(project.config(), [str(path)])
    assert result.rows_written == 1 and result.rows_rejected == 1
    reason = _examples(project, result)[0]
    assert reason.startswith("p.csv row 2: ts: ") and "more than 1d after" in reason
    project.config_path.write_text(project.config_path.read_text() + "  max_future: 7d\n")
    again = ingest(project.config(), [str(project.csv("q.csv", [_row("r2", later)]))])
    assert again.rows_written == 1


def test_a_max_future_beyond_a_century_is_a_config_error(project: Project) -> None:
    project.config_path.write_text(project.config_path.read_text() + "  max_future: 999999999d\n")
    result = project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS)))
    assert result.code == 3, result.stderr
    assert "store.max_future: input should be less than or equal to 3153600000" in result.stderr


def test_a_label_time_before_1970_is_quarantined(project: Project) -> None:
    ingest(project.config(), [str(project.csv("p.csv", GOOD_ROWS))])
    result = ingest(
        project.config(),
        [_labels(project, "l.csv", ["r1,1,1900-01-01", "r2,0,2026-10-05"])],
        labels=True,
    )
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert "label_ts: 1900-01-01 00:00:00 is before 1970-01-01" in result.reject_examples[0]


def test_a_far_future_row_already_stored_does_not_break_until_latest(project: Project) -> None:
    ingest(project.config(), [str(project.csv("p.csv", GOOD_ROWS))])
    # a store written before the check (or by hand): one row in 9999
    bad = (
        project.stored()
        .head(1)
        .with_columns(
            pl.lit("far"),
            pl.lit(dt.datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
            .dt.cast_time_unit("us")
            .alias("ts"),
        )
    )
    bad = bad.with_columns(pl.lit("far").alias("id"))
    part = project.store / "predictions" / "date=9999-12-31"
    part.mkdir()
    bad.write_parquet(part / "part-far.parquet")
    assert latest_timestamp(project.config()) == dt.datetime(2026, 10, 3, tzinfo=UTC)
    result = project.cli("metrics", "--until", "latest", "--exit-zero")
    assert result.code in (0, 7), result.stderr


# --- 10. memory: reads bounded by bytes, not by an estimate from the first MiB ----------------


BOUNDED_MB = 600
"""Peak resident memory a bounded read stays under: a small ingest peaks near 190 MB; the
unbounded reads these tests guard against hold 2 GB or more."""


def _measured(project: Project, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run mlmon in a child and return how it ended and its peak resident memory (MiB).

    The peak is the kernel's high-water mark of resident memory (``VmHWM``), not an
    address-space cap: the threads' stacks and
    the allocators' arenas reserve address space that is never touched, and how much varies
    with the machine's load, which made a cap flaky. A 4 GiB cap stays as a backstop, so a
    regression fails the test instead of taking the machine down."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "from mlmon.cli.app import run\n"
        "code = run(sys.argv[1:])\n"
        # VmHWM, not ru_maxrss: that one keeps the forking parent's peak across exec
        "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "sys.stderr.write(f'\\npeak_rss_mb={int(status.split()[0]) // 1024}\\n')\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "-c", str(project.config_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "POLARS_MAX_THREADS": "2"},
    )
    found = re.findall(r"^peak_rss_mb=(\d+)$", result.stderr, re.M)
    assert found, f"the child did not finish its run:\n{result.stderr}"
    return result, int(found[-1])


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["jsonl_line", "csv_field"])
def test_a_huge_record_is_read_in_bounded_memory(
    make_project: Callable[..., Project], kind: str
) -> None:
    project = make_project(batch_rows=250_000)  # the default
    big = "z" * 1_500_000
    if kind == "jsonl_line":
        path = project.root / "big.jsonl"
        rows = [
            {
                "id": "r1",
                "ts": "2026-10-01T10:00:00Z",
                "version": "v1",
                "pred": "1",
                "score": "0.9",
                "x": "1",
                "y": "2",
                "c": big,
                "latency_ms": "1",
                "error": None,
            }
        ]
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    else:
        path = project.csv("big.csv", [f"r1,2026-10-01T10:00:00Z,v1,1,0.9,1,2,{big},1,"])
    result, peak_mb = _measured(project, "ingest", str(path))
    assert result.returncode == 0, result.stderr
    assert peak_mb < BOUNDED_MB, peak_mb
    assert project.stored()["c"].str.len_chars().to_list() == [1_500_000]


@pytest.mark.slow
def test_a_parquet_bomb_is_read_in_bounded_memory(make_project: Callable[..., Project]) -> None:
    project = make_project(batch_rows=250_000)  # the default
    path = project.root / "bomb.parquet"
    n = 20_000  # 2 GB of strings in a file of about 16 KB (dictionary encoding)
    pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "ts": "2026-10-01T10:00:00Z",
            "pred": "1",
            "score": "0.5",
            "x": "1",
            "y": "2",
            "c": "z" * 100_000,
        }
    ).write_parquet(path)
    assert path.stat().st_size < 100_000
    result, peak_mb = _measured(project, "ingest", str(path))
    assert result.returncode == 0, result.stderr
    assert peak_mb < BOUNDED_MB, peak_mb
    stored = pl.scan_parquet(project.store / "predictions" / "*" / "*.parquet")
    assert stored.select(pl.len()).collect().item() == n  # (not loaded: 2 GB)


@pytest.mark.slow
def test_a_file_with_absurdly_many_columns_is_refused_with_exit_4(project: Project) -> None:
    extra = ",".join(f"extra{i}" for i in range(20_000))
    path = project.csv(
        "wide.csv", [_row("r1", "2026-10-01") + "," * 20_000], header=f"{HEADER},{extra}"
    )
    result = project.cli("ingest", str(path))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {path}: 20,010 columns; mlmon reads at most ")
    assert "hint: " in result.stderr


def test_a_header_longer_than_a_mib_is_refused_before_it_is_parsed(project: Project) -> None:
    extra = ",".join(f"extra{i}" for i in range(200_000))
    path = project.csv("wide.csv", [_row("r1", "2026-10-01")], header=f"{HEADER},{extra}")
    result = project.cli("ingest", str(path))
    assert result.code == 4, result.stderr
    assert result.stderr == (
        f"error: {path}: a header longer than 1 MiB; mlmon reads at most 10,000 columns\n"
        "hint: keep only the columns the config's `schema` names (for example with `cut` or "
        "polars), then ingest that file\n"
    )


@pytest.mark.slow
def test_many_columns_under_the_limit_ingest_in_bounded_memory(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(batch_rows=250_000)  # the default
    extra = ",".join(f"extra{i}" for i in range(5_000))
    rows = [_row(f"r{i}", "2026-10-01") + ",1.0" * 5_000 for i in range(20)]
    path = project.csv("wide.csv", rows, header=f"{HEADER},{extra}")
    result, peak_mb = _measured(project, "ingest", str(path))
    assert result.returncode == 0, result.stderr
    assert peak_mb < BOUNDED_MB, peak_mb
    assert project.stored().height == 20


def test_running_out_of_memory_is_exit_4_with_a_batch_rows_hint(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(ingest_module, "validate_batch", exhausted)
    result = project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS)))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith("error: out of memory while ingesting ")
    assert "store.batch_rows" in result.stderr
    assert not list((project.store / "predictions").glob("*/*.parquet"))


@pytest.mark.parametrize("where", ["parse", "write"])
def test_an_allocation_failure_in_polars_is_exit_4_with_a_batch_rows_hint(
    project: Project, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    def enomem(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOMEM, "Cannot allocate memory (os error 12)")

    if where == "parse":
        monkeypatch.setattr(importlib.import_module("mlmon.store.readers").pl, "read_csv", enomem)
    else:
        monkeypatch.setattr(importlib.import_module("mlmon.store.writer"), "_write", enomem)
    result = project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS)))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith("error: out of memory while ingesting ")
    assert "hint: lower store.batch_rows (now 1,000)" in result.stderr


# --- 11. a damaged store, or a store that cannot be written, is exit 4 naming the path --------


@pytest.fixture
def stored(project: Project) -> Project:
    assert project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS))).code == 0
    return project


def _a_part(project: Project, table: str = "predictions") -> Path:
    return sorted((project.store / table).glob("date=*/*.parquet"))[0]


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
@pytest.mark.parametrize("command", ["metrics", "labels", "latest", "read_window"])
def test_a_damaged_part_file_is_exit_4_naming_it(
    stored: Project, damage: str, command: str
) -> None:
    part = _a_part(stored)
    data = part.read_bytes()
    garbled = b"PAR1" + b"\x17" * 200 + b"PAR1"
    part.write_bytes(data[: len(data) // 2] if damage == "truncated" else garbled)
    if command == "read_window":  # what drift, check and report read through
        with pytest.raises(DataError) as caught:
            read_window(stored.config(), select=["id", "score"])
        assert str(caught.value).startswith(f"{part}: damaged store file")
        return
    if command == "labels":
        result = stored.cli("ingest", "--labels", _labels(stored, "l.csv", ["r1,1,2026-10-05"]))
    elif command == "latest":
        result = stored.cli("metrics", "--since", "2026-10-01", "--until", "latest")
    else:
        result = stored.cli("metrics", "--since", "2026-10-01", "--until", "2026-10-04")
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {part}: damaged store file"), result.stderr


@pytest.mark.parametrize("command", ["labels", "metrics"])
def test_a_damaged_label_file_is_exit_4_naming_it(stored: Project, command: str) -> None:
    assert stored.cli("ingest", "--labels", _labels(stored, "l.csv", ["r1,1,2026-10-05"])).code == 0
    part = _a_part(stored, "labels")
    part.write_bytes(part.read_bytes()[:-20])
    if command == "labels":
        result = stored.cli("ingest", "--labels", _labels(stored, "m.csv", ["r2,1,2026-10-05"]))
    else:
        result = stored.cli("metrics", "--since", "2026-10-01", "--until", "2026-10-04")
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {part}: damaged store file"), result.stderr


def test_a_symlinked_part_file_is_never_read(stored: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.parquet"
    stored.stored().head(1).with_columns(pl.lit("secret").alias("id")).write_parquet(outside)
    part = stored.store / "predictions" / "date=2026-10-01"
    (part / "part-link.parquet").symlink_to(outside)
    (stored.store / "predictions" / "date=2026-10-09").symlink_to(part)
    frame = read_window(stored.config(), select=["id"])
    assert "secret" not in frame["id"].to_list()
    assert frame.height == 5


@pytest.mark.parametrize("link", [".lock", "_staging", "predictions", "date=2026-10-05"])
def test_a_symlink_in_the_store_is_never_written_through(
    stored: Project, tmp_path: Path, link: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep me")
    if link == ".lock":
        (stored.store / ".lock").unlink()
        (stored.store / ".lock").symlink_to(outside / "precious")
        culprit = stored.store / ".lock"
    elif link == "predictions":
        shutil.move(stored.store / "predictions", outside / "predictions")
        (stored.store / "predictions").symlink_to(outside / "predictions")
        culprit = stored.store / "predictions"
    elif link == "_staging":
        shutil.rmtree(stored.store / "_staging")
        (outside / "run").mkdir()
        (stored.store / "_staging").symlink_to(outside)
        culprit = stored.store / "_staging"
    else:
        culprit = stored.store / "predictions" / link
        culprit.symlink_to(outside)
    before = sorted(p.name for p in outside.rglob("*"))
    result = stored.cli("ingest", str(stored.csv("q.csv", [_row("q1", "2026-10-05")])))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: cannot write to the store {stored.store}: ")
    assert f"({culprit})" in result.stderr
    assert (outside / "precious").read_text() == "keep me"
    assert sorted(p.name for p in outside.rglob("*")) == before


def test_a_read_only_store_is_exit_4_naming_it(
    stored: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:  # root writes through permissions: fail as a read-only mount does

        def read_only(*args: object) -> None:
            raise OSError(30, "Read-only file system", str(stored.store / "_staging"))

        monkeypatch.setattr(ingest_module, "StagedWrite", read_only)
    stored.store.chmod(0o555)
    try:
        result = stored.cli("ingest", str(stored.csv("q.csv", [_row("q1", "2026-10-01")])))
    finally:
        stored.store.chmod(0o755)
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: cannot write to the store {stored.store}: ")


@pytest.mark.parametrize("what", ["store_is_a_file", "lock_is_a_dir", "staging_is_a_file"])
def test_a_store_path_of_the_wrong_kind_is_exit_4_naming_it(project: Project, what: str) -> None:
    if what == "store_is_a_file":
        project.store.write_text("x")
        culprit = project.store
    else:
        project.store.mkdir()
        culprit = project.store / (".lock" if what == "lock_is_a_dir" else "_staging")
        culprit.mkdir() if what == "lock_is_a_dir" else culprit.write_text("x")
    result = project.cli("ingest", str(project.csv("p.csv", GOOD_ROWS)))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith("error: cannot write to the store "), result.stderr
    assert str(culprit) in result.stderr


def test_a_staging_folder_that_cannot_be_removed_is_exit_4_naming_it(
    stored: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    left = stored.store / "_staging" / "killed-run"
    left.mkdir(parents=True)
    real_rmtree = shutil.rmtree

    def refuse(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        if str(path).startswith(str(stored.store / "_staging")):
            raise PermissionError(13, "Permission denied", str(path))
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", refuse)
    result = stored.cli("ingest", str(stored.csv("q.csv", [_row("q1", "2026-10-01")])))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(
        f"error: cannot write to the store {stored.store}: Permission denied ({left})"
    )


def test_a_failed_manifest_append_says_the_rows_were_committed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest_module, "append_line_durably", full)
    path = str(project.csv("p.csv", GOOD_ROWS))
    result = project.cli("ingest", path)
    assert result.code == 4, result.stderr
    assert "5 rows WERE committed" in result.stderr
    assert "re-running the same ingest is safe" in result.stderr
    assert project.stored().height == 5
    monkeypatch.undo()
    again = ingest(project.config(), [path])
    assert (again.rows_written, again.duplicates_skipped) == (0, 5)


def test_non_utf8_bytes_in_the_manifest_are_exit_4_naming_the_line(stored: Project) -> None:
    with open(stored.store / "_ingested.jsonl", "ab") as fh:
        fh.write(b'{"table": "\xff\xfe"}\n')
    result = stored.cli("ingest", str(stored.csv("q.csv", [_row("q1", "2026-10-01")])))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {stored.store / '_ingested.jsonl'}: line 2 ")


def test_ingest_from_a_closed_stdin_is_exit_4(project: Project) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlmon", "-c", str(project.config_path), "ingest", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.startswith("error: <stdin>: standard input is closed")


# --- 14. validation gaps -----------------------------------------------------------------------


def test_a_json_escaped_nul_quarantines_its_row(project: Project) -> None:
    path = project.root / "p.jsonl"
    rows = [
        {"id": rid, "ts": "2026-10-01", "pred": "1", "score": "0.5", "x": "1", "y": "2", "c": c}
        for rid, c in (("r1", "a"), ("r2", "a\u0000b"))
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = ingest(project.config(), [str(path)])
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert _examples(project, result) == ["p.jsonl row 2: c: contains a NUL byte"]


def test_a_nul_byte_after_the_first_8_kib_quarantines_its_row(project: Project) -> None:
    rows = [_row(f"r{i:05d}", "2026-10-01") for i in range(400)]
    rows.append("rnul,2026-10-01,v1,1,0.9,1.5,2.0,a\x00b,12.5,")
    result = ingest(project.config(), [str(project.csv("p.csv", rows))])
    assert (result.rows_written, result.rows_rejected) == (400, 1)
    assert _examples(project, result) == ["p.csv row 401: c: contains a NUL byte"]


def test_a_blank_id_is_quarantined(project: Project) -> None:
    result = ingest(project.config(), [str(project.csv("p.csv", [_row("   ", "2026-10-01")]))])
    assert (result.rows_written, result.rows_rejected) == (0, 1)
    assert _examples(project, result) == ["p.csv row 1: id is blank"]


def test_a_row_without_prediction_score_or_error_is_quarantined(project: Project) -> None:
    path = project.csv("p.csv", ["r1,2026-10-01,v1,,,1.5,2.0,a,12.5,", GOOD_ROWS[4]])
    result = ingest(project.config(), [str(path)])
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert _examples(project, result) == [
        "p.csv row 1: no prediction, score or error: a row must carry an output or its error"
    ]


@pytest.mark.parametrize("cut", ["mid_record", "mid_quote"])
def test_a_truncated_csv_is_exit_4_and_nothing_is_written(project: Project, cut: str) -> None:
    path = project.csv("p.csv", GOOD_ROWS)
    text = path.read_text()
    if cut == "mid_record":
        path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 12])
    else:
        path.write_text(text + 'r9,2026-10-01,v1,1,0.9,1,2,"unfinished')
    result = project.cli("ingest", str(path))
    assert result.code == 4, result.stderr
    assert result.stderr.startswith(f"error: {path}: the file ends inside a record (truncated?)")
    assert not project.store.exists() or not (project.store / "predictions").exists()


def test_a_csv_without_a_final_newline_is_not_truncated(project: Project) -> None:
    path = project.csv("p.csv", GOOD_ROWS)
    path.write_text(path.read_text().rstrip("\n"))
    assert ingest(project.config(), [str(path)]).rows_written == 5


def test_a_label_dated_long_before_its_prediction_is_quarantined(project: Project) -> None:
    ingest(project.config(), [str(project.csv("p.csv", GOOD_ROWS))])
    labels = _labels(
        project,
        "l.csv",
        ["r1,1,1990-01-01", "r2,0,2026-10-01T11:00:00Z", "r3,1,2026-10-02T06:00:00Z"],
    )
    result = ingest(project.config(), [labels], labels=True)
    assert (result.rows_written, result.rows_rejected) == (2, 1)
    assert result.files[0].rows_written == 2 and result.files[0].rows_rejected == 1
    assert _examples(project, result) == [
        "l.csv row 1: label_ts: 1990-01-01 00:00:00 is more than 1d before its prediction "
        "(2026-10-01 10:00:00; store.max_future)"
    ]
    frame = read_window(project.config(), select=["id"]).sort("id")
    assert frame["label"].to_list()[:3] == [None, 0, 1]


def test_a_correction_dated_before_its_prediction_is_quarantined_and_replaces_nothing(
    project: Project,
) -> None:
    ingest(project.config(), [str(project.csv("p.csv", GOOD_ROWS))])
    ingest(project.config(), [_labels(project, "l1.csv", ["r1,1,2026-10-05"])], labels=True)
    result = ingest(
        project.config(), [_labels(project, "l2.csv", ["r1,0,1990-01-01"])], labels=True
    )
    assert (result.rows_written, result.rows_rejected, result.labels_updated) == (0, 1, 0)
    assert result.label_updates_path is None
    frame = read_window(project.config(), select=["id"])
    assert frame.filter(pl.col("id") == "r1")["label"].item() == 1


def test_a_killed_stdin_ingest_leaves_no_spool_after_the_next_run(
    project: Project, tmp_path: Path
) -> None:
    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    env = {**os.environ, "TMPDIR": str(spool_root)}
    cmd = [sys.executable, "-m", "mlmon", "-c", str(project.config_path), "ingest", "-"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    proc.stdin.write((HEADER + "\n" + GOOD_ROWS[0] + "\n").encode())
    proc.stdin.flush()
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while not any(spool_root.rglob("stdin")) and dt.datetime.now() < deadline:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert any(spool_root.iterdir()), "the killed run should have left its spool"
    again = subprocess.run(
        cmd,
        input=(HEADER + "\n" + GOOD_ROWS[1] + "\n").encode(),
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    left = sorted(p.relative_to(spool_root) for p in spool_root.rglob("*"))
    assert left == [], (left, again.stderr)


def test_drift_over_a_part_file_with_damaged_data_pages_is_exit_4_naming_it(
    stored: Project,
) -> None:
    part = _a_part(stored)  # 2026-10-01, the reference window below
    data = bytearray(part.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")  # the footer stays whole: only pages break
    data[4 : len(data) - 8 - footer] = b"\x17" * (len(data) - 12 - footer)
    part.write_bytes(bytes(data))
    result = stored.cli(
        "drift",
        "--reference",
        str(stored.csv("ref.csv", GOOD_ROWS)),
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-04",
    )
    assert result.code == 4, result.stderr
    assert f"{part}: damaged store file" in result.stderr
