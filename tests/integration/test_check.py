"""``mlmon check`` against real stores: each silent failure injected into real Parquet logs is
caught with the right evidence, and a clean seasonal log of 35 days raises nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlmon.health.result import CheckResult
from mlmon.ops import check, ingest
from tests.conftest import BINARY_CONFIG, Project

UTC = dt.UTC
START = dt.datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
DAYS = 35
CHECK = """\
check:
  window: 1h
  reference: {since: 2026-09-07, until: 2026-09-14}
  freshness: {max_age: 2h, max_label_age: 3d}
"""
Inject = Callable[[pl.DataFrame], pl.DataFrame]


def _traffic(seed: int) -> pl.DataFrame:
    """35 days of hourly Poisson traffic: busy weekday afternoons, quiet nights and weekends
    (a third of a weekday), a score that follows two features, categories in fixed shares."""
    rng = np.random.default_rng(seed)
    frames = []
    for hour in range(DAYS * 24):
        start = START + dt.timedelta(hours=hour)
        diurnal = 0.5 + 0.5 * np.sin(np.pi * ((start.hour - 6) % 24) / 24) ** 2
        weekend = 0.35 if start.weekday() >= 5 else 1.0
        n = int(rng.poisson(160 * diurnal * weekend))
        x = rng.normal(50_000, 12_000, n).round(2)
        y = rng.gamma(2.0, 3.0, n).round(1)
        z = rng.normal(0.0, 1.0, n)
        score = 1 / (1 + np.exp(-(z + (x - 50_000) / 20_000)))
        frames.append(
            pl.DataFrame(
                {
                    "id": [f"h{hour}-{i}" for i in range(n)],
                    "ts": [
                        start + dt.timedelta(seconds=float(s))
                        for s in np.sort(rng.uniform(0, 3600, n))
                    ],
                    "version": ["v1"] * n,
                    "pred": (score >= 0.5).astype(np.int64),
                    "score": score,
                    "x": x,
                    "y": y,
                    "c": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
                    "latency_ms": rng.gamma(3.0, 10.0, n),
                    "error": [None] * n,
                },
                schema_overrides={"error": pl.String, "ts": pl.Datetime("us", "UTC")},
            )
        )
    return pl.concat(frames)


@pytest.fixture(scope="module")
def traffic() -> pl.DataFrame:
    return _traffic(7)


def _store(root: Path, frame: pl.DataFrame) -> Project:
    project = Project(root)
    project.config_path.write_text(
        BINARY_CONFIG.format(batch_rows=20_000, on_invalid="quarantine") + CHECK
    )
    path = project.root / "log.parquet"
    frame.write_parquet(path)
    ingest.run(project.config(), [path])
    labels = frame.select(
        "id", pl.col("pred").alias("label"), (pl.col("ts") + pl.duration(hours=6)).alias("label_ts")
    )
    labels_path = project.root / "labels.parquet"
    labels.write_parquet(labels_path)
    ingest.run(project.config(), [labels_path], labels=True)
    return project


@pytest.fixture(scope="module")
def clean_store(tmp_path_factory: pytest.TempPathFactory, traffic: pl.DataFrame) -> Path:
    return _store(tmp_path_factory.mktemp("clean"), traffic).root


@pytest.fixture
def clean(clean_store: Path, tmp_path: Path) -> Project:
    """A copy of the clean store's project, free to change."""
    shutil.copytree(clean_store, tmp_path / "p")
    return Project(tmp_path / "p")


def _last_week(project: Project) -> CheckResult:
    until = START + dt.timedelta(days=DAYS)
    return check.run(project.config(), since=until - dt.timedelta(days=7), until=until)


def _during(frame: pl.DataFrame, day: int, first: int, last: int) -> pl.Expr:
    """Rows of day ``day`` (0-based) from ``first`` to ``last`` o'clock."""
    lo = START + dt.timedelta(days=day, hours=first)
    hi = START + dt.timedelta(days=day, hours=last)
    return (pl.col("ts") >= lo) & (pl.col("ts") < hi)


