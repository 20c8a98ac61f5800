"""Concept benchmark: mlmon's change detectors vs River 0.26.1, and CBPE vs a polars floor.

Usage (from the repository root)::

    .venv/bin/python bench/concept.py                                  # 10M values, 10M rows
    .venv/bin/python bench/concept.py --rows 2000000 --cbpe-rows 1000000   # quick run
    .venv/bin/python bench/concept.py --skip-cbpe --detectors ddm adwin

Everything runs in this one process and is timed with ``time.perf_counter`` (the work is
in-memory; nothing is read from disk).

**Detectors.** A seeded 0/1 error stream of ``--rows`` values whose error rate steps
0.10 → 0.15 → 0.10 … every tenth of the stream (every 1M values at 10M), and an absolute-error
stream |N(0, σ)| with σ stepping 1 → 1.5 → 1 … at the same points. Every detector of
``mlmon.concept.detectors.DETECTORS`` reads the 0/1 stream; ``page_hinkley``, ``adwin`` and
``kswin`` also read the absolute errors. Both implementations use their class defaults
(River 0.26.1's defaults; mlmon's config default ``warm_start: 1000`` for DDM is not used), and
KSWIN is seeded (``seed=42`` in both) so that both draw the same values. mlmon's time is
``mlmon.concept.stream.trace(detector, values)``, what ``mlmon drift`` runs; River's is a plain
loop ``for i, x in enumerate(values): update(x); if det.drift_detected: found.append(i)``
(``update`` bound once, as ``trace`` does). Both read the same float64 numpy array (what
``mlmon drift`` feeds ``trace``; ``--input list`` passes a Python list instead). The detection
indices of the two are compared. KSWIN runs ``scipy.stats.ks_2samp`` on every update in both
implementations (~100 µs an update), so it reads streams of ``--kswin-rows`` values only
(100,000 by default; the steps then fall every tenth of that). Best of ``--repeat`` runs,
alternating mlmon and River.

**CBPE.** ``--cbpe-rows`` rows (10M) with a timestamp over 30 days (in time order), a score
drawn from Beta(2, 3) and the prediction score ≥ 0.5, in an in-memory polars DataFrame; a
labelled reference of 200,000 rows (labels drawn as Bernoulli(score), so the scores are
calibrated) fits mlmon's calibration once (``fit_calibration``, timed on its own). Timed, best
of ``--cbpe-repeat``:

- **floor**: one polars pass, ``group_by`` on the day (``ts.dt.truncate("1d")``) computing
  the count, the sum of the score and the sum of the prediction per day;
- **mlmon CBPE**: the day key, the frame cut into its 30 daily runs of rows by slicing (as
  ``mlmon.performance.windows._split`` does), then per window
  ``mlmon.performance.calibrations.estimate_window``, which ``mlmon metrics`` calls (it sorts the
  scores, calibrates the sorted scores and estimates). Once one window after another, and
  once on two threads (``mlmon metrics`` maps its windows over two threads).

The floor does not sort; CBPE sorts each window's scores, and the time of one sort of each
window alone (and of ``calibration.apply`` on the sorted scores alone) is reported too.
Results go to ``bench/out/concept-results.json``; the table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import river
from ingest import machine
from river import drift
from river.drift import binary

from mlmon.concept.detectors import DETECTORS
from mlmon.concept.stream import trace
from mlmon.performance.calibrations import estimate_window
from mlmon.performance.cbpe import Calibration, fit_calibration

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
RESULTS_JSON = OUT / "concept-results.json"
SEED = 20261128
STEPS = 10  # the streams change every tenth of their length
RIVER: dict[str, Callable[..., Any]] = {
    "ddm": binary.DDM,
    "eddm": binary.EDDM,
    "hddm_a": binary.HDDMA,
    "hddm_w": binary.HDDMW,
    "adwin": drift.ADWIN,
    "page_hinkley": drift.PageHinkley,
    "kswin": drift.KSWIN,
}
PARAMS: dict[str, dict[str, Any]] = {"kswin": {"seed": 42}}  # otherwise the defaults
ABSOLUTE = ("page_hinkley", "adwin", "kswin")  # also read the absolute-error stream
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
DAYS = 30
REFERENCE_ROWS = 200_000
CONFIDENCE = 0.95
CBPE_RATIO_TARGET = 2.0


# --------------------------------------------------------------------------------------------
# Streams


def step_index(n: int) -> np.ndarray:
    """0 in the first, third, … tenth of a stream of n values, 1 in the second, fourth, …"""
    return (np.arange(n) // max(1, n // STEPS)) % 2


def error_stream(n: int, seed: int) -> np.ndarray:
    """0/1 misclassification indicators, error rate 0.10 / 0.15 alternating."""
    rng = np.random.default_rng(seed)
    rate = np.where(step_index(n) == 1, 0.15, 0.10)
    return (rng.random(n) < rate).astype(np.float64)


def absolute_stream(n: int, seed: int) -> np.ndarray:
    """Absolute errors |N(0, σ)|, σ = 1 / 1.5 alternating."""
    rng = np.random.default_rng(seed)
    sigma = np.where(step_index(n) == 1, 1.5, 1.0)
    return np.abs(rng.standard_normal(n) * sigma)


def river_loop(detector: Any, values: Sequence[float] | np.ndarray) -> list[int]:
    found = []
    update = detector.update
    for i, x in enumerate(values):
        update(x)
        if detector.drift_detected:
            found.append(i)
    return found


def bench_detector(
    name: str, stream: str, values: Sequence[float] | np.ndarray, repeat: int
) -> dict[str, Any]:
    params = PARAMS.get(name, {})
    n = len(values)
    mlmon_s, river_s = [], []
    ours: list[int] = []
    theirs: list[int] = []
    for _ in range(repeat):
        detector = DETECTORS[name](**params)
        started = time.perf_counter()
        ours = trace(detector, values).drifts
        mlmon_s.append(time.perf_counter() - started)
        peer = RIVER[name](**params)
        started = time.perf_counter()
        theirs = river_loop(peer, values)
        river_s.append(time.perf_counter() - started)
    a, b = min(mlmon_s), min(river_s)
    mismatch = next(
        (k for k, (x, y) in enumerate(zip(ours, theirs, strict=False)) if x != y),
        None if len(ours) == len(theirs) else min(len(ours), len(theirs)),
    )
    entry = {
        "detector": name,
        "stream": stream,
        "params": params,
        "values": n,
        "mlmon_s": a,
        "river_s": b,
        "mlmon_runs_s": mlmon_s,
        "river_runs_s": river_s,
        "mlmon_ns_per_update": a / n * 1e9,
        "river_ns_per_update": b / n * 1e9,
        "ratio": a / b,
        "mlmon_detections": len(ours),
        "river_detections": len(theirs),
        "agree": ours == theirs,
        "first_detections": ours[:5],
        "first_mismatch": None
        if mismatch is None
        else {
            "k": mismatch,
            "mlmon": ours[mismatch] if mismatch < len(ours) else None,
            "river": theirs[mismatch] if mismatch < len(theirs) else None,
        },
    }
    print(
        f"{name:<13} {stream:<9} {n:>11,}  mlmon {a:8.2f} s {entry['mlmon_ns_per_update']:7.0f} ns"
        f"  river {b:8.2f} s {entry['river_ns_per_update']:7.0f} ns  {a / b:5.2f}x  "
        f"detections {len(ours)}/{len(theirs)} {'agree' if ours == theirs else 'DIFFER'}",
        flush=True,
    )
    return entry


def run_detectors(args: argparse.Namespace) -> list[dict[str, Any]]:
    entries = []
    streams: dict[tuple[str, int], np.ndarray] = {}

    def values(stream: str, n: int) -> Sequence[float] | np.ndarray:
        if (stream, n) not in streams:
            make = error_stream if stream == "error" else absolute_stream
            streams[stream, n] = make(n, SEED if stream == "error" else SEED + 1)
        array = streams[stream, n]
        return array.tolist() if args.input == "list" else array

    for name in args.detectors:
        n = args.kswin_rows if name == "kswin" else args.rows
        for stream in ("error", "absolute") if name in ABSOLUTE else ("error",):
            entries.append(bench_detector(name, stream, values(stream, n), args.repeat))
    return entries


# --------------------------------------------------------------------------------------------
# CBPE


def cbpe_data(rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The 10M-row frame (ts, score, pred; in time order) and the labelled reference."""
    rng = np.random.default_rng(seed)
    span_us = DAYS * 86_400 * 1_000_000
    offsets = np.sort(rng.integers(0, span_us, rows))
    score = rng.beta(2.0, 3.0, rows)
    start = np.datetime64(START.replace(tzinfo=None), "us")
    frame = pl.DataFrame(
        {
            "ts": pl.Series(start + offsets.astype("timedelta64[us]")).dt.replace_time_zone("UTC"),
            "__score": score,
            "__pred": (score >= 0.5).astype(np.int8),
        }
    )
    ref_score = rng.beta(2.0, 3.0, REFERENCE_ROWS)
    ref_y = (rng.random(REFERENCE_ROWS) < ref_score).astype(np.int64)
    return frame, ref_y, ref_score


