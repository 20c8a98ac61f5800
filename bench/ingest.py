"""Ingest benchmark: `mlmon ingest` against a polars scan→sink_parquet floor.

Usage (from the repository root)::

    .venv/bin/python bench/ingest.py                      # 1M and 10M rows, CSV and Parquet
    .venv/bin/python bench/ingest.py --rows 1000000       # quick run

Synthetic prediction logs are generated once (seeded) into ``bench/data/`` and reused by later
runs. Every measured command runs in its own child process; wall time is taken around the child
and its peak RSS is read from the child's rusage (``os.wait4``; ``/usr/bin/time -v`` reports the
same number and is used as a cross-check when present). Each measurement is repeated and the best
wall time and the largest peak RSS are kept. Results accumulate in ``bench/out/results.json``
and are rendered to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
OUT = BENCH / "out"
EXAMPLE_CONFIG = REPO / "configs" / "example.yaml"
BENCH_CONFIG = DATA / "bench.yaml"
STORE = OUT / "store"
RESULTS_JSON = OUT / "results.json"
RESULTS_MD = BENCH / "RESULTS.md"
MLMON = Path(sys.executable).parent / "mlmon"
GNU_TIME = Path("/usr/bin/time")

SEED = 20261001
GENERATOR_VERSION = 1  # bump when the generated data changes, to invalidate the cache
CHUNK_ROWS = 1_000_000
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=30)
N_EMPLOYERS = 3000
RATIO_TARGET = 2.0
RSS_GROWTH_TARGET = 1.25  # peak RSS at the largest size may be at most this times the smallest
NOTES_MARKER = "<!-- Hand-written notes below this line are kept when bench/ingest.py reruns. -->"

Fmt = Literal["csv", "parquet"]
FORMATS: tuple[Fmt, ...] = ("csv", "parquet")


# --------------------------------------------------------------------------------------------
# Synthetic data


def _choice(rng: np.random.Generator, values: list[str], p: list[float], n: int) -> pl.Series:
    idx = rng.choice(len(values), size=n, p=np.asarray(p) / sum(p))
    return pl.Series(values, dtype=pl.String).gather(idx)


def make_chunk(rng: np.random.Generator, first: int, n: int, total: int) -> pl.DataFrame:
    """Rows ``first .. first+n-1`` of a ``total``-row log spread over SPAN, in time order."""
    step_us = SPAN / dt.timedelta(microseconds=1) / total
    pos = np.arange(first, first + n, dtype=np.float64)
    # one timestamp per slot, jittered inside the slot so the order is kept; millisecond precision
    offset_us = (pos + rng.random(n) * 0.999) * step_us
    offset_ms = np.floor(offset_us / 1000.0).astype(np.int64)
    start_ms = int(START.timestamp() * 1000)
    ts = pl.Series("timestamp", start_ms + offset_ms).cast(pl.Datetime("ms", "UTC"))

    raw = np.frombuffer(rng.bytes(16 * n), dtype="S16")
    ids = pl.Series("request_id", raw, dtype=pl.Binary).bin.encode("hex")

    day = offset_us / 86_400e6
    # a canary rollout from day 20: half the traffic goes to the new version
    new = (day >= 20) & (rng.random(n) < 0.5)
    version = pl.Series(["v1.4.0", "v1.5.0"]).gather(new.astype(np.int64))

    income = np.round(rng.lognormal(11.0, 0.5, n), 2)
    loan = np.round(rng.lognormal(9.5, 0.7, n), 2)
    dti = np.round(rng.beta(2.0, 5.0, n), 4)
    credit = np.clip(rng.normal(690, 60, n), 300, 850).astype(np.int64)
    age = np.clip(rng.normal(42, 12, n), 18, 90).astype(np.int64)
    emp_years = np.clip(rng.exponential(6.0, n), 0, 50).astype(np.int64)
    accounts = rng.poisson(5.0, n).astype(np.int64)

    logit = (
        -1.0
        + 3.0 * dti
        - 0.012 * (credit - 690)
        + 0.4 * np.log(loan / income * 4.0)
        + rng.normal(0, 0.8, n)
    )
    score = np.round(1.0 / (1.0 + np.exp(-logit)), 6)
    latency = np.round(rng.lognormal(3.0, 0.4, n), 1)
    emp_rank = np.minimum(rng.zipf(1.3, n), N_EMPLOYERS) - 1
    employers = pl.Series([f"employer_{i:04d}" for i in range(N_EMPLOYERS)]).gather(emp_rank)
    err = rng.random(n)

    frame = pl.DataFrame(
        {
            "request_id": ids,
            "timestamp": ts,
            "model_version": version,
            "income": income,
            "loan_amount": loan,
            "debt_to_income": dti,
            "credit_score": credit,
            "age": age,
            "employment_years": emp_years,
            "open_accounts": accounts,
            "home_ownership": _choice(
                rng, ["RENT", "MORTGAGE", "OWN", "OTHER"], [45, 38, 16, 1], n
            ),
            "loan_purpose": _choice(
                rng,
                [
                    "debt_consolidation",
                    "credit_card",
                    "home_improvement",
                    "car",
                    "medical",
                    "small_business",
                    "vacation",
                    "other",
                ],
                [48, 20, 8, 6, 4, 4, 2, 8],
                n,
            ),
            "region": _choice(
                rng,
                ["NE", "MA", "SE", "MW", "SW", "MT", "PA", "AK", "HI", "PR"],
                [14, 16, 20, 18, 12, 6, 11, 1, 1, 1],
                n,
            ),
            "employer": employers,
            "score": score,
            "prediction": (score >= 0.5).astype(np.int64),
            "latency_ms": latency,
            "error": pl.select(
                pl.when(pl.lit(err) < 0.003)
                .then(pl.lit("timeout"))
                .when(pl.lit(err) < 0.005)
                .then(pl.lit("upstream_5xx"))
            ).to_series(),
            "channel": _choice(rng, ["web", "mobile", "api", "partner"], [40, 35, 20, 5], n),
            "client_version": _choice(
                rng, ["3.2.0", "3.2.1", "3.3.0", "3.3.1", "4.0.0"], [5, 15, 30, 40, 10], n
            ),
        }
    )
    # realistic gaps: a few missing optional feature values
    missing = rng.random(n) < 0.02
    return frame.with_columns(
        pl.when(pl.Series(missing))
        .then(None)
        .otherwise(pl.col("employment_years"))
        .alias("employment_years")
    )


def data_paths(rows: int) -> dict[Fmt, Path]:
    return {f: DATA / f"predictions-{rows}.{f}" for f in FORMATS}


def ensure_data(rows: int) -> dict[Fmt, Path]:
    """Generate (or reuse) the CSV and Parquet logs of ``rows`` rows."""
    paths = data_paths(rows)
    meta_path = DATA / f"predictions-{rows}.meta.json"
    meta = {"rows": rows, "seed": SEED, "generator": GENERATOR_VERSION}
    if (
        all(p.is_file() for p in paths.values())
        and meta_path.is_file()
        and json.loads(meta_path.read_text()) == meta
    ):
        print(f"reusing {rows:,}-row data in {DATA}", flush=True)
        return paths
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows:,} rows ...", flush=True)
    started = time.perf_counter()
    rng = np.random.default_rng([SEED, rows])
    tmp = {f: p.with_name(p.name + ".tmp") for f, p in paths.items()}
    writer: pq.ParquetWriter | None = None
    with open(tmp["csv"], "wb") as csv_out:
        for first in range(0, rows, CHUNK_ROWS):
            chunk = make_chunk(rng, first, min(CHUNK_ROWS, rows - first), rows)
            chunk.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).write_csv(
                csv_out, include_header=first == 0
            )
            table = chunk.to_arrow(compat_level=pl.CompatLevel.oldest())
            if writer is None:
                writer = pq.ParquetWriter(tmp["parquet"], table.schema, compression="zstd")
            writer.write_table(table, row_group_size=CHUNK_ROWS)
            print(f"  {first + chunk.height:,} rows", flush=True)
    assert writer is not None
    writer.close()
    for f, p in paths.items():
        os.replace(tmp[f], p)
    meta_path.write_text(json.dumps(meta))
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:,.0f} MB" for p in paths.values())
    print(f"  done in {time.perf_counter() - started:.0f} s: {sizes}", flush=True)
    return paths


def write_config() -> Path:
    """The bench config: the example's model/schema/store, with the store under bench/out."""
    example = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    store = dict(example.get("store", {}))
    store["path"] = os.path.relpath(STORE, DATA)
    config = {"model": example["model"], "schema": example["schema"], "store": store}
    DATA.mkdir(parents=True, exist_ok=True)
    header = f"# Generated by bench/ingest.py from {EXAMPLE_CONFIG.relative_to(REPO)}.\n"
    BENCH_CONFIG.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return BENCH_CONFIG