def _findings(result: CheckResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in result.findings:
        out.setdefault(f.kind, []).append(f"{f.check}:{f.column}")
    return out


def test_a_clean_seasonal_log_of_35_days_raises_no_finding(clean_store: Path) -> None:
    result = _last_week(Project(clean_store))
    assert result.findings == ()
    assert result.status == "ok"
    judged = [v for v in result.volume if v.status != "insufficient_data"]
    assert len(judged) == 7 * 24  # every hour of the week has four earlier weeks of history
    assert sum(len(g.items) for g in result.groups) > 7 * 24 * 10  # many checks, none fired
    # quiet weekends are in the history of the same hour of the week, so they are not drops
    weekend = [v for v in judged if v.start.weekday() >= 5]
    assert weekend and all(v.status == "ok" for v in weekend)


def _set(column: str, day: int, first: int, last: int, value: pl.Expr) -> Inject:
    def inject(f: pl.DataFrame) -> pl.DataFrame:
        when = _during(f, day, first, last)
        return f.with_columns(pl.when(when).then(value).otherwise(pl.col(column)).alias(column))

    return inject


INJECTIONS: dict[str, tuple[Inject, str, str]] = {
    # name: (change to the logs, finding kind, "check:column"); days of the last week, apart
    "outage": (lambda f: f.filter(~_during(f, 31, 2, 5)), "no_data", "gaps:None"),
    "volume_drop": (
        lambda f: f.filter(~(_during(f, 31, 9, 17) & (pl.col("id").hash(1) % 10 < 6))),
        "volume_anomaly",
        "volume:None",
    ),
    "zeros": (_set("x", 32, 10, 16, pl.lit(0.0)), "feature_anomaly", "zero_share:x"),
    "unit_change": (
        _set("y", 30, 14, 20, pl.col("y") * 100),
        "contract_violation",
        "out_of_range_share:y",
    ),
    "nulls": (_set("y", 30, 9, 12, pl.lit(None)), "feature_anomaly", "null_share:y"),
    "enum_flood": (
        _set(
            "c", 29, 8, 12, pl.when(pl.col("id").hash(2) % 10 < 4).then(pl.lit("zz")).otherwise("c")
        ),
        "contract_violation",
        "new_value_share:c",
    ),
    "stuck_score": (
        lambda f: _set("pred", 29, 18, 22, pl.lit(0))(_set("score", 29, 18, 22, pl.lit(0.0731))(f)),
        "prediction_anomaly",
        "top_share:score",
    ),
}


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory, traffic: pl.DataFrame) -> CheckResult:
    """One store with every failure on its own day or hours of the last week, checked once."""
    frame = traffic
    for inject, _, _ in INJECTIONS.values():
        frame = inject(frame)
    return _last_week(_store(tmp_path_factory.mktemp("injected"), frame))


def test_the_injected_failures_are_all_the_findings(injected: CheckResult) -> None:
    expected = {(kind, key) for _, kind, key in INJECTIONS.values()}
    found = {(f.kind, f"{f.check}:{f.column}") for f in injected.findings}
    # a column stuck on zeros also has a spread and distinct values that collapse, and a
    # stuck score takes the prediction's class shares with it: the same findings' other checks
    assert found == expected | {("prediction_anomaly", "value_share:pred")}, found
    assert injected.status == "finding" and injected.exit_code == 1


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_each_injected_silent_failure_is_caught_with_its_evidence(
    name: str, injected: CheckResult
) -> None:
    _, kind, key = INJECTIONS[name]
    finding = next(f for f in injected.findings if (f.kind, f"{f.check}:{f.column}") == (kind, key))
    if name == "outage":
        assert finding.summary.startswith("no rows 2026-10-08 02:00-05:00")
    elif name == "volume_drop":
        # hours 09-17 lost 60% of their rows; 09:00 (47 rows where 89 were expected, raw
        # p 0.0009) does not survive the correction across the run's thousands of checks
        assert finding.windows == "2026-10-08 10:00-17:00"
        assert finding.evidence["change"] < -0.2 and finding.evidence["p_adjusted"] < 0.01
    else:
        evidence = finding.evidence
        assert evidence["p_adjusted"] < 0.01
        assert evidence["share"] > evidence["bound"]
        low, high = evidence["interval"]
        assert low <= evidence["share"] <= high
        assert len(evidence["examples"]) == 3  # request ids of rows behind the failure
    if name == "stuck_score":
        assert finding.evidence["value"] == 0.0731
        assert set(finding.evidence["checks"]) >= {"top_share", "spread", "cardinality"}


