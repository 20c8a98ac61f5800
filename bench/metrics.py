"""Metrics benchmark: baselines for `mlmon metrics` (an sklearn loop and Evidently).

Usage (from the repository root)::

    .venv/bin/python bench/metrics.py                          # 10M rows, K=16 (+ K=64 check)
    .venv/bin/python bench/metrics.py --rows 1000000 --evidently-rows 1000000
    .venv/bin/python bench/metrics.py --build-store            # also fill the mlmon store(s)
    .venv/bin/python bench/metrics.py --generate-only

What is measured, each in its own child process (wall time around the child, peak RSS from the
child's rusage read by a small wrapper, as in ``bench/ingest.py``):

- **sklearn loop**: the project venv's python reads the Parquet with polars (only ``timestamp``,
  ``score``, ``prediction``, ``label``), splits it by UTC day and calls ``sklearn.metrics`` per
  window (accuracy, balanced accuracy, precision, recall, F1, ROC AUC, average precision, log
  loss, Brier score, and specificity from the confusion matrix). It runs at ``--features`` K and
  again at each ``--check-features`` K: it reads only the columns it needs, so its peak memory
  should not depend on K, which is what ``mlmon metrics`` must also achieve.
- **Evidently**: ``bench/.venv-evidently`` (pinned by ``bench/requirements-evidently.txt``; made
  with ``--setup-evidently``) reads the same columns into pandas and runs one
  ``Report([ClassificationPreset()])`` per UTC day, as a user would, taking the values from
  ``snapshot.dict()``. It may run on fewer rows (``--evidently-rows``); the sklearn loop is then
  also run on those rows, so both are compared on the same data and their per-window values are
  checked against each other.
- **mlmon**: ``mlmon -c bench/data/metrics.yaml --json metrics --window 1d`` over the store
  built from the same data (``--build-store``), at each K; its per-window values are checked
  against the sklearn loop's.

The data is a seeded synthetic log of a binary classifier over 30 UTC days (2026-10-01..30),
cached in ``bench/data/metrics-<N>.parquet`` (``metrics-<N>-f<K>.parquet`` for K other than 16).
Results accumulate in ``bench/out/metrics-results.json`` and the table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import yaml

# bench/ingest.py owns the measurement wrapper (peak RSS via os.wait4 in a wrapper process, so
# this process's memory does not leak into the number); reuse it rather than copy it.
from ingest import Run, machine, measure

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
OUT = BENCH / "out"
EXAMPLE_CONFIG = REPO / "configs" / "example.yaml"
RESULTS_JSON = OUT / "metrics-results.json"
PYTHON = Path(sys.executable)
MLMON = PYTHON.parent / "mlmon"
EVIDENTLY_VENV = BENCH / ".venv-evidently"
EVIDENTLY_PYTHON = EVIDENTLY_VENV / "bin" / "python"
EVIDENTLY_REQUIREMENTS = BENCH / "requirements-evidently.txt"

SEED = 20261001
GENERATOR_VERSION = 1  # bump when the generated data changes, to invalidate the cache
CHUNK_ROWS = 1_000_000
DEFAULT_ROWS = 10_000_000
DEFAULT_FEATURES = 16
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
DAYS = 30
DROP_FROM_DAY = 21  # the last 9 days (2026-10-22..30): the model's quality drops
METRIC_COLUMNS = ["timestamp", "score", "prediction", "label"]
# per-window values both baselines report, compared between them
SHARED_METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "specificity"]
CROSS_CHECK_TOLERANCE = 1e-6


# --------------------------------------------------------------------------------------------
# Synthetic data


def suffix(features: int) -> str:
    return "" if features == DEFAULT_FEATURES else f"-f{features}"


def data_path(rows: int, features: int) -> Path:
    return DATA / f"metrics-{rows}{suffix(features)}.parquet"


def make_chunk(
    rng: np.random.Generator, first: int, n: int, total: int, features: int, chunk_no: int
) -> pl.DataFrame:
    """Rows ``first .. first+n-1`` of a ``total``-row log spread over 30 days, in time order.

    The core columns come from ``rng`` (drawn in the same order whatever ``features`` is) and each
    feature column from its own generator, so the files for different K share every row's
    timestamp, score and label (and their first features): the baselines' values must match.
    """
    span_us = DAYS * 86_400e6
    step_us = span_us / total
    pos = np.arange(first, first + n, dtype=np.float64)
    offset_us = (pos + rng.random(n) * 0.999) * step_us  # jittered within each slot: ordered
    offset_ms = np.floor(offset_us / 1000.0).astype(np.int64)
    start_ms = int(START.timestamp() * 1000)
    ts = pl.Series("timestamp", start_ms + offset_ms).cast(pl.Datetime("ms", "UTC"))
    raw = np.frombuffer(rng.bytes(16 * n), dtype="S16")
    ids = pl.Series("request_id", raw, dtype=pl.Binary).bin.encode("hex")

    # The model's logit: calibrated (label ~ Bernoulli(score)) gives ROC AUC ~0.80 with ~34%
    # positives. In the last 9 days the world drifts: the true log-odds are 0.45 * logit + 0.3,
    # so ROC AUC falls to ~0.67, positives rise to ~48% and the scores are no longer calibrated.
    logit = rng.normal(-0.9, 1.4, n)
    score = np.round(1.0 / (1.0 + np.exp(-logit)), 6)
    drop = offset_us >= DROP_FROM_DAY * 86_400e6
    true_logit = np.where(drop, 0.45 * logit + 0.3, logit)
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))).astype(np.int64)
    latency = np.round(rng.lognormal(3.0, 0.4, n), 1)
    err = rng.random(n)

    columns: dict[str, Any] = {
        "request_id": ids,
        "timestamp": ts,
        "score": score,
        "prediction": (score >= 0.5).astype(np.int64),
        "label": label,
        "latency_ms": latency,
        "error": pl.select(
            pl.when(pl.lit(err) < 0.003)
            .then(pl.lit("timeout"))
            .when(pl.lit(err) < 0.005)
            .then(pl.lit("upstream_5xx"))
        ).to_series(),
    }
    for j in range(features):
        frng = np.random.default_rng([SEED, total, chunk_no, j])
        scale = 1.0 + (j % 7)
        values = frng.normal(j % 5, scale, n)
        if j < 2:  # two features drift with the quality drop
            values = values + np.where(drop, 0.5 * scale, 0.0)
        # two decimals, as logged features usually are (and so Parquet can dictionary-encode)
        columns[f"f{j}"] = np.round(values, 2)
    return pl.DataFrame(columns)


def ensure_data(rows: int, features: int) -> Path:
    """Generate (or reuse) the ``rows``-row log with ``features`` feature columns."""
    path = data_path(rows, features)
    meta_path = path.with_suffix(".meta.json")
    meta = {"rows": rows, "features": features, "seed": SEED, "generator": GENERATOR_VERSION}
    if path.is_file() and meta_path.is_file() and json.loads(meta_path.read_text()) == meta:
        print(f"reusing {path.relative_to(REPO)}", flush=True)
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows:,} rows with {features} features ...", flush=True)
    started = time.perf_counter()
    rng = np.random.default_rng([SEED, rows])
    tmp = path.with_name(path.name + ".tmp")
    writer: pq.ParquetWriter | None = None
    for chunk_no, first in enumerate(range(0, rows, CHUNK_ROWS)):
        chunk = make_chunk(rng, first, min(CHUNK_ROWS, rows - first), rows, features, chunk_no)
        table = chunk.to_arrow(compat_level=pl.CompatLevel.oldest())
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=CHUNK_ROWS)
        del chunk, table
    assert writer is not None
    writer.close()
    os.replace(tmp, path)
    meta_path.write_text(json.dumps(meta))
    print(
        f"  done in {time.perf_counter() - started:.0f} s: {path.name} "
        f"{path.stat().st_size / 1e6:,.0f} MB",
        flush=True,
    )
    return path


def split_for_store(src: Path) -> tuple[Path, Path]:
    """The prediction log (no label) and the label file (request_id, label) for mlmon ingest."""
    preds = src.with_name(src.stem + "-predictions.parquet")
    labels = src.with_name(src.stem + "-labels.parquet")
    if (
        not (preds.is_file() and labels.is_file())
        or min(preds.stat().st_mtime, labels.stat().st_mtime) < src.stat().st_mtime
    ):
        lf = pl.scan_parquet(src)
        lf.drop("label").sink_parquet(preds, compression="zstd", row_group_size=CHUNK_ROWS)
        lf.select("request_id", "label").sink_parquet(labels, compression="zstd")
    return preds, labels


# --------------------------------------------------------------------------------------------
# mlmon config and store


def config_path(features: int) -> Path:
    return DATA / f"metrics{suffix(features)}.yaml"


def store_path(features: int) -> Path:
    return OUT / f"metrics-store{suffix(features)}"


def write_config(features: int) -> Path:
    """A config shaped like configs/example.yaml for the generated columns."""
    example = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    store = dict(example.get("store", {}))
    path = config_path(features)
    store["path"] = os.path.relpath(store_path(features), path.parent)
    config = {
        "model": {
            "name": "metrics-bench",
            "task": "binary_classification",
            "classes": [0, 1],
        },
        "schema": {
            "id": "request_id",
            "timestamp": "timestamp",
            "prediction": "prediction",
            "score": "score",
            "label": "label",
            # optional in a label file; the generated one has none, so ingest time is stored
            "label_timestamp": "label_timestamp",
            "features": {"numerical": [f"f{j}" for j in range(features)]},
            "latency": "latency_ms",
            "error": "error",
        },
        "store": store,
    }
    DATA.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Generated by bench/metrics.py (store section from "
        f"{EXAMPLE_CONFIG.relative_to(REPO)}).\n"
    )
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


STORE_FORMAT = 2
"""Bumped when mlmon's store layout changes (2: labels carry their prediction's address)."""


def build_store(rows: int, features: int, src: Path, timeout: float | None) -> dict[str, Any]:
    """Ingest the generated predictions and labels into a fresh store (kept if up to date)."""
    config = write_config(features)
    store = store_path(features)
    meta_path = store.with_name(store.name + ".meta.json")
    meta = {
        "rows": rows,
        "features": features,
        "seed": SEED,
        "generator": GENERATOR_VERSION,
        "store_format": STORE_FORMAT,
    }
    if store.is_dir() and meta_path.is_file():
        old = json.loads(meta_path.read_text())
        if old.get("data") == meta:
            print(f"reusing store {store.relative_to(REPO)}", flush=True)
            return dict(old)
    shutil.rmtree(store, ignore_errors=True)
    meta_path.unlink(missing_ok=True)
    preds, labels = split_for_store(src)
    info: dict[str, Any] = {"data": meta, "config": str(config.relative_to(REPO))}
    for what, path, extra in (("predictions", preds, []), ("labels", labels, ["--labels"])):
        cmd = [str(MLMON), "-c", str(config), "--json", "ingest", *extra, str(path)]
        run, stdout = measure(cmd, timeout)
        report = json.loads(stdout)
        report = report.get("result", report)
        if report.get("rows_written") != rows or report.get("rows_rejected"):
            raise RuntimeError(f"unexpected mlmon ingest result for {path.name}: {stdout[:2000]}")
        print(
            f"  ingested {what} ({features} features): {run.wall_s:.1f} s, {run.rss_mb:,.0f} MB",
            flush=True,
        )
        info[f"ingest_{what}"] = {"wall_s": run.wall_s, "rss_mb": run.rss_mb}
    meta_path.write_text(json.dumps(info, indent=2))
    return info


# --------------------------------------------------------------------------------------------
# Baseline (a): a plain sklearn.metrics loop over polars frames

SKLEARN_CODE = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import polars as pl
import sklearn
from sklearn import metrics as skm

src = sys.argv[1]
t1 = time.perf_counter()
df = pl.read_parquet(src, columns=["timestamp", "score", "prediction", "label"])
t2 = time.perf_counter()
windows = df.with_columns(day=pl.col("timestamp").dt.date()).partition_by(
    "day", maintain_order=True, as_dict=True
)
del df
out = []
for (day,), w in windows.items():
    y = w["label"].to_numpy()
    p = w["prediction"].to_numpy()
    s = w["score"].to_numpy()
    tn, fp, fn, tp = skm.confusion_matrix(y, p, labels=[0, 1]).ravel()
    out.append({
        "window": day.isoformat(),
        "rows": w.height,
        "accuracy": skm.accuracy_score(y, p),
        "balanced_accuracy": skm.balanced_accuracy_score(y, p),
        "precision": skm.precision_score(y, p, zero_division=0),
        "recall": skm.recall_score(y, p, zero_division=0),
        "f1": skm.f1_score(y, p, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, s),
        "average_precision": skm.average_precision_score(y, s),
        "log_loss": skm.log_loss(y, s, labels=[0, 1]),
        "brier": skm.brier_score_loss(y, s),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
    })
t3 = time.perf_counter()
print(json.dumps({
    "versions": {"polars": pl.__version__, "sklearn": sklearn.__version__,
                 "numpy": np.__version__},
    "import_s": t1 - t0, "read_s": t2 - t1, "compute_s": t3 - t2,
    "windows": [{k: (float(v) if isinstance(v, np.floating) else v) for k, v in w.items()}
                for w in out],
}))
"""