# --------------------------------------------------------------------------------------------
# Measurement


@dataclass
class Run:
    wall_s: float
    rss_mb: float
    gnu_time_rss_mb: float | None


# A small wrapper process starts the measured command and reads its rusage with os.wait4. The
# wrapper matters: on Linux a process's peak RSS survives exec, so a command forked straight
# from this (large) benchmark process would report at least this process's RSS.
WRAPPER_CODE = """
import json, os, subprocess, sys, time
result_path, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
with open(result_path, "w") as fh:
    json.dump({"wall": wall, "maxrss_kb": usage.ru_maxrss,
               "exit": os.waitstatus_to_exitcode(status)}, fh)
"""


def measure(
    cmd: list[str], timeout: float | None, ok_codes: tuple[int, ...] = (0,)
) -> tuple[Run, str]:
    """Run ``cmd`` in its own child; return its wall time and peak RSS, and its stdout.
    An exit code outside ``ok_codes`` is an error (mlmon's findings exit 1 or 7)."""
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        result_path, report_path = Path(tmp) / "result.json", Path(tmp) / "time.txt"
        timed = [str(GNU_TIME), "-v", "-o", str(report_path), *cmd] if GNU_TIME.exists() else cmd
        wrapper = subprocess.Popen(
            [sys.executable, "-c", WRAPPER_CODE, str(result_path), *timed],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            stdout, stderr = wrapper.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(wrapper.pid, 9)
            wrapper.communicate()
            raise TimeoutError(f"{' '.join(cmd)} exceeded {timeout} s") from None
        if wrapper.returncode != 0 or not result_path.is_file():
            raise RuntimeError(f"wrapper failed ({wrapper.returncode}): {stderr.decode()}")
        result = json.loads(result_path.read_text())
        report = report_path.read_text() if report_path.is_file() else ""
    if result["exit"] not in ok_codes:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {result['exit']}:\n{stdout.decode()}\n{stderr.decode()}"
        )
    gnu = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if m:
        gnu = int(m.group(1)) / 1024
    # ru_maxrss is in KiB on Linux: the largest RSS of the child or of any descendant it reaped
    return Run(result["wall"], result["maxrss_kb"] / 1024, gnu), stdout.decode()