def test_stale_predictions_and_labels_are_stale_data(clean_store: Path) -> None:
    until = START + dt.timedelta(days=DAYS + 1)  # a day after the last row
    result = check.run(Project(clean_store).config(), since="1d", until=until)
    kinds = _findings(result)
    assert "freshness:predictions" in kinds["stale_data"]  # check:column
    assert result.predictions.age_seconds is not None and result.predictions.age_seconds > 7200
    assert result.labels is not None and result.labels.status == "ok"  # labels 6 h late: 18 h old


def test_too_little_history_is_insufficient_data_with_the_history_needed(clean_store: Path) -> None:
    until = START + dt.timedelta(days=10)
    result = check.run(Project(clean_store).config(), since="1d", until=until)
    assert result.status == "insufficient_data"
    assert result.exit_code == 7
    assert "fewer than 3 earlier weeks" in result.insufficient[0]
    assert "the store starts 2026-09-07" in result.insufficient[0]


def test_freshness_gaps_and_volume_read_only_the_timestamp_column(
    clean: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlmon.store.health import timestamps as original

    read: list[list[str]] = []

    def spy(*args: Any) -> pl.LazyFrame:
        frame = original(*args)
        read.append(frame.collect_schema().names())
        return frame

    def no_columns(*args: Any) -> pl.LazyFrame:
        raise AssertionError("feature columns read without a contract")

    monkeypatch.setattr("mlmon.store.health.timestamps", spy)
    monkeypatch.setattr("mlmon.ops.columns.scan_predictions", no_columns)
    clean.config_path.write_text(
        clean.config_path.read_text().replace(
            "reference: {since: 2026-09-07, until: 2026-09-14}", "reference: null"
        )
    )
    result = check.run(clean.config(), since="1d", until=START + dt.timedelta(days=DAYS))
    assert read == [["ts"]]
    assert result.contract is None and result.status == "ok"
    assert len(result.volume) == 24 and result.predictions.status == "ok"


def test_a_contract_column_the_logs_no_longer_hold_is_a_finding(clean: Project) -> None:
    # the config now logs a metadata column that no stored file holds (written before it)
    text = clean.config_path.read_text().replace(
        "  error: error\n", "  error: error\n  metadata: [region]\n"
    )
    clean.config_path.write_text(text)
    contract = clean.write(
        "contract.yaml", "columns:\n  region: {kind: categorical, null_share: 0.1}\n"
    )
    result = check.run(
        clean.config(), since="1d", until=START + dt.timedelta(days=DAYS), contract=contract
    )
    assert ("contract_violation", "missing_column", "region") in {
        (f.kind, f.check, f.column) for f in result.findings
    }


def test_a_rerun_reads_unchanged_days_from_the_cache_and_recomputes_a_changed_one(
    clean: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    until = START + dt.timedelta(days=DAYS)
    shutil.rmtree(clean.store / "_cache", ignore_errors=True)  # other tests' runs filled it
    first = check.run(clean.config(), since="3d", until=until)
    assert len(list((clean.store / "_cache" / "tallies").glob("*.parquet"))) == 3
    from mlmon.health import tally as original

    tallied: list[int] = []

    def counting(frame: pl.LazyFrame, *args: Any) -> pl.DataFrame:
        tallied.append(1)
        return original.tally(frame, *args)

    monkeypatch.setattr("mlmon.ops.columns.tally", counting)
    again = check.run(clean.config(), since="3d", until=until)
    assert tallied == []  # every day from the cache
    assert again.to_dict() == first.to_dict()
    # a late file for the last day: that day, and only it, is tallied again
    late = pl.DataFrame(
        {"id": ["late-1"], "ts": [until - dt.timedelta(minutes=30)], "version": ["v1"], "pred": [1],
         "score": [0.9], "x": [0.0], "y": [1.0], "c": ["a"], "latency_ms": [1.0], "error": [None]},
        schema_overrides={"error": pl.String, "ts": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    late.write_parquet(clean.root / "late.parquet")
    ingest.run(clean.config(), [clean.root / "late.parquet"])
    third = check.run(clean.config(), since="3d", until=until)
    assert tallied == [1]
    assert third.rows == first.rows + 1
