"""``mlmon check`` against real stores: each silent failure injected into real Parquet logs is
caught with the right evidence, and a clean seasonal log of 35 days raises nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from mlmon.health.result import CheckResult
from mlmon.ops import check, ingest
from tests.conftest import Project

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


def _store(project: Project, frame: pl.DataFrame) -> Project:
    config = project.config_path.read_text()
    project.config_path.write_text(config + CHECK)
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


def test_a_clean_seasonal_log_of_35_days_raises_no_finding(
    make_project: Callable[..., Project], traffic: pl.DataFrame
) -> None:
    project = _store(make_project(), traffic)
    result = _last_week(project)
    assert result.findings == ()
    assert result.status == "ok"
    judged = [v for v in result.volume if v.status != "insufficient_data"]
    assert len(judged) == 7 * 24  # every hour of the week has four earlier weeks of history
    assert sum(len(g.items) for g in result.groups) > 7 * 24 * 10  # many checks, none fired
    # quiet weekends are in the history of the same hour of the week, so they are not drops
    weekend = [v for v in judged if v.start.weekday() >= 5]
    assert weekend and all(v.status == "ok" for v in weekend)


INJECTIONS: dict[str, tuple[Inject, str, str]] = {
    # name: (change to the logs, finding kind, "check:column")
    "outage": (
        lambda f: f.filter(~_during(f, 31, 2, 5)),
        "no_data",
        "gaps:None",
    ),
    "zeros": (
        lambda f: f.with_columns(
            pl.when(_during(f, 32, 10, 16)).then(0.0).otherwise(pl.col("x")).alias("x")
        ),
        "feature_anomaly",
        "zero_share:x",
    ),
    "unit_change": (
        lambda f: f.with_columns(
            pl.when(_during(f, 32, 12, 20))
            .then(pl.col("x") * 100)
            .otherwise(pl.col("x"))
            .alias("x")
        ),
        "contract_violation",
        "out_of_range_share:x",
    ),
    "volume_drop": (
        lambda f: f.filter(~(_during(f, 31, 9, 17) & (pl.col("id").hash(1) % 10 < 6))),
        "volume_anomaly",
        "volume:None",
    ),
    "enum_flood": (
        lambda f: f.with_columns(
            pl.when(_during(f, 29, 8, 12) & (pl.col("id").hash(2) % 10 < 4))
            .then(pl.lit("zz"))
            .otherwise(pl.col("c"))
            .alias("c")
        ),
        "contract_violation",
        "new_value_share:c",
    ),
    "stuck_score": (
        lambda f: f.with_columns(
            pl.when(_during(f, 29, 18, 22)).then(0.0731).otherwise(pl.col("score")).alias("score"),
            pl.when(_during(f, 29, 18, 22)).then(0).otherwise(pl.col("pred")).alias("pred"),
        ),
        "prediction_anomaly",
        "top_share:score",
    ),
    "nulls": (
        lambda f: f.with_columns(
            pl.when(_during(f, 30, 9, 12)).then(None).otherwise(pl.col("y")).alias("y")
        ),
        "feature_anomaly",
        "null_share:y",
    ),
}


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_each_injected_silent_failure_is_caught_with_its_evidence(
    name: str, make_project: Callable[..., Project], traffic: pl.DataFrame
) -> None:
    inject, kind, key = INJECTIONS[name]
    project = _store(make_project(), inject(traffic))
    result = _last_week(project)
    found = _findings(result)
    assert key in found.get(kind, []), found
    # nothing else fires but what the one failure explains
    explained = {"volume_anomaly", "no_data"} if name in ("outage", "volume_drop") else {kind}
    if name == "stuck_score":
        explained.add("prediction_anomaly")
    assert set(found) <= explained, found
    finding = next(f for f in result.findings if f.kind == kind)
    if name == "outage":
        assert finding.summary.startswith("no rows 2026-10-08 02:00-05:00")
    elif name == "volume_drop":
        assert "2026-10-08" in finding.windows
        assert finding.evidence["change"] < -0.2 and finding.evidence["p_adjusted"] < 0.01
    else:
        evidence = finding.evidence
        assert evidence["p_adjusted"] < 0.01
        assert evidence["share"] > evidence["bound"]
        low, high = evidence["interval"]
        assert low <= evidence["share"] <= high
        assert len(evidence["examples"]) == 3  # request ids of rows behind the failure


def test_stale_predictions_and_labels_are_stale_data(
    make_project: Callable[..., Project], traffic: pl.DataFrame
) -> None:
    project = _store(make_project(), traffic)
    until = START + dt.timedelta(days=DAYS + 1)  # a day after the last row
    result = check.run(project.config(), since="1d", until=until)
    kinds = _findings(result)
    assert "freshness:predictions" in kinds["stale_data"]
    assert result.predictions.age_seconds is not None and result.predictions.age_seconds > 7200
    assert result.labels is not None and result.labels.status == "ok"  # labels 6 h late: 18 h old


def test_too_little_history_is_insufficient_data_with_the_history_needed(
    make_project: Callable[..., Project], traffic: pl.DataFrame
) -> None:
    project = _store(make_project(), traffic)
    until = START + dt.timedelta(days=10)
    result = check.run(project.config(), since="1d", until=until)
    assert result.status == "insufficient_data"
    assert result.exit_code == 7
    assert "fewer than 3 earlier weeks" in result.insufficient[0]
    assert "the store starts 2026-09-07" in result.insufficient[0]


def test_volume_reads_only_the_timestamp_column(
    make_project: Callable[..., Project], traffic: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlmon.store.scan import scan_predictions as original

    project = _store(make_project(), traffic)
    seen: list[list[str]] = []

    def spy(config, since=None, until=None, columns=None):  # type: ignore[no-untyped-def]
        seen.append(list(columns or []))
        return original(config, since, until, columns)

    monkeypatch.setattr("mlmon.store.health.scan_predictions", spy)
    project.config_path.write_text(
        project.config_path.read_text().replace(
            "reference: {since: 2026-09-07, until: 2026-09-14}", "reference: null"
        )
    )
    result = check.run(project.config(), since="1d", until=START + dt.timedelta(days=DAYS))
    assert seen == [["ts"]]
    assert result.contract is None and result.status == "ok"


def test_a_contract_column_the_logs_no_longer_hold_is_a_finding(
    make_project: Callable[..., Project], traffic: pl.DataFrame
) -> None:
    project = _store(make_project(), traffic)
    # the config now logs a metadata column that no stored file holds (written before it)
    text = project.config_path.read_text().replace(
        "  error: error\n", "  error: error\n  metadata: [region]\n"
    )
    project.config_path.write_text(text)
    contract = project.write(
        "contract.yaml", "columns:\n  region: {kind: categorical, null_share: 0.1}\n"
    )
    result = check.run(
        project.config(), since="1d", until=START + dt.timedelta(days=DAYS), contract=contract
    )
    assert ("contract_violation", "missing_column", "region") in {
        (f.kind, f.check, f.column) for f in result.findings
    }
