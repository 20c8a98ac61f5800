"""``mlmon check`` downstream, with real parts: a real Parquet store (ingested from a seeded
CSV with injected failures), the real ``check`` operation, the alert state on disk, the
JSON-lines sink's file, the textfile read back with prometheus-client's parser and checked
with ``promtool check metrics``.

The log: 240 rows a day from 2026-10-01 to 2026-10-10. On 10-09 feature ``x`` sends zeros and
half of ``c`` is a new value ``zzz``; on 10-10 only 80 rows arrive and the score is stuck at
0.3. The contract is learned from 10-01 .. 10-08; a window's volume history is the same day
one week earlier.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from mlmon.alerts import dispatch
from mlmon.alerts.exposition import FAMILIES
from mlmon.alerts.findings import CHECK_FINDINGS, findings, judged
from mlmon.config import Config, parse_config
from mlmon.health.result import CheckResult
from mlmon.ops import check, ingest
from tests.conftest import REPO
from tests.factories import metrics_result

RULES = REPO / "configs" / "prometheus" / "alerts.yml"
T0 = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
ROWS = 240
FAILING = ("2026-10-09", "2026-10-11")
"""The two bad days: a feature, a contract and a prediction failure, and a volume drop."""
CLEAN = ("2026-10-08", "2026-10-09")
FAILED_KEYS = {
    "feature_anomaly:x",
    "contract_violation:c",
    "prediction_anomaly:score",
    "prediction_anomaly:pred",  # a score stuck under 0.5 predicts class 0 only
    "volume_anomaly:volume",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("check_alerts")
    rng = np.random.default_rng(16)
    frames = []
    for d in range(10):
        day = FIRST + dt.timedelta(days=d)
        n = 80 if d == 9 else ROWS
        seconds = np.sort(rng.integers(0, 86_400, n))
        score = rng.random(n).round(6)
        x = rng.normal(size=n).round(6)
        c = rng.choice(["a", "b", "c"], n)
        if d == 8:
            x = np.zeros(n)
            c = np.where(np.arange(n) % 2 == 0, "zzz", c)
        if d == 9:
            score = np.full(n, 0.3)
        frames.append(
            pl.DataFrame(
                {
                    "id": [f"d{d}r{i}" for i in range(n)],
                    "ts": [(day + dt.timedelta(seconds=int(s))).isoformat() for s in seconds],
                    "pred": (score > 0.5).astype(int),
                    "score": score,
                    "x": x,
                    "c": c,
                }
            )
        )
    pl.concat(frames).write_csv(root / "log.csv")
    path = root / "store"
    ingest.run(_config(root, path, "[]"), root / "log.csv")
    return path


def _config(root: Path, store: Path, sinks: str, min_rows: int = 50) -> Config:
    text = f"""\
model: {{name: loans, task: binary_classification, classes: [0, 1]}}
schema:
  id: id
  timestamp: ts
  prediction: pred
  score: score
  label: label
  features: {{numerical: [x], categorical: [c]}}
store: {{path: '{store}'}}
check:
  window: 1d
  min_rows: {min_rows}
  reference: {{since: 2026-10-01, until: 2026-10-08}}
  volume: {{seasons: 1, min_history: 1}}
alerts:
  cooldown: 1h
  stale_after: 1h
  state: '{root / "state"}'
  rules:
    - {{finding: stale_data}}
    - {{finding: no_data, severity: critical}}
    - {{finding: volume_anomaly}}
    - {{finding: feature_anomaly}}
    - {{finding: contract_violation}}
    - {{finding: prediction_anomaly, severity: critical}}
    - {{finding: threshold_breach}}
  sinks: {sinks}
