"""CBPE in ``mlmon metrics``: estimates beside realized values, thresholds on the estimates
where labels are late, and a reference that cannot calibrate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlmon.config import parse_config
from mlmon.performance.windows import MetricsResult, compute_metrics
from mlmon.store.cache import EntryCache
from mlmon.store.ingest import ingest

CONFIG = """\
model: {{name: m, task: binary_classification, classes: [0, 1]}}
schema: {{id: id, timestamp: ts, score: score, label: label, features: {{numerical: [x]}}}}
store: {{path: store}}
metrics:
  min_labelled: 100
  thresholds: {{accuracy: {{min: 0.8}}}}
  estimate: {{reference: {{since: "2026-10-01", until: "2026-10-04"}}, use_estimates: {use}}}
"""
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _store(tmp_path: Path, *, one_class_reference: bool = False) -> None:
    """Six days of 2,000 calibrated predictions. Days 0-3 are labelled; days 4-5 are not, and
    on day 5 the scores crowd the decision boundary (the model is less sure)."""
    rng = np.random.default_rng(7)
    frames, labels = [], []
    for day in range(6):
        n = 2000
        score = rng.beta(0.5, 0.5, n) if day < 5 else rng.uniform(0.3, 0.7, n)
        label = (rng.random(n) < score).astype(int)
        if one_class_reference:
            label = np.zeros(n, dtype=int)
        ids = [f"d{day}-{i}" for i in range(n)]
        ts = [START + dt.timedelta(days=day, seconds=40 * i) for i in range(n)]
        frames.append(pl.DataFrame({"id": ids, "ts": ts, "score": score, "x": score}))
        if day < 4:
            labels.append(pl.DataFrame({"id": ids, "label": label}))
    pl.concat(frames).write_parquet(tmp_path / "p.parquet")
    pl.concat(labels).write_parquet(tmp_path / "l.parquet")
    config = parse_config(CONFIG.format(use="false"), tmp_path / "mlmon.yaml")
    ingest(config, [str(tmp_path / "p.parquet")])
    ingest(config, [str(tmp_path / "l.parquet")], labels=True)


def _run(tmp_path: Path, use: bool) -> MetricsResult:
    config = parse_config(CONFIG.format(use=str(use).lower()), tmp_path / "mlmon.yaml")
    return compute_metrics(config, START, START + dt.timedelta(days=6), fail_on="any")


def test_estimates_sit_beside_realized_values_and_track_them(tmp_path: Path) -> None:
    _store(tmp_path)
    result = _run(tmp_path, use=False).to_dict()
    assert result["estimation"]["method"] == "cbpe"
    assert result["estimation"]["labelled_reference_rows"] == 6000
    for w in result["windows"][:4]:  # labelled days: realized and estimated agree
        realized, estimated = w["metrics"]["accuracy"], w["estimated"]["accuracy"]
        assert abs(realized["value"] - estimated["value"]) < 0.03
        assert estimated["ci_low"] < estimated["value"] < estimated["ci_high"]
    late = result["windows"][5]
    assert late["labelled"] == 0 and late["metrics"]["accuracy"]["value"] is None
    # scores in [0.3, 0.7]: a calibrated model is right about 58% of the time there
    assert abs(late["estimated"]["accuracy"]["value"] - 0.58) < 0.03
    assert late["status"] == "insufficient_data" and late["breaches"] == []


def test_use_estimates_catches_the_drop_before_the_labels_arrive(tmp_path: Path) -> None:
    _store(tmp_path)
    result = _run(tmp_path, use=True)
    late = result.windows[5]
    (breach,) = late.breaches
    assert breach.metric == "accuracy" and breach.rule == "min" and breach.estimated
    assert result.status == "finding"
    assert all(not b.estimated for w in result.windows[:4] for b in w.breaches)


def test_an_estimated_verdict_within_bounds_is_ok_and_a_breach_is_a_finding(
    tmp_path: Path,
) -> None:
    _store(tmp_path)
    config = parse_config(
        CONFIG.format(use="true").replace("min: 0.8", "min: 0.7"), tmp_path / "mlmon.yaml"
    )
    # day 4 has no labels; its estimated accuracy (~0.82) is within the bound
    within = compute_metrics(config, START, START + dt.timedelta(days=5))
    day4 = within.windows[within.deciding[0]]
    assert day4.labelled == 0 and not day4.breaches
    assert (day4.status, day4.verdict, within.status) == ("ok", "estimates", "ok")
    assert within.to_dict()["windows"][-1]["verdict"] == "estimates"
    # day 5's estimated accuracy (~0.58) breaches: a finding, not insufficient_data
    breached = compute_metrics(config, START, START + dt.timedelta(days=6))
    day5 = breached.windows[breached.deciding[0]]
    assert day5.breaches and (day5.status, day5.verdict) == ("ok", "estimates")
    assert breached.status == "finding"
    # a labelled window's verdict rests on its labels
    assert breached.windows[0].verdict == "labels"


def test_without_use_estimates_a_window_short_of_labels_has_no_verdict(tmp_path: Path) -> None:
    _store(tmp_path)
    result = _run(tmp_path, use=False)
    late = result.windows[5]
    assert (late.status, late.verdict) == ("insufficient_data", None)


def test_a_reference_with_one_class_gives_no_estimates_and_says_why(tmp_path: Path) -> None:
    _store(tmp_path, one_class_reference=True)
    result = _run(tmp_path, use=True).to_dict()
    assert "one class only" in result["estimation"]["reason"]
    assert all(w["estimated"] is None for w in result["windows"])


MULTICLASS = """\
model: {name: pets, task: multiclass_classification, classes: [cat, dog, bird]}
schema:
  id: id
  timestamp: ts
  probabilities: {cat: p_cat, dog: p_dog, bird: p_bird}
  label: label
  features: {numerical: [x]}
