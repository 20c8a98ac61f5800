"""The metrics operation against a real store: windows, sklearn agreement, labels, thresholds."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

from mlmon.errors import DataError
from mlmon.performance.windows import MetricsResult, compute_metrics
from mlmon.store.ingest import ingest
from tests.conftest import BINARY_CONFIG, MULTICLASS_CONFIG, Project

UTC = dt.UTC
METRICS = """\
metrics:
  min_labelled: 50
  baseline: {since: 2026-10-01, until: 2026-10-02}
  thresholds:
    roc_auc: {min: 0.6, max_drop: 0.05, require_significance: true}
    error_rate: {max: 0.2}
"""


def _store(
    project: Project,
    days: int = 3,
    per_day: int = 400,
    labelled_days: int = 2,
    seed: int = 0,
    drop_after: int = 99,
) -> pl.DataFrame:
    """Predictions over ``days`` days; labels for the first ``labelled_days``; from day
    ``drop_after`` on the labels stop following the score (quality collapses)."""
    rng = np.random.default_rng(seed)
    frames = []
    for d in range(days):
        n = per_day
        score = rng.beta(2, 3, n)
        informative = d < drop_after
        y = (rng.random(n) < (score if informative else 0.4)).astype(int)
        start = dt.datetime(2026, 10, 1 + d, tzinfo=UTC)
        frames.append(
            pl.DataFrame(
                {
                    "id": [f"d{d}-{i}" for i in range(n)],
                    "ts": [
                        start + dt.timedelta(seconds=int(s))
                        for s in np.sort(rng.integers(0, 86400, n))
                    ],
                    "version": ["v1" if i % 3 else "v2" for i in range(n)],
                    "pred": (score >= 0.4).astype(int),
                    "score": score,
                    "x": rng.normal(size=n),
                    "y": pl.Series(rng.normal(size=n)).set(pl.Series(rng.random(n) < 0.05), None),
                    "c": rng.choice(["a", "b"], n),
                    "latency_ms": rng.gamma(2.0, 10.0, n),
                    "error": pl.Series(["timeout"] * n).set(pl.Series(rng.random(n) >= 0.01), None),
                    "label": y,
                    "day": d,
                }
            )
        )
    data = pl.concat(frames)
    data.drop("label", "day").write_parquet(project.root / "p.parquet")
    labels = data.filter(pl.col("day") < labelled_days).select(
        "id", "label", (pl.col("ts") + pl.duration(hours=36)).alias("label_ts")
    )
    labels.write_parquet(project.root / "l.parquet")
    ingest(project.config(), [str(project.root / "p.parquet")])
    ingest(project.config(), [str(project.root / "l.parquet")], labels=True)
    return data


@pytest.fixture
def mproject(make_project: Callable[..., Project]) -> Project:
    return make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS
    )


def _run(
    project: Project,
    *,
    by: str | None = None,
    fail_on: str = "latest",
    baseline_window: tuple[dt.datetime, dt.datetime] | None = None,
) -> MetricsResult:
    return compute_metrics(
        project.config(),
        dt.datetime(2026, 10, 1, tzinfo=UTC),
        dt.datetime(2026, 10, 4, tzinfo=UTC),
        by=by,
        fail_on=fail_on,
        baseline_window=baseline_window,
    )


def test_daily_windows_equal_scikit_learn_on_the_same_rows(mproject: Project) -> None:
    data = _store(mproject)
    result = _run(mproject)
    assert [w.start.day for w in result.windows] == [1, 2, 3]
    for w, d in zip(result.windows[:2], range(2), strict=True):
        rows = data.filter(pl.col("day") == d)
        y, s, p = rows["label"].to_numpy(), rows["score"].to_numpy(), rows["pred"].to_numpy()
        assert w.n == w.labelled == len(rows)
        assert w.metrics["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
        assert w.metrics["f1"].value == pytest.approx(skm.f1_score(y, p), abs=1e-12)
        assert w.metrics["log_loss"].value == pytest.approx(skm.log_loss(y, s), abs=1e-9)
        assert w.metrics["error_rate"].value == pytest.approx(rows["error"].is_not_null().mean())
        assert w.metrics["latency_p95"].value == pytest.approx(
            float(np.quantile(rows["latency_ms"].to_numpy(), 0.95))
        )
        assert w.label_lag_median_hours == pytest.approx(36.0)
        assert w.metrics["missing_feature_share"].value == pytest.approx(rows["y"].is_null().mean())


def test_windows_without_enough_labels_get_no_quality_verdict(mproject: Project) -> None:
    _store(mproject)
    result = _run(mproject)
    last = result.windows[-1]
    assert (last.labelled, last.label_coverage, last.status) == (0, 0.0, "insufficient_data")
    assert last.metrics["roc_auc"].value is None
    assert last.metrics["roc_auc"].reason == "0 labelled rows < metrics.min_labelled (50)"
    assert last.metrics["error_rate"].value is not None  # operational metrics still reported
    assert result.status == "insufficient_data"  # the latest window decides


def test_a_quality_drop_breaches_min_and_max_drop(mproject: Project) -> None:
    _store(mproject, labelled_days=3, drop_after=2)
    baseline = (dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 10, 2, tzinfo=UTC))
    result = _run(mproject, baseline_window=baseline)
    assert result.status == "finding"
    last = result.windows[-1]
    rules = {(b.metric, b.rule) for b in last.breaches}
    assert rules == {("roc_auc", "min"), ("roc_auc", "max_drop")}
    drop = next(b for b in last.breaches if b.rule == "max_drop")
    assert result.baseline is not None
    baseline_auc = result.baseline["roc_auc"].value
    assert baseline_auc is not None
    assert drop.bound == pytest.approx(baseline_auc - 0.05)
    assert not result.windows[0].breaches


def test_fail_on_any_makes_every_window_decide(mproject: Project) -> None:
    _store(mproject, labelled_days=3, drop_after=1)
    assert _run(mproject, fail_on="any").deciding == (0, 1, 2)
    assert _run(mproject).deciding == (2,)


def test_split_by_model_version(mproject: Project) -> None:
    _store(mproject)
    result = _run(mproject, by="model_version")
    assert [(w.start.day, w.by) for w in result.windows][:2] == [(1, "v1"), (1, "v2")]
    assert sum(w.n for w in result.windows if w.start.day == 1) == 400


def test_an_empty_window_is_a_data_error(mproject: Project) -> None:
    _store(mproject)
    with pytest.raises(DataError, match=r"no predictions in the window 2027-01-01T00:00:00Z"):
        compute_metrics(
            mproject.config(),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
            dt.datetime(2027, 1, 2, tzinfo=UTC),
        )


def test_multiclass_windows_equal_scikit_learn(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.config_path.write_text(MULTICLASS_CONFIG + "metrics: {min_labelled: 10}\n")
    rng = np.random.default_rng(5)
    n = 600
    logits = rng.normal(size=(n, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random((n, 1)) > np.cumsum(proba, axis=1)).sum(axis=1)
    classes = np.array(["cat", "dog", "bird"])
    start = dt.datetime(2026, 10, 1, tzinfo=UTC)
    preds = pl.DataFrame(
        {
            "id": [f"m{i}" for i in range(n)],
            "ts": [start + dt.timedelta(minutes=4 * i) for i in range(n)],
            "pred": classes[proba.argmax(axis=1)],
            "p_cat": proba[:, 0],
            "p_dog": proba[:, 1],
            "p_bird": proba[:, 2],
            "x": rng.normal(size=n),
        }
    )
    preds.write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"id": preds["id"], "label": classes[y]}).write_parquet(tmp_path / "l.parquet")
    ingest(project.config(), [str(tmp_path / "p.parquet")])
    ingest(project.config(), [str(tmp_path / "l.parquet")], labels=True)
    result = compute_metrics(project.config(), start, start + dt.timedelta(days=2))
    day1 = result.windows[0]
    rows = preds.with_row_index().filter(pl.col("ts") < start + dt.timedelta(days=1))
    idx = rows["index"].to_numpy()
    assert day1.n == len(idx) == 360
    assert day1.metrics["f1_macro"].value == pytest.approx(
        skm.f1_score(y[idx], proba[idx].argmax(axis=1), average="macro"), abs=1e-12
    )
    assert day1.metrics["roc_auc_ovr_macro"].value == pytest.approx(
        skm.roc_auc_score(y[idx], proba[idx], multi_class="ovr"), abs=1e-12
    )
    assert day1.metrics["recall[dog]"].value is not None


def test_a_metrics_result_cannot_be_changed_through_its_windows(mproject: Project) -> None:
    """Frozen all the way down: a caller cannot turn a result's status by editing a window,
    its metrics, its breaches or the deciding windows."""
    _store(mproject, labelled_days=3, drop_after=2)
    result = _run(mproject)
    status, document = result.status, result.to_dict()
    window = result.windows[-1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        window.status = "ok"  # type: ignore[misc]
    with pytest.raises(TypeError):
        window.metrics["roc_auc"] = window.metrics["accuracy"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        result.deciding.clear()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        window.breaches.append(window.breaches[0])  # type: ignore[attr-defined]
    assert (result.status, result.to_dict()) == (status, document)