def run_sklearn(src: Path, timeout: float | None) -> tuple[Run, dict[str, Any]]:
    run, stdout = measure([str(PYTHON), "-c", SKLEARN_CODE, str(src)], timeout)
    return run, json.loads(stdout)


# --------------------------------------------------------------------------------------------
# Baseline (b): Evidently's ClassificationPreset, one Report per daily window

# Evidently 0.7 API (checked against the installed 0.7.23): Report, Dataset, DataDefinition and
# BinaryClassification from `evidently`, ClassificationPreset from `evidently.presets`. The
# preset's Report.run computes Accuracy, Precision, Recall, F1Score, RocAuc, LogLoss, TPR, TNR,
# FPR, FNR and the by-label F1/precision/recall/ROC AUC, and builds its widgets (confusion
# matrix, PR curve, PR table, ROC curve) during run. Values are read from snapshot.dict().
EVIDENTLY_CODE = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
import evidently
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.presets import ClassificationPreset

src = sys.argv[1]
t1 = time.perf_counter()
df = pd.read_parquet(src, columns=["timestamp", "score", "prediction", "label"])
t2 = time.perf_counter()
definition = DataDefinition(
    classification=[BinaryClassification(
        target="label", prediction_labels="prediction", prediction_probas="score", pos_label=1,
    )],
    numerical_columns=["score"],
    categorical_columns=["label", "prediction"],
)
names = {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall",
         "F1Score": "f1", "RocAuc": "roc_auc", "LogLoss": "log_loss", "TNR": "specificity",
         "TPR": "tpr", "FPR": "fpr", "FNR": "fnr"}
