"""Random SIGKILLs against real ``mlmon ingest`` processes (``make test-chaos``; not in
``make test``).

Each round starts an ingest (a prediction file, the same log on stdin, or a label file), kills
it at a random moment of its run (every other round: of its writing, after the first staged
file), and checks what DESIGN.md §5 promises: every committed file
reads, no row is partial or duplicated, the read API works, and a re-run completes the ingest
exactly once (a further run is a no-op) and leaves no stdin spool behind. The store is then
reset for the next round. ``MLMON_CHAOS_RUNS`` sets the number of rounds (default 50),
``MLMON_CHAOS_SEED`` the seed; the figures are printed at the end (run with ``-s``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlmon.config import load_config
from mlmon.store.scan import read_window
from tests.conftest import BINARY_CONFIG, Project, big_log

pytestmark = pytest.mark.chaos

RUNS = int(os.environ.get("MLMON_CHAOS_RUNS", "50"))
SEED = int(os.environ.get("MLMON_CHAOS_SEED", "14"))
ROWS = 150_000


class Chaos:
    """The project, its inputs and the environment of the mlmon processes."""

    def __init__(self, root: Path) -> None:
        self.project = Project(root)
        text = BINARY_CONFIG.format(batch_rows=20_000, on_invalid="quarantine")
        self.project.config_path.write_text(text)
        self.log = root / "log.csv"
        self.source = big_log(self.log, ROWS, SEED, "k").select("id", "score", "x")
        labels = self.source.select("id").with_columns(
            pl.Series("label", np.random.default_rng(SEED).integers(0, 2, ROWS)),
            pl.lit("2026-10-20T00:00:00Z").alias("label_ts"),
        )
        self.labels = root / "labels.csv"
        labels.write_csv(self.labels)
        self.label_values = labels.select("id", "label")
        self.tmp = root / "tmp"
        self.tmp.mkdir()
        self.env = {**os.environ, "TMPDIR": str(self.tmp), "POLARS_MAX_THREADS": "2"}
        self.seeded = root / "seeded-store"  # the predictions, for the label rounds

    def start(self, kind: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "mlmon", "-c", str(self.project.config_path), "ingest"]
        args += {"file": [str(self.log)], "stdin": ["-"], "labels": ["--labels", str(self.labels)]}[
            kind
        ]
        stdin = open(self.log, "rb") if kind == "stdin" else None  # noqa: SIM115
        try:
            return subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL if stdin is None else stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
            )
        finally:
            if stdin is not None:
                stdin.close()

    def complete(self, kind: str) -> dict[str, object]:
        proc = self.start(kind)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
        return {"stdout": out.decode(), "stderr": err.decode()}

    def reset(self, kind: str) -> None:
        shutil.rmtree(self.project.store, ignore_errors=True)
        if kind == "labels":
            shutil.copytree(self.seeded, self.project.store)


def _check_store(chaos: Chaos, kind: str) -> int:
    """Every committed file reads; rows are whole and unique. Return the rows stored."""
    store = chaos.project.store
    for table in ("predictions", "labels"):
        for directory in (store / table).glob("*"):
            for path in directory.iterdir():
                assert path.name.startswith("part-") and path.suffix == ".parquet", path
                pl.read_parquet(path)  # a partial file would not read
    predictions = chaos.project.stored()
    if predictions.height:
        assert predictions["id"].is_unique().all(), "a killed ingest duplicated predictions"
        joined = predictions.select("id", "score", "x").join(
            chaos.source, on="id", how="left", suffix="_src"
        )
        assert joined["score_src"].null_count() == 0
        assert (joined["score"] == joined["score_src"]).all(), "a stored row is not its source"
        assert (joined["x"] == joined["x_src"]).all()
    window = read_window(load_config(chaos.project.config_path), select=["id"])
    assert window.height == predictions.height
    if kind != "labels":
        return predictions.height
    labels = chaos.project.stored("labels")
    if labels.height:
        assert labels["id"].is_unique().all(), "a killed ingest duplicated labels"
        joined = labels.select("id", "label").join(chaos.label_values, on="id", suffix="_src")
        assert joined.height == labels.height
        assert (joined["label"] == joined["label_src"]).all()
    assert window["label"].drop_nulls().len() == labels.height
    return labels.height


def _check_complete(chaos: Chaos, kind: str) -> None:
    """After the re-run: every row once, the manifest names the input once, a further run is
    a no-op, no stdin spool is left."""
    assert _check_store(chaos, kind) == ROWS
    manifest = [
        json.loads(line)
        for line in (chaos.project.store / "_ingested.jsonl").read_text().splitlines()
    ]
    table = "labels" if kind == "labels" else "predictions"
    assert Counter(e["table"] for e in manifest)[table] == 1, manifest
    again = chaos.complete(kind)
    assert "wrote 0 of 0 rows" in str(again["stdout"]), again
    assert not any((chaos.project.store / "_staging").iterdir())
    assert list(chaos.tmp.iterdir()) == [], "a spool or scratch directory was left behind"


def test_random_sigkills_never_corrupt_the_store_and_a_rerun_completes_once(
    tmp_path: Path,
) -> None:
    chaos = Chaos(tmp_path)
    rng = random.Random(SEED)
    durations = {}  # of an uninterrupted run: kills land anywhere from start-up to the end
    started = time.monotonic()
    chaos.complete("file")
    durations["file"] = durations["stdin"] = time.monotonic() - started
    shutil.copytree(chaos.project.store, chaos.seeded)
    started = time.monotonic()
    chaos.complete("labels")
    durations["labels"] = time.monotonic() - started
    figures: Counter[str] = Counter()
    for round_ in range(RUNS):
        kind = ("file", "stdin", "labels")[round_ % 3]
        chaos.reset(kind)
        proc = chaos.start(kind)
        staging = chaos.project.store / "_staging"
        started = time.monotonic()
        if round_ % 2:
            # half the kills wait for the first staged file, so more of them land mid-write
            # (start-up, imports and hashing take a good part of a run)
            while proc.poll() is None and not any(staging.glob("*/*/*/*.parquet")):
                time.sleep(0.002)
        left = durations[kind] - (time.monotonic() - started)
        time.sleep(rng.uniform(0.0, max(0.05, left) * 1.1))
        writing = staging.is_dir() and any(staging.iterdir())
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        figures["kills"] += 1
        if proc.returncode == -signal.SIGKILL:
            figures["killed before finishing"] += 1
            figures["killed while staging or committing"] += writing
        stored = _check_store(chaos, kind)
        if proc.returncode == -signal.SIGKILL and 0 < stored < ROWS:
            figures["killed mid-commit (some partitions in)"] += 1
        chaos.complete(kind)
        _check_complete(chaos, kind)
        figures[f"rounds {kind}"] += 1
    print(f"\nchaos: {RUNS} rounds, seed {SEED}, {ROWS:,} rows per ingest: {dict(figures)}")
    assert figures["killed before finishing"] > 0