"""
    return parse_config(text, root / "mlmon.yaml")


def _jsonl(tmp_path: Path, store: Path, min_rows: int = 50) -> tuple[Config, Path]:
    log = tmp_path / "alerts.jsonl"
    return _config(tmp_path, store, f"[{{type: jsonl, path: '{log}'}}]", min_rows), log


def _lines(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _run(config: Config, since_until: tuple[str, str]) -> CheckResult:
    since, until = since_until
    return check.run(config, since=since, until=until)


def test_each_check_finding_is_an_alert_keyed_and_labelled_by_check_and_column(
    tmp_path: Path, store: Path
) -> None:
    config = _config(tmp_path, store, "[]")
    result = check.run(config, since="2026-10-09", until="2026-10-13")
    # the store's newest row is days old: check's own freshness says so, alerts.stale_after
    # (the stale_data of metrics and drift) is not check's to judge
    out = findings(result, latest_data=FIRST, now=T0, stale_after=3600)
    assert {f.key: (f.kind, f.labels) for f in out} == {
        "stale_data:predictions": (
            "stale_data",
            {"column": "predictions"},
        ),
        "no_data:gaps": ("no_data", {"check": "gaps"}),
        "volume_anomaly:volume": ("volume_anomaly", {"check": "volume"}),
        "feature_anomaly:x": (
            "feature_anomaly",
            {"column": "x"},
        ),
        "contract_violation:c": (
            "contract_violation",
            {"column": "c"},
        ),
        "prediction_anomaly:score": (
            "prediction_anomaly",
            {"column": "score"},
        ),
        "prediction_anomaly:pred": (
            "prediction_anomaly",
            {"column": "pred"},
        ),
    }
    by_key = {f.key: f for f in out}
    gap = by_key["no_data:gaps"]
    assert gap.summary == "no rows 2026-10-11 00:00 - 2026-10-13 00:00 (history expects rows)"
    zeros = by_key["feature_anomaly:x"]
    assert zeros.summary == (
        "x: zero share 100.0% > 2.0% (240 of 240) in 1 window; also most common value's share, "
        "standard deviation, distinct values [2026-10-09]"
    )
    assert zeros.details["evidence"]["checks"][0] == "zero_share"
    assert not any(f.event for f in out)
    assert judged(result, staleness_known=True) == set(CHECK_FINDINGS)
    again = check.run(config, since="2026-10-09", until="2026-10-13")
    assert [f.key for f in findings(again, latest_data=None, now=T0, stale_after=1)] == [
        f.key for f in out
    ]


def test_a_failed_check_fires_is_held_in_the_cooldown_and_resolves_after_a_clean_run(
    tmp_path: Path, store: Path
) -> None:
    config, log = _jsonl(tmp_path, store)
    failing = _run(config, FAILING)
    first = dispatch(config, failing, now=T0)
    assert first is not None and first.failures == []
    fired = _lines(log)
    assert {n["key"] for n in fired} == FAILED_KEYS
    assert {n["status"] for n in fired} == {"firing"}
    severity = {n["finding"]: n["severity"] for n in fired}
    assert severity["prediction_anomaly"] == "critical" and severity["volume_anomaly"] == "warning"

    held = dispatch(config, _run(config, FAILING), now=T0 + dt.timedelta(minutes=10))
    assert held is not None and sorted(held.held) == sorted(FAILED_KEYS)
    assert len(_lines(log)) == len(FAILED_KEYS)  # nothing repeated inside the cooldown

    dispatch(config, _run(config, CLEAN), now=T0 + dt.timedelta(minutes=20))
    resolved = _lines(log)[len(FAILED_KEYS) :]
    assert {n["key"] for n in resolved} == FAILED_KEYS
    assert {n["status"] for n in resolved} == {"resolved"}
    assert {n["ends_at"] for n in resolved} == {"2026-10-20T12:20:00Z"}
    assert {n["starts_at"] for n in resolved} == {"2026-10-20T12:00:00Z"}

    dispatch(config, _run(config, CLEAN), now=T0 + dt.timedelta(minutes=30))
    assert len(_lines(log)) == 2 * len(FAILED_KEYS)  # resolved goes out once


def test_a_check_without_a_verdict_resolves_nothing(tmp_path: Path, store: Path) -> None:
    """No verdict is not 'all clear': with too few rows for the column checks and too little
    history for volume, a clean range keeps the failures firing; a judged one resolves them."""
    config, log = _jsonl(tmp_path, store)
    dispatch(config, _run(config, FAILING), now=T0)
    blind, _ = _jsonl(tmp_path, store, min_rows=100_000)
    blind = blind.model_copy(
        update={
            "check": blind.check.model_copy(
                update={"volume": blind.check.volume.model_copy(update={"min_history": 52})}
            )
        }
    )
    unjudged = _run(blind, CLEAN)
    short = {(g.check, g.column) for g in unjudged.groups if g.status == "insufficient_data"}
    assert {("zero_share", "x"), ("new_value_share", "c"), ("top_share", "score")} <= short
    assert not [g for g in unjudged.groups if g.status == "ok" and g.column is not None]
    assert all(v.status == "insufficient_data" for v in unjudged.volume)
    dispatch(blind, unjudged, now=T0 + dt.timedelta(minutes=5))
    assert [n["status"] for n in _lines(log)] == ["firing"] * len(FAILED_KEYS)
    dispatch(config, _run(config, CLEAN), now=T0 + dt.timedelta(minutes=10))
    assert [n["status"] for n in _lines(log)][len(FAILED_KEYS) :] == ["resolved"] * len(FAILED_KEYS)


def test_check_and_metrics_each_resolve_only_their_own_stale_data(
    tmp_path: Path, store: Path
) -> None:
    """One rule ``{finding: stale_data}``, two sources: ``metrics`` judges the store's newest
    row against ``alerts.stale_after`` (key ``stale_data``), ``check`` its freshness bounds
    (``stale_data:predictions``). A clean run of one never resolves the other's."""
    config, log = _jsonl(tmp_path, store)
    dispatch(config, metrics_result(breach=False), now=T0)  # the newest row is 10 days old
    assert [(n["key"], n["status"]) for n in _lines(log)] == [("stale_data", "firing")]
    dispatch(config, _run(config, CLEAN), now=T0 + dt.timedelta(minutes=1))
    assert len(_lines(log)) == 1  # check's fresh run leaves metrics' stale_data firing
    stale = check.run(config, since="2026-10-10", until="2026-10-12")
    dispatch(config, stale, now=T0 + dt.timedelta(minutes=2))
    assert ("stale_data:predictions", "firing") in [(n["key"], n["status"]) for n in _lines(log)]
    count = len(_lines(log))
    dispatch(config, metrics_result(breach=False), now=T0 + dt.timedelta(minutes=3))
    assert len(_lines(log)) == count  # metrics leaves check's firing (and holds its own)
    dispatch(config, _run(config, CLEAN), now=T0 + dt.timedelta(minutes=4))
    last = _lines(log)[count:]
    assert ("stale_data:predictions", "resolved") in [(n["key"], n["status"]) for n in last]
    assert "stale_data" not in {n["key"] for n in last}
    state = json.loads((tmp_path / "state" / "loans.json").read_text())
    assert state["alerts"]["stale_data"]["status"] == "firing"