out = []
for day, w in df.groupby(df["timestamp"].dt.floor("D"), sort=True):
    data = Dataset.from_pandas(w[["score", "prediction", "label"]], data_definition=definition)
    snapshot = Report([ClassificationPreset()]).run(current_data=data)
    row = {"window": day.date().isoformat(), "rows": len(w)}
    for m in snapshot.dict()["metrics"]:
        name = m["metric_name"].split("(", 1)[0]
        if name in names and not isinstance(m["value"], dict):
            row[names[name]] = float(m["value"])
    out.append(row)
t3 = time.perf_counter()
print(json.dumps({
    "versions": {"evidently": evidently.__version__, "pandas": pd.__version__},
    "import_s": t1 - t0, "read_s": t2 - t1, "compute_s": t3 - t2, "windows": out,
}))
"""


def setup_evidently() -> None:
    """Create bench/.venv-evidently and install the pinned requirements into it."""
    if not EVIDENTLY_PYTHON.exists():
        subprocess.run(["python3", "-m", "venv", str(EVIDENTLY_VENV)], check=True)
    # keep the virtualenv out of git whatever the repository's .gitignore says
    (EVIDENTLY_VENV / ".gitignore").write_text("# created by bench/metrics.py\n*\n")
    subprocess.run(
        [str(EVIDENTLY_PYTHON), "-m", "pip", "install", "-q", "-r", str(EVIDENTLY_REQUIREMENTS)],
        check=True,
    )


def run_evidently(src: Path, timeout: float | None) -> tuple[Run, dict[str, Any]]:
    if not EVIDENTLY_PYTHON.exists():
        raise SystemExit(f"{EVIDENTLY_VENV} is missing: run with --setup-evidently first")
    run, stdout = measure([str(EVIDENTLY_PYTHON), "-c", EVIDENTLY_CODE, str(src)], timeout)
    return run, json.loads(stdout)


# --------------------------------------------------------------------------------------------
# mlmon: `mlmon --json metrics` over the store built from the same generated data
# (bench/data/metrics.yaml -> bench/out/metrics-store; --build-store makes it).

MLMON_METRICS_ARGS = [
    "--json",
    "metrics",
    "--window",
    "1d",
    "--since",
    "2026-10-01",
    "--until",
    "2026-10-31",
]


def mlmon_windows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-window values from `mlmon --json metrics`, in the baselines' shape."""
    out = []
    for w in report["result"]["windows"]:
        row: dict[str, Any] = {"window": w["start"][:10], "rows": w["n"]}
        for name in SHARED_METRICS:
            value = w["metrics"][name]["value"]
            if value is not None:
                row[name] = value
        out.append(row)
    return out