store: {path: store}
metrics:
  min_labelled: 100
  estimate: {reference: {since: "2026-10-01", until: "2026-10-04"}}
"""


def test_multiclass_estimates_come_from_the_class_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    classes = np.array(["cat", "dog", "bird"])
    frames, labels = [], []
    for day in range(5):
        n = 3000
        proba = rng.dirichlet([1.0, 1.0, 1.0], n)
        label = classes[[rng.choice(3, p=row) for row in proba]]
        ids = [f"d{day}-{i}" for i in range(n)]
        ts = [START + dt.timedelta(days=day, seconds=25 * i) for i in range(n)]
        frames.append(
            pl.DataFrame(
                {
                    "id": ids,
                    "ts": ts,
                    "p_cat": proba[:, 0],
                    "p_dog": proba[:, 1],
                    "p_bird": proba[:, 2],
                    "x": proba[:, 0],
                }
            )
        )
        if day < 4:
            labels.append(pl.DataFrame({"id": ids, "label": label}))
    pl.concat(frames).write_parquet(tmp_path / "p.parquet")
    pl.concat(labels).write_parquet(tmp_path / "l.parquet")
    config = parse_config(MULTICLASS, tmp_path / "mlmon.yaml")
    ingest(config, [str(tmp_path / "p.parquet")])
    ingest(config, [str(tmp_path / "l.parquet")], labels=True)
    result = compute_metrics(config, START, START + dt.timedelta(days=5), fail_on="any").to_dict()
    assert len(result["estimation"]["calibration"]["applied"]) == 3  # one per class
    for w in result["windows"][:4]:
        for name in ("accuracy", "roc_auc_ovr_macro"):
            assert abs(w["metrics"][name]["value"] - w["estimated"][name]["value"]) < 0.03, name
    late = result["windows"][4]
    assert late["labelled"] == 0 and late["metrics"]["accuracy"]["value"] is None
    top = frames[4].select(pl.max_horizontal("p_cat", "p_dog", "p_bird")).to_series().mean()
    assert abs(late["estimated"]["accuracy"]["value"] - top) < 0.02


def test_the_calibration_is_cached_by_its_reference_and_refitted_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlmon.performance import calibrations
    from mlmon.performance.cbpe import fit_calibration

    _store(tmp_path)
    config = parse_config(CONFIG.format(use="false"), tmp_path / "mlmon.yaml")
    cache = tmp_path / "cache"

    def run() -> dict[str, Any]:
        end = START + dt.timedelta(days=6)
        entries = EntryCache(cache, "calibration")
        return compute_metrics(config, START, end, fail_on="any", cache=entries).to_dict()

    first = run()
    (entry,) = cache.glob("*.json")
    fit = fit_calibration  # what calibrations calls

    def refuse(*args: object) -> None:
        raise AssertionError("refitted")

    monkeypatch.setattr(calibrations, "fit_calibration", refuse)
    assert run() == first  # read from the cache: the same estimates and report, no fit
    # labels arrive (for day 4): the labels' content is part of the key, so it refits
    late = pl.DataFrame({"id": [f"d4-{i}" for i in range(50)], "label": [1] * 50})
    late.write_parquet(tmp_path / "late.parquet")
    ingest(config, [str(tmp_path / "late.parquet")], labels=True)
    with pytest.raises(AssertionError, match="refitted"):
        run()
    monkeypatch.setattr(calibrations, "fit_calibration", fit)
    assert run()["estimation"] == first["estimation"]  # same reference rows, refitted
    assert len(list(cache.glob("*.json"))) == 2
    reference = config.metrics.estimate.reference
    assert reference is not None
    current = cache / f"{calibrations.cache_key(config, reference.since, reference.until)}.json"
    assert current != entry and current.is_file()
    current.write_text("{not json")  # a damaged entry is refitted and replaced
    assert run()["estimation"] == first["estimation"]
    assert json.loads(current.read_text())["calibration"]["rows"] == 6000