def test_the_textfile_of_a_check_parses_and_holds_rows_freshness_and_each_verdict(
    tmp_path: Path, store: Path
) -> None:
    directory = tmp_path / "textfile"
    directory.mkdir()
    config = _config(tmp_path, store, f"[{{type: textfile, directory: '{directory}'}}]")
    result = _run(config, FAILING)
    dispatch(config, result, now=T0)
    text = (directory / "mlmon_loans.prom").read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) <= set(FAMILIES)
    assert all(s.timestamp is None for f in families.values() for s in f.samples)
    values = {
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "model"))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert values[("mlmon_rows", (("window", "1d"),))] == 80  # 10-10, the newest window
    assert values[("mlmon_rows_expected", (("window", "1d"),))] == ROWS  # 10-03's
    newest = result.predictions.newest
    assert newest is not None and newest.date() == dt.date(2026, 10, 10)
    age = (dt.datetime(2026, 10, 11, tzinfo=dt.UTC) - newest).total_seconds()
    assert values[("mlmon_freshness_seconds", (("table", "predictions"),))] == age
    assert values[("mlmon_freshness_max_seconds", (("table", "predictions"),))] == 7200

    def status(check: str, column: str, kind: str) -> float:
        labels = (("check", check), ("column", column), ("kind", kind))
        return values[("mlmon_check_status", labels)]

    assert status("zero_share", "x", "feature_anomaly") == 1
    assert status("null_share", "x", "feature_anomaly") == 0
    assert status("new_value_share", "c", "contract_violation") == 1
    assert status("top_share", "score", "prediction_anomaly") == 1
    assert status("volume", "", "volume_anomaly") == 1
    assert status("gaps", "", "no_data") == 0
    assert status("freshness", "predictions", "stale_data") == 0
    assert not any(k[0] == "mlmon_check_insufficient" for k in values)  # every check judged
    found = {dict(k[1])["kind"]: v for k, v in values.items() if k[0] == "mlmon_check_findings"}
    assert found == {
        "no_data": 0,
        "stale_data": 0,
        "volume_anomaly": 1,
        "feature_anomaly": 1,
        "contract_violation": 1,
        "prediction_anomaly": 2,
    }
    # one series per check and column at most: the cardinality is the contract's
    statuses = [k for k in values if k[0] == "mlmon_check_status"]
    assert len(statuses) == len(result.groups) + 3  # + freshness, volume, gaps
    assert values[("mlmon_last_success_timestamp_seconds", (("command", "check"),))] == (
        T0.timestamp()
    )
    promtool = shutil.which("promtool")
    if promtool is not None:  # the Debian package 'prometheus' (.ci/run installs it)
        proc = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_check_with_too_few_rows_exports_insufficient_not_a_status(
    tmp_path: Path, store: Path
) -> None:
    directory = tmp_path / "textfile"
    directory.mkdir()
    config = _config(
        tmp_path, store, f"[{{type: textfile, directory: '{directory}'}}]", min_rows=100_000
    )
    dispatch(config, _run(config, CLEAN), now=T0)
    text = (directory / "mlmon_loans.prom").read_text()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    zeros = {"model": "loans", "check": "zero_share", "column": "x", "kind": "feature_anomaly"}
    assert [
        s.value for s in samples if s.name == "mlmon_check_insufficient" and s.labels == zeros
    ] == [1]
    assert not [s for s in samples if s.name == "mlmon_check_status" and s.labels == zeros]