def run_mlmon_metrics(features: int, timeout: float | None) -> tuple[Run, dict[str, Any]]:
    """Measure `mlmon -c <config> --json metrics --window 1d ...` on a built store."""
    cmd = [str(MLMON), "-c", str(config_path(features)), *MLMON_METRICS_ARGS]
    run, stdout = measure(cmd, timeout, ok_codes=(0, 1, 7))
    report: dict[str, Any] = json.loads(stdout)
    return run, {"report": report, "windows": mlmon_windows(report)}


# --------------------------------------------------------------------------------------------
# Results


def cross_check(
    reference: list[dict[str, Any]], other: list[dict[str, Any]]
) -> dict[str, float | int]:
    """Largest absolute difference of each shared metric between two per-window results."""
    if [w["window"] for w in reference] != [w["window"] for w in other]:
        raise RuntimeError("the two results cover different windows")
    if [w["rows"] for w in reference] != [w["rows"] for w in other]:
        raise RuntimeError("the two results count different rows per window")
    diffs: dict[str, float | int] = {"windows": len(reference)}
    for name in SHARED_METRICS:
        pairs = [(a[name], b[name]) for a, b in zip(reference, other, strict=True) if name in b]
        if pairs:
            diffs[name] = max(abs(a - b) for a, b in pairs)
    return diffs