FLOOR_CODE = """
import sys, polars as pl
src, fmt, out = sys.argv[1:4]
lf = pl.scan_csv(src) if fmt == "csv" else pl.scan_parquet(src)
lf.sink_parquet(out)
"""


def run_mlmon(config: Path, src: Path, rows: int, timeout: float | None) -> Run:
    shutil.rmtree(STORE, ignore_errors=True)
    cmd = [str(MLMON), "-c", str(config), "--json", "ingest", str(src)]
    result, stdout = measure(cmd, timeout)
    report = json.loads(stdout)
    report = report.get("result", report)
    if report.get("rows_written") != rows or report.get("rows_rejected"):
        raise RuntimeError(f"unexpected mlmon result for {src.name}: {stdout[:2000]}")
    stored = (
        pl.scan_parquet(STORE / "predictions" / "**" / "*.parquet", hive_partitioning=False)
        .select(pl.len())
        .collect()
        .item()
    )
    if stored != rows:
        raise RuntimeError(f"mlmon stored {stored:,} rows of {src.name}, expected {rows:,}")
    return result


def run_floor(src: Path, fmt: Fmt, timeout: float | None) -> Run:
    out = OUT / "floor.parquet"
    out.unlink(missing_ok=True)
    result, _ = measure([sys.executable, "-c", FLOOR_CODE, str(src), fmt, str(out)], timeout)
    out.unlink(missing_ok=True)
    return result


def best(runs: list[Run]) -> dict[str, Any]:
    gnu = [r.gnu_time_rss_mb for r in runs if r.gnu_time_rss_mb is not None]
    return {
        "wall_s": min(r.wall_s for r in runs),
        "walls_s": [round(r.wall_s, 3) for r in runs],
        "rss_mb": max(r.rss_mb for r in runs),
        "gnu_time_rss_mb": max(gnu) if gnu else None,
    }


# --------------------------------------------------------------------------------------------
# Reporting


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "pyarrow": pa.__version__,
        "numpy": np.__version__,
        "kernel": platform.release(),
        "load_at_start": [round(x, 2) for x in load],
    }


