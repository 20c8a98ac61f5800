"""Real processes: SIGKILL in the middle of an ingest, and two ingests at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import BINARY_CONFIG, Project, big_log

pytestmark = pytest.mark.slow


def _mlmon(project: Project, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlmon", "-c", str(project.config_path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _stored_ids(project: Project) -> pl.Series:
    """Read every committed file; this fails if any is partial or corrupt."""
    frame = project.stored()
    return frame["id"] if frame.height else pl.Series("id", [], dtype=pl.String)


@pytest.fixture
def big_project(tmp_path: Path) -> Project:
    project = Project(tmp_path)
    project.config_path.write_text(BINARY_CONFIG.format(batch_rows=20_000, on_invalid="quarantine"))
    return project


def test_sigkill_mid_ingest_leaves_a_readable_store_and_rerun_completes(
    big_project: Project,
) -> None:
    source = big_log(big_project.root / "big.csv", 200_000, seed=1, prefix="k")
    expected = source.with_columns(pl.col("score").cast(pl.Float64)).sort("id")
    # Kill at several moments: while reading/staging, and later (commit or done).
    outcomes = []
    for delay in (0.5, 1.5, 3.0, 6.0):
        proc = _mlmon(big_project, "ingest", str(big_project.root / "big.csv"))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes.append(proc.returncode)
        ids = _stored_ids(big_project)
        assert ids.is_unique().all(), "a killed ingest must not duplicate rows"
        stored = big_project.stored()
        if stored.height:
            # every stored row is whole and equal to its source row
            joined = stored.select("id", "score", "x").join(
                expected.select("id", "score", "x"), on="id", how="left", suffix="_src"
            )
            assert joined["score_src"].null_count() == 0
            assert (joined["score"] == joined["score_src"]).all()
            assert (joined["x"] == joined["x_src"]).all()
    assert -signal.SIGKILL in outcomes, "at least one run must really have been killed"

    done = _mlmon(big_project, "ingest", str(big_project.root / "big.csv"))
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err.decode()
    ids = _stored_ids(big_project)
    assert ids.len() == 200_000
    assert ids.is_unique().all()
    assert not any((big_project.store / "_staging").iterdir())


def test_two_concurrent_ingests_of_different_files_both_land_exactly_once(
    big_project: Project,
) -> None:
    big_log(big_project.root / "a.csv", 60_000, seed=2, prefix="a")
    big_log(big_project.root / "b.csv", 60_000, seed=3, prefix="b")
    first = _mlmon(big_project, "ingest", str(big_project.root / "a.csv"))
    second = _mlmon(big_project, "ingest", str(big_project.root / "b.csv"))
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    ids = _stored_ids(big_project)
    assert ids.len() == 120_000
    assert ids.is_unique().all()
    assert ids.str.starts_with("a").sum() == 60_000


def test_lock_held_too_long_is_exit_5(big_project: Project) -> None:
    import fcntl

    big_project.config_path.write_text(
        big_project.config_path.read_text().replace("lock_timeout: 30s", "lock_timeout: 1s")
    )
    big_project.store.mkdir()
    rows = big_project.csv("a.csv", ["r1,2026-10-01,v1,1,0.5,1,1,a,1,"])
    with open(big_project.store / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = _mlmon(big_project, "ingest", str(rows))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 5
    assert err.decode().startswith(
        f"error: store {big_project.store} is locked by another mlmon process"
    )
    assert os.path.getsize(big_project.store / ".lock") == 0