def floor_pass(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.group_by(pl.col("ts").dt.truncate("1d").alias("__w"))
        .agg(pl.len().alias("n"), pl.col("__score").sum(), pl.col("__pred").sum())
        .sort("__w")
    )


def split_days(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """The daily runs of rows, by slicing: ``mlmon.performance.windows._split``'s fast path."""
    keyed = frame.with_columns(pl.col("ts").dt.truncate("1d").alias("__w"))
    assert keyed["__w"].is_sorted()
    runs = keyed.select(pl.col("__w").rle()).unnest("__w")
    out, offset = [], 0
    for length, _ in runs.iter_rows():
        out.append(keyed.slice(offset, length))
        offset += length
    return out


def estimate(calibration: Calibration, part: pl.DataFrame) -> dict[str, Any]:
    """One window, by what ``mlmon metrics`` runs for it."""
    return estimate_window(calibration, part, CONFIDENCE)


def run_cbpe(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    frame, ref_y, ref_score = cbpe_data(args.cbpe_rows, SEED + 2)
    print(f"CBPE data: {frame.height:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    calibration = fit_calibration(ref_y, ref_score)
    fit_s = time.perf_counter() - started
    print(f"calibration fitted on {REFERENCE_ROWS:,} rows in {fit_s:.2f} s", flush=True)

    floor_s, seq_s, par_s, split_s, sort_s, apply_s = [], [], [], [], [], []
    floor = pl.DataFrame()
    sequential: list[dict[str, Any]] = []
    threaded: list[dict[str, Any]] = []
    parts: list[pl.DataFrame] = []
    for _ in range(args.cbpe_repeat):
        started = time.perf_counter()
        floor = floor_pass(frame)
        floor_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        parts = split_days(frame)
        split_s.append(time.perf_counter() - started)
        sequential = [estimate(calibration, part) for part in parts]
        seq_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        parts = split_days(frame)
        with ThreadPoolExecutor(max_workers=2) as pool:
            threaded = list(pool.map(lambda p: estimate(calibration, p), parts))
        par_s.append(time.perf_counter() - started)

        # the sorts alone (what the floor does not do), and calibrating the sorted scores
        arrays = [p["__score"].to_numpy() for p in parts]
        started = time.perf_counter()
        ordered = [np.sort(a) for a in arrays]
        sort_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        for a in ordered:
            calibration.apply(a)
        apply_s.append(time.perf_counter() - started)
        print(
            f"  floor {floor_s[-1]:.3f} s | CBPE {seq_s[-1]:.3f} s (split {split_s[-1]:.3f} s), "
            f"2 threads {par_s[-1]:.3f} s | sorts alone {sort_s[-1]:.3f} s, "
            f"calibration.apply alone {apply_s[-1]:.3f} s",
            flush=True,
        )

    # The same from a Parquet file, as mlmon metrics reads the store: the floor scans the
    # columns once and aggregates per day; CBPE reads the same columns, splits, estimates.
    path = BENCH / "data" / f"cbpe-{frame.height}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
    floor_file_s, file_s = [], []
    for _ in range(args.cbpe_repeat):
        started = time.perf_counter()
        floor_pass(pl.scan_parquet(path).select("ts", "__score", "__pred").collect())
        floor_file_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        from_file = pl.read_parquet(path, columns=["ts", "__score", "__pred"])
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda p: estimate(calibration, p), split_days(from_file)))
        file_s.append(time.perf_counter() - started)
        print(
            f"  from Parquet: floor {floor_file_s[-1]:.3f} s | "
            f"CBPE on 2 threads {file_s[-1]:.3f} s",
            flush=True,
        )

    sizes = [p.height for p in parts]
    if sizes != floor["n"].to_list():
        raise RuntimeError("the daily windows differ from the floor's groups")
    if [{k: v.value for k, v in w.items()} for w in sequential] != [
        {k: v.value for k, v in w.items()} for w in threaded
    ]:
        raise RuntimeError("the threaded estimates differ from the sequential ones")
    first, last = sequential[0], sequential[-1]
    entry = {
        "rows": frame.height,
        "windows": len(parts),
        "rows_per_window": [min(sizes), max(sizes)],
        "reference_rows": REFERENCE_ROWS,
        "calibration": calibration.to_dict(),
        "calibration_fit_s": fit_s,
        "floor_s": min(floor_s),
        "cbpe_s": min(seq_s),
        "cbpe_2_threads_s": min(par_s),
        "split_s": min(split_s),
        "sorts_only_s": min(sort_s),
        "apply_only_s": min(apply_s),
        "floor_runs_s": floor_s,
        "cbpe_runs_s": seq_s,
        "cbpe_2_threads_runs_s": par_s,
        "ratio": min(seq_s) / min(floor_s),
        "ratio_2_threads": min(par_s) / min(floor_s),
        "floor_parquet_s": min(floor_file_s),
        "cbpe_parquet_2_threads_s": min(file_s),
        "ratio_parquet_2_threads": min(file_s) / min(floor_file_s),
        "estimates_first_window": {k: v.to_dict() for k, v in first.items()},
        "estimates_last_window": {k: v.to_dict() for k, v in last.items()},
    }
    print(
        f"CBPE {entry['rows']:,} rows, {entry['windows']} windows: floor {entry['floor_s']:.3f} s,"
        f" CBPE {entry['cbpe_s']:.3f} s ({entry['ratio']:.1f}x), on 2 threads "
        f"{entry['cbpe_2_threads_s']:.3f} s ({entry['ratio_2_threads']:.1f}x)",
        flush=True,
    )
    return entry


# --------------------------------------------------------------------------------------------


def table(entries: list[dict[str, Any]]) -> str:
    lines = [
        "| detector | stream | values | mlmon s | River s | mlmon ns/update | River ns/update "
        "| mlmon / River | detections (mlmon / River) | agree |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in entries:
        lines.append(
            f"| {e['detector']} | {e['stream']} | {e['values']:,} | {e['mlmon_s']:.2f} "
            f"| {e['river_s']:.2f} | {e['mlmon_ns_per_update']:,.0f} "
            f"| {e['river_ns_per_update']:,.0f} | {e['ratio']:.2f}x "
            f"| {e['mlmon_detections']} / {e['river_detections']} "
            f"| {'yes' if e['agree'] else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="values per stream")
    parser.add_argument("--kswin-rows", type=int, default=100_000, help="values for KSWIN")
    parser.add_argument("--repeat", type=int, default=1, help="runs per detector (best kept)")
    parser.add_argument("--detectors", nargs="+", choices=list(DETECTORS), default=list(DETECTORS))
    parser.add_argument("--input", choices=("array", "list"), default="array")
    parser.add_argument("--cbpe-rows", type=int, default=10_000_000)
    parser.add_argument("--cbpe-repeat", type=int, default=5)
    parser.add_argument("--skip-detectors", action="store_true")
    parser.add_argument("--skip-cbpe", action="store_true")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    # A run that skips a part keeps the previous run's figures for it.
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.is_file() else {}
    results: dict[str, Any] = {
        "machine": machine() | {"river": river.__version__},
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "input": args.input,
        "repeat": args.repeat,
        "detectors": previous.get("detectors", []),
        "cbpe": previous.get("cbpe"),
    }
    started = time.perf_counter()
    if not args.skip_detectors:
        results["detectors"] = run_detectors(args)
    if not args.skip_cbpe:
        results["cbpe"] = run_cbpe(args)
    results["total_s"] = time.perf_counter() - started
    results["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    print()
    print(table(results["detectors"]))
    faster = [e for e in results["detectors"] if e["ratio"] <= 1.0]
    print(
        f"\nmlmon at least as fast as River: {len(faster)} of {len(results['detectors'])} "
        "detector/stream pairs"
    )
    if results["cbpe"]:
        c = results["cbpe"]
        for label, ratio in (
            ("in memory, one thread", c["ratio"]),
            ("in memory, 2 threads", c["ratio_2_threads"]),
            ("from Parquet, 2 threads (as mlmon metrics)", c["ratio_parquet_2_threads"]),
        ):
            met = "met" if ratio <= CBPE_RATIO_TARGET else "not met"
            print(f"CBPE vs floor, {label}: {ratio:.1f}x (target ≤ {CBPE_RATIO_TARGET:g}x: {met})")
    print(f"total {results['total_s']:.0f} s; wrote {RESULTS_JSON.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