def load_results() -> dict[str, Any]:
    if RESULTS_JSON.is_file():
        data: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
        return data
    return {"entries": {}}


def table_md(entries: dict[str, Any]) -> str:
    lines = [
        "| rows | format | input MB | mlmon wall s | floor wall s | ratio | mlmon peak RSS MB "
        "| floor peak RSS MB | measured |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in sorted(entries.values(), key=lambda e: (e["rows"], e["format"])):
        m, f = e["mlmon"], e["floor"]
        lines.append(
            f"| {e['rows']:,} | {e['format']} | {e['input_mb']:,.0f} | {m['wall_s']:.2f} "
            f"| {f['wall_s']:.2f} | {m['wall_s'] / f['wall_s']:.2f}x | {m['rss_mb']:,.0f} "
            f"| {f['rss_mb']:,.0f} | {e['measured_at']} |"
        )
    return "\n".join(lines)


def verdicts(entries: dict[str, Any]) -> list[str]:
    out = []
    for e in sorted(entries.values(), key=lambda e: (e["rows"], e["format"])):
        ratio = e["mlmon"]["wall_s"] / e["floor"]["wall_s"]
        ok = "**met**" if ratio <= RATIO_TARGET else "**not met**"
        out.append(
            f"- Speed, {e['rows']:,} rows {e['format']}: mlmon takes {ratio:.2f}x the floor's "
            f"wall time (target ≤ {RATIO_TARGET:g}x): {ok}."
        )
    sizes = sorted({e["rows"] for e in entries.values()})
    if len(sizes) < 2:
        out.append("- Memory: only one size measured; growth with file size not assessed yet.")
        return out
    small, large = sizes[0], sizes[-1]
    for fmt in FORMATS:
        a, b = entries.get(f"{small}/{fmt}"), entries.get(f"{large}/{fmt}")
        if not a or not b:
            continue
        growth = b["mlmon"]["rss_mb"] / a["mlmon"]["rss_mb"]
        fgrowth = b["floor"]["rss_mb"] / a["floor"]["rss_mb"]
        ok = "**met**" if growth <= RSS_GROWTH_TARGET else "**not met**"
        out.append(
            f"- Memory, {fmt}: mlmon peak RSS {a['mlmon']['rss_mb']:,.0f} MB at {small:,} rows "
            f"→ {b['mlmon']['rss_mb']:,.0f} MB at {large:,} rows ({growth:.2f}x for "
            f"{large / small:g}x the rows; floor {fgrowth:.2f}x). Target: flat "
            f"(≤ {RSS_GROWTH_TARGET:g}x): {ok}."
        )
    return out


def write_results_md(results: dict[str, Any]) -> str:
    mach = results["machine"]
    entries = results["entries"]
    table = table_md(entries)
    pairs = [
        (e[tool]["rss_mb"], e[tool]["gnu_time_rss_mb"])
        for e in entries.values()
        for tool in ("mlmon", "floor")
    ]
    if any(g is None for _, g in pairs):
        gnu_note = "(`/usr/bin/time` was not available for every run.)"
    elif all(abs(r - g) <= 0.01 * r for r, g in pairs):
        gnu_note = "`/usr/bin/time -v` ran inside the wrapper and reported the same peaks."
    else:
        gnu_note = "`/usr/bin/time -v` ran inside the wrapper and reported different peaks."
    repeat_counts = sorted({e.get("repeat", 2) for e in entries.values()})
    repeats = " or ".join(f"{n} times" for n in repeat_counts)
    text = f"""# Ingest benchmark

Generated by `bench/ingest.py` (`.venv/bin/python bench/ingest.py [--rows N ...]`); the numbers
below are rewritten on every run. Raw measurements: `bench/out/results.json` (git-ignored).

## Machine

- CPU: {mach["cpu"]}, {mach["cores"]} cores; RAM {mach["ram_gib"]} GiB; kernel {mach["kernel"]}
- Python {mach["python"]}, polars {mach["polars"]}, pyarrow {mach["pyarrow"]}, \
numpy {mach["numpy"]}
- Date: {results["updated_at"]}; load average at start {mach["load_at_start"]}
- A shared VM: other work may have been running on the box during the measurements, so
  treat differences of ~10% as noise.

## Method

- Data: synthetic prediction logs of a loan-default classifier, generated with numpy + polars
  (seed {SEED}) in {CHUNK_ROWS:,}-row chunks, cached in `bench/data/`. Columns follow
  `configs/example.yaml`: `request_id` (unique 32-hex strings), `timestamp` (ISO-8601 UTC with
  milliseconds in CSV, `timestamp[ms, UTC]` in Parquet; ~30 days, in time order),
  `model_version`, 7 numerical features (2% nulls in `employment_years`), 4 categorical
  features (`employer` Zipf-distributed over {N_EMPLOYERS:,} values), `score` in [0, 1],
  `prediction` 0/1, `latency_ms`, `error` (~0.5% set, else null), `channel`,
  `client_version`. The same rows are written as CSV (polars) and as Parquet (zstd,
  {CHUNK_ROWS:,}-row row groups).
- Config: `bench/data/bench.yaml`, the example's `model`/`schema`/`store` sections with
  `store.path` → `bench/out/store` (so `batch_rows: 250000`, `on_invalid: quarantine`).
- **mlmon**: `mlmon -c bench/data/bench.yaml --json ingest <file>` into an empty store (deleted
  before each run). After each run the stored row count is read back with polars and must
  equal N, and mlmon's JSON report must show N rows written and none rejected (the script
  stops otherwise, so every row of the table passed).
- **floor**: a child `python -c` running `pl.scan_csv(file).sink_parquet(out)` (or
  `scan_parquet` for Parquet input) — a streaming copy with no validation, no timestamp
  parsing, no partitioning and no hashing: the least work that reads the file and writes
  Parquet with polars.
- Each command runs in its own child process. Wall time is measured around the child; peak
  RSS is the child's `ru_maxrss` from `os.wait4` (the largest RSS of any single process in
  the child's tree), read by a small wrapper process so that the benchmark's own memory
  does not leak into the number (on Linux the peak RSS survives `exec`).
  {gnu_note}
- Each measurement is repeated {repeats} (alternating mlmon, floor); the best wall time and
  the largest peak RSS are kept. The input files are in the page cache for all runs (warm
  cache).

## Results

{table}

## Targets

- mlmon's ingest wall time within {RATIO_TARGET:g}x of the floor's.
- mlmon's peak memory does not grow with the file size (compared: smallest vs largest size,
  allowing {RSS_GROWTH_TARGET:g}x).

{chr(10).join(verdicts(entries))}
"""
    notes = ""
    if RESULTS_MD.is_file():
        old = RESULTS_MD.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1].strip("\n")
    text += f"\n{NOTES_MARKER}\n" + (f"\n{notes}\n" if notes else "")
    RESULTS_MD.write_text(text, encoding="utf-8")
    return table


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per child run")
    parser.add_argument("--generate-only", action="store_true", help="only make the data")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite RESULTS.md from results.json"
    )
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    config = write_config()
    data = {} if args.render_only else {rows: ensure_data(rows) for rows in args.rows}
    if args.generate_only:
        return 0

    results = load_results()
    if args.render_only:
        print(write_results_md(results))
        return 0
    results["machine"] = machine()
    for rows in args.rows:
        for fmt in args.formats:
            src = data[rows][fmt]
            mlmon_runs: list[Run] = []
            floor_runs: list[Run] = []
            for i in range(args.repeat):
                mlmon_runs.append(run_mlmon(config, src, rows, args.timeout))
                floor_runs.append(run_floor(src, fmt, args.timeout))
                print(
                    f"{rows:>11,} {fmt:8} run {i + 1}: mlmon {mlmon_runs[-1].wall_s:7.2f} s "
                    f"{mlmon_runs[-1].rss_mb:7,.0f} MB | floor {floor_runs[-1].wall_s:7.2f} s "
                    f"{floor_runs[-1].rss_mb:7,.0f} MB",
                    flush=True,
                )
            results["entries"][f"{rows}/{fmt}"] = {
                "rows": rows,
                "format": fmt,
                "input_mb": src.stat().st_size / 1e6,
                "mlmon": best(mlmon_runs),
                "floor": best(floor_runs),
                "repeat": args.repeat,
                "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            }
            results["updated_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            RESULTS_JSON.write_text(json.dumps(results, indent=2))
            table = write_results_md(results)
    shutil.rmtree(STORE, ignore_errors=True)
    print()
    print(table)
    print()
    print("\n".join(verdicts(results["entries"])))
    print(f"\nwrote {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