def load_results() -> dict[str, Any]:
    if RESULTS_JSON.is_file():
        data: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
        return data
    return {"entries": {}}


def record(
    results: dict[str, Any],
    baseline: str,
    rows: int,
    features: int,
    runs: list[Run],
    output: dict[str, Any],
) -> dict[str, Any]:
    entry = {
        "baseline": baseline,
        "rows": rows,
        "features": features,
        "wall_s": min(r.wall_s for r in runs),
        "walls_s": [round(r.wall_s, 3) for r in runs],
        "rss_mb": max(r.rss_mb for r in runs),
        "gnu_time_rss_mb": max((r.gnu_time_rss_mb or 0.0) for r in runs) or None,
        "import_s": output.get("import_s"),
        "read_s": output.get("read_s"),
        "compute_s": output.get("compute_s"),
        "versions": output.get("versions"),
        "windows": output.get("windows"),
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    results["entries"][f"{baseline}/{rows}/{features}"] = entry
    results["updated_at"] = entry["measured_at"]
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    return entry


def table_md(entries: dict[str, Any]) -> str:
    lines = [
        "| baseline | rows | features | wall s | read s | compute s | rows/s | peak RSS MB "
        "| measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    order = {"sklearn loop": 0, "Evidently": 1, "mlmon": 2}
    for e in sorted(
        entries.values(), key=lambda e: (-e["rows"], order.get(e["baseline"], 9), e["features"])
    ):

        def secs(key: str, e: dict[str, Any] = e) -> str:
            return "" if e.get(key) is None else f"{e[key]:.2f}"

        lines.append(
            f"| {e['baseline']} | {e['rows']:,} | {e['features']} | {e['wall_s']:.2f} "
            f"| {secs('read_s')} | {secs('compute_s')} | {e['rows'] / e['wall_s']:,.0f} "
            f"| {e['rss_mb']:,.0f} | {e['measured_at']} |"
        )
    return "\n".join(lines)


def summary(results: dict[str, Any]) -> list[str]:
    out = []
    entries = results["entries"]
    for key, diffs in sorted(results.get("cross_checks", {}).items()):
        worst = max((v for k, v in diffs.items() if k != "windows"), default=float("nan"))
        verdict = "agree" if worst <= CROSS_CHECK_TOLERANCE else "DIFFER"
        detail = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items() if k != "windows")
        out.append(f"- Cross-check {key}: {diffs['windows']} windows, {verdict} ({detail}).")
    by_rows: dict[int, dict[str, Any]] = {}
    for e in entries.values():
        by_rows.setdefault(e["rows"], {})[f"{e['baseline']}/{e['features']}"] = e
    for rows, group in sorted(by_rows.items()):
        sk = group.get(f"sklearn loop/{DEFAULT_FEATURES}")
        ev = group.get(f"Evidently/{DEFAULT_FEATURES}")
        if sk and ev:
            out.append(
                f"- {rows:,} rows: Evidently takes {ev['wall_s'] / sk['wall_s']:.1f}x the sklearn "
                f"loop's wall time and {ev['rss_mb'] / sk['rss_mb']:.1f}x its peak RSS."
            )
        ks = sorted(e["features"] for k, e in group.items() if k.startswith("sklearn loop/"))
        if len(ks) > 1:
            lo, hi = group[f"sklearn loop/{ks[0]}"], group[f"sklearn loop/{ks[-1]}"]
            out.append(
                f"- {rows:,} rows: sklearn loop peak RSS {lo['rss_mb']:,.0f} MB at "
                f"{ks[0]} features vs {hi['rss_mb']:,.0f} MB at {ks[-1]} "
                f"({hi['rss_mb'] / lo['rss_mb']:.2f}x)."
            )
    out.append(
        "- Targets for `mlmon metrics`: ≥ 5x faster than the sklearn loop and ≥ 20x faster than "
        "Evidently on the same rows; peak RSS flat in the number of feature columns."
    )
    return out


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows for the sklearn loop")
    parser.add_argument(
        "--features", type=int, default=DEFAULT_FEATURES, help="feature columns in the data (K)"
    )
    parser.add_argument(
        "--check-features",
        type=int,
        nargs="*",
        default=[64],
        help="other K at which the sklearn loop (and mlmon) rerun, to show memory vs K",
    )
    parser.add_argument(
        "--evidently-rows",
        type=int,
        default=None,
        help="rows for Evidently (default: --rows); the sklearn loop also runs on these rows",
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument(
        "--setup-evidently", action="store_true", help="create bench/.venv-evidently and install"
    )
    parser.add_argument("--skip-mlmon", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument(
        "--build-store", action="store_true", help="ingest the data into the mlmon store(s)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each sklearn measurement")
    parser.add_argument("--evidently-repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per child run")
    parser.add_argument("--generate-only", action="store_true", help="only make the data")
    args = parser.parse_args(argv)

    os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently: no usage telemetry
    OUT.mkdir(parents=True, exist_ok=True)
    ks = [args.features, *[k for k in args.check_features if k != args.features]]
    ev_rows = args.evidently_rows or args.rows
    sizes = [args.rows] + ([ev_rows] if not args.skip_evidently and ev_rows != args.rows else [])

    if args.setup_evidently:
        setup_evidently()
    data = {(args.rows, k): ensure_data(args.rows, k) for k in ks}
    for rows in sizes[1:]:
        data[(rows, args.features)] = ensure_data(rows, args.features)
    if args.build_store or not args.skip_mlmon:
        for k in ks:
            build_store(args.rows, k, data[(args.rows, k)], args.timeout)
    else:
        for k in ks:
            write_config(k)
    if args.generate_only:
        return 0

    results = load_results()
    results["machine"] = machine()
    results.setdefault("cross_checks", {})
    sk_windows: dict[int, list[dict[str, Any]]] = {}
    for (rows, k), src in data.items():
        runs: list[Run] = []
        output: dict[str, Any] = {}
        for i in range(args.repeat):
            run, output = run_sklearn(src, args.timeout)
            runs.append(run)
            print(
                f"sklearn loop {rows:>11,} rows K={k:<3} run {i + 1}: {run.wall_s:7.2f} s "
                f"{run.rss_mb:7,.0f} MB (read {output['read_s']:.2f} s, "
                f"compute {output['compute_s']:.2f} s)",
                flush=True,
            )
        record(results, "sklearn loop", rows, k, runs, output)
        if k == args.features:
            sk_windows[rows] = output["windows"]
        elif rows in sk_windows:  # same rows, more features: the values must be identical
            results["cross_checks"][f"sklearn K={k} vs K={args.features}, {rows:,} rows"] = (
                cross_check(sk_windows[rows], output["windows"])
            )

    if not args.skip_evidently:
        src = data[(ev_rows, args.features)]
        runs = []
        for i in range(args.evidently_repeat):
            run, output = run_evidently(src, args.timeout)
            runs.append(run)
            print(
                f"Evidently    {ev_rows:>11,} rows K={args.features:<3} run {i + 1}: "
                f"{run.wall_s:7.2f} s {run.rss_mb:7,.0f} MB (read {output['read_s']:.2f} s, "
                f"compute {output['compute_s']:.2f} s)",
                flush=True,
            )
        record(results, "Evidently", ev_rows, args.features, runs, output)
        results["cross_checks"][f"Evidently vs sklearn, {ev_rows:,} rows"] = cross_check(
            sk_windows[ev_rows], output["windows"]
        )

    if not args.skip_mlmon:
        for k in ks:
            runs = []
            mout: dict[str, Any] = {}
            for i in range(args.repeat):
                run, mout = run_mlmon_metrics(k, args.timeout)
                runs.append(run)
                print(
                    f"mlmon metrics {args.rows:>11,} rows K={k:<3} run {i + 1}: "
                    f"{run.wall_s:7.2f} s {run.rss_mb:7,.0f} MB",
                    flush=True,
                )
            record(results, "mlmon", args.rows, k, runs, {"windows": mout["windows"]})
            if k == args.features:
                results["cross_checks"][f"mlmon vs sklearn, {args.rows:,} rows"] = cross_check(
                    sk_windows[args.rows], mout["windows"]
                )

    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    print()
    print(table_md(results["entries"]))
    print()
    print("\n".join(summary(results)))
    print(f"\nwrote {RESULTS_JSON.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