def test_the_shipped_check_rules_match_the_series_a_real_check_exports(
    tmp_path: Path, store: Path
) -> None:
    """The six check rules' expressions evaluated by promtool over the series of a real
    textfile: each failing column of the run fires its rule once, as the webhook alerts it."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package 'prometheus'; .ci/run installs it)")
    directory = tmp_path / "textfile"
    directory.mkdir()
    config = _config(tmp_path, store, f"[{{type: textfile, directory: '{directory}'}}]")
    dispatch(config, _run(config, FAILING), now=T0)
    text = (directory / "mlmon_loans.prom").read_text()
    series = [
        {
            "series": s.name
            + "{"
            + ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            + "}",
            "values": f"{s.value:g}x10",
        }
        for f in text_string_to_metric_families(text)
        for s in f.samples
    ]
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    expr = {r["alert"]: r["expr"] for r in rules}

    def fired(**labels: str) -> dict[str, Any]:
        return {"labels": "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}", "value": 1}

    expected = {
        "MlmonNoData": [],  # the range has rows every day
        "MlmonStaleData": [],  # its newest row is minutes before the end of the range
        "MlmonVolumeAnomaly": [fired(model="loans")],
        # one alert per column, however many of its checks fail (x: four)
        "MlmonFeatureAnomaly": [fired(column="x", model="loans")],
        "MlmonContractViolation": [fired(column="c", model="loans")],
        "MlmonPredictionAnomaly": [
            fired(column="pred", model="loans"),
            fired(column="score", model="loans"),
        ],
    }
    test = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {"expr": expr[name], "eval_time": "1m", "exp_samples": samples}
                    for name, samples in expected.items()
                ],
            }
        ],
    }
    path = tmp_path / "check_rules_test.yml"
    path.write_text(yaml.safe_dump(test))
    proc = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
