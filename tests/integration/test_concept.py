"""Concept drift in ``mlmon drift``: change points on a real store's labelled errors, state
that continues one stream across runs, and the reference-vs-current error comparison."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlmon.concept.run import ConceptSection
from mlmon.config import Config, parse_config
from mlmon.datadrift.result import DriftResult
from mlmon.errors import ConfigError
from mlmon.ops.drift import compute_drift
from mlmon.store.ingest import ingest

CONFIG = """\
model: {{name: m, task: {task}, {classes}}}
schema:
  id: id
  timestamp: ts
  prediction: pred
  label: label
  features: {{numerical: [x]}}
store: {{path: store}}
registry: {{path: registry}}
drift:
  window: 1d
  reference: {{since: "2026-10-01", until: "2026-10-05"}}
  multivariate: {{enabled: false}}
  concept: {{{concept}}}
"""
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
CHANGE = dt.datetime(2026, 10, 8, tzinfo=dt.UTC)
U = dt.UTC


def _config(tmp_path: Path, concept: str = "", task: str = "binary_classification") -> Config:
    classes = "classes: [0, 1]" if task != "regression" else ""
    text = CONFIG.format(task=task, classes=classes, concept=concept)
    return parse_config(text, tmp_path / "mlmon.yaml")


def _store(
    tmp_path: Path, *, regression: bool = False, days: int = 12, per_day: int = 2000
) -> None:
    """Predictions and labels, one row every 43.2 s; the model's error rate goes 0.1 → 0.3 at
    CHANGE (regression: the absolute error's scale goes 1 → 3)."""
    rng = np.random.default_rng(42)
    n = days * per_day
    ts = [START + dt.timedelta(seconds=86400 / per_day * i) for i in range(n)]
    after = np.array([t >= CHANGE for t in ts])
    label: np.ndarray = rng.integers(0, 2, n)
    if regression:
        truth = rng.normal(0, 1, n)
        pred = truth + rng.normal(0, np.where(after, 3.0, 1.0))
        label = truth
    else:
        wrong = rng.random(n) < np.where(after, 0.3, 0.1)
        pred = np.where(wrong, 1 - label, label)
    ids = [f"r{i}" for i in range(n)]
    frame = pl.DataFrame({"id": ids, "ts": ts, "pred": pred, "x": rng.normal(0, 1, n)})
    frame.write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"id": ids, "label": label}).write_parquet(tmp_path / "l.parquet")
    config = _config(tmp_path, task="regression" if regression else "binary_classification")
    ingest(config, [str(tmp_path / "p.parquet")])
    ingest(config, [str(tmp_path / "l.parquet")], labels=True)


def _day(d: int) -> dt.datetime:
    return START + dt.timedelta(days=d)


def test_ddm_finds_the_rise_in_error_rate_with_its_time_and_the_rates_around_it(
    tmp_path: Path,
) -> None:
    _store(tmp_path)
    result = compute_drift(_config(tmp_path), since=_day(5), until=_day(12))
    concept = result.to_dict()["concept"]
    assert concept["stream"] == "misclassification" and concept["status"] == "drifted"
    (ddm,) = concept["detectors"]
    assert ddm["detector"] == "ddm" and ddm["params"]["warm_start"] == 1000
    point, *later = ddm["change_points"]
    assert not any(
        p["drifted"] for p in later
    )  # a later false alarm at the same rate is no finding
    moment = dt.datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00"))
    assert CHANGE <= moment < CHANGE + dt.timedelta(hours=6)  # within 500 rows of the change
    assert point["error_before"] == pytest.approx(0.1, abs=0.02)
    assert point["error_after"] == pytest.approx(0.3, abs=0.03)
    assert point["direction"] == "increase" and point["drifted"]
    assert point["warning_since"] is not None
    comparison = concept["comparison"]  # current (days 5-12) against the reference (days 0-4)
    assert comparison["measure"] == "error_rate" and comparison["drifted"]
    low, high = comparison["interval"]
    assert low < comparison["difference"] < high and low > 0
    assert result.status == "finding"


def test_consecutive_runs_continue_one_stream_and_a_rerun_repeats_its_report(
    tmp_path: Path,
) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    whole = compute_drift(
        _config(tmp_path, "persist: false"), since=_day(5), until=_day(12)
    ).to_dict()["concept"]["detectors"][0]["change_points"]
    parts = []
    for a, b in [(5, 7), (7, 9), (9, 12)]:
        parts += compute_drift(
            config, since=_day(a), until=_day(b), until_is_present=True
        ).to_dict()["concept"]["detectors"][0]["change_points"]
    assert [p["timestamp"] for p in parts] == [p["timestamp"] for p in whole]
    state = tmp_path / "store/_state/concept/m/unversioned/ddm.json"
    saved = json.loads(state.read_text())
    assert saved["high_water"] == "2026-10-12T23:59:16.800000Z"  # the last row's time
    again = compute_drift(config, since=_day(7), until=_day(9), until_is_present=True).to_dict()[
        "concept"
    ]
    assert again["detectors"][0]["rows_read"] == 0  # nothing newer than the state
    assert [p["timestamp"] for p in again["detectors"][0]["change_points"]] == [
        p["timestamp"] for p in whole if "2026-10-08" <= p["timestamp"] < "2026-10-10"
    ]


def test_a_new_production_version_starts_a_fresh_stream(tmp_path: Path) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    compute_drift(config, since=_day(5), until=_day(9), until_is_present=True)
    aliases = tmp_path / "registry/m/aliases"
    aliases.mkdir(parents=True)
    (aliases / "production").write_text("3\n")
    later = _section(compute_drift(config, since=_day(9), until=_day(10), until_is_present=True))
    assert later.state is not None and later.state.endswith("_state/concept/m/3")
    assert later.detectors[0].since_reset == later.detectors[0].rows_read == 2000


def test_regression_uses_adwin_on_the_absolute_error(tmp_path: Path) -> None:
    _store(tmp_path, regression=True)
    concept = compute_drift(
        _config(tmp_path, task="regression"), since=_day(5), until=_day(12)
    ).to_dict()["concept"]
    assert concept["stream"] == "absolute_error" and concept["status"] == "drifted"
    (adwin,) = concept["detectors"]
    assert adwin["detector"] == "adwin"
    first = adwin["change_points"][0]
    moment = dt.datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert CHANGE <= moment < CHANGE + dt.timedelta(hours=6)
    assert first["error_after"] > 2 * first["error_before"]
    comparison = concept["comparison"]
    assert comparison["measure"] == "mean_absolute_error" and comparison["test"] == "welch_t"
    assert comparison["drifted"]


def test_a_window_without_labels_skips_concept_drift(tmp_path: Path) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    (tmp_path / "late.parquet").write_bytes(b"")
    pl.DataFrame(
        {"id": ["z1", "z2"], "ts": [_day(20), _day(20)], "pred": [1, 0], "x": [0.1, 0.2]}
    ).write_parquet(tmp_path / "late.parquet")
    ingest(config, [str(tmp_path / "late.parquet")])
    concept = _section(compute_drift(config, since=_day(20), until=_day(21)))
    assert concept.status == "skipped" and concept.drifted is False
    assert concept.reason == "no labelled predictions in the current window"
    assert concept.detectors == [] and concept.state is None


def test_a_stream_shorter_than_the_warm_up_is_insufficient_data_not_no_drift(
    tmp_path: Path,
) -> None:
    _store(tmp_path, days=6, per_day=100)
    concept = _section(
        compute_drift(_config(tmp_path, "persist: false"), since=_day(5), until=_day(6))
    )
    (ddm,) = concept.detectors
    assert ddm.rows_read == 100 < ddm.warm_up == 1001
    assert ddm.status == "insufficient_data"


def test_adwin_on_the_error_indicator_needs_its_0_1_warm_up(tmp_path: Path) -> None:
    # ADWIN can detect from update 32 on unbounded values, but a 0/1 stream steps by 1 at
    # most: with 48 labelled rows there is no verdict yet, and with 100 there is
    _store(tmp_path, days=6, per_day=48)
    config = _config(tmp_path, "persist: false, detectors: {adwin: {}}")
    concept = _section(compute_drift(config, since=_day(5), until=_day(6)))
    (adwin,) = concept.detectors
    assert adwin.rows_read == 48 < adwin.warm_up == 64
    assert adwin.status == "insufficient_data"
    concept = _section(compute_drift(config, since=_day(3), until=_day(6)))
    assert concept.detectors[0].rows_read == 144
    assert concept.detectors[0].status in ("ok", "drifted")


@pytest.mark.parametrize(
    ("concept", "task", "message"),
    [
        (
            "detectors: {ddn: {}}",
            "binary_classification",
            "drift.concept.detectors.ddn: unknown detector; choose from: ddm, eddm, hddm_a",
        ),
        (
            "detectors: {ddm: {drift_threshold: -1}}",
            "binary_classification",
            "drift.concept.detectors.ddm: drift_threshold must be a number > 0 (got -1)",
        ),
        (
            "detectors: {ddm: {}}",
            "regression",
            "drift.concept.detectors.ddm: reads a 0/1 error indicator, but a regression model's "
            "errors are numbers; choose from: adwin, page_hinkley, kswin",
        ),
    ],
)
def test_a_bad_detector_in_the_config_is_a_config_error_naming_the_valid_values(
    tmp_path: Path, concept: str, task: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, concept, task=task)
    assert message in str(info.value)


def test_files_with_predictions_and_labels_get_concept_drift_without_state(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    n = 4000

    def frame(rate: float, day: int) -> pl.DataFrame:
        label = rng.integers(0, 2, n)
        wrong = rng.random(n) < rate
        ts = [_day(day) + dt.timedelta(seconds=10 * i) for i in range(n)]
        return pl.DataFrame(
            {
                "id": range(n),
                "ts": ts,
                "pred": np.where(wrong, 1 - label, label),
                "label": label,
                "x": rng.normal(0, 1, n),
            }
        )

    frame(0.1, 0).write_parquet(tmp_path / "ref.parquet")
    cur = pl.concat([frame(0.1, 1).head(2000), frame(0.35, 1).tail(2000)])
    cur.write_parquet(tmp_path / "cur.parquet")
    result = compute_drift(
        _config(tmp_path),
        reference_path=tmp_path / "ref.parquet",
        current_path=tmp_path / "cur.parquet",
    ).to_dict()["concept"]
    assert result["state"] is None and result["status"] == "drifted"
    assert result["comparison"]["difference"] == pytest.approx(0.125, abs=0.03)
    assert not (tmp_path / "store/_state").exists()


def test_csv_files_with_text_timestamps_get_concept_drift(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 3000
    label = rng.integers(0, 2, n)

    def write(name: str, rate: float) -> Path:
        wrong = rng.random(n) < rate
        frame = pl.DataFrame(
            {
                "id": range(n),
                "ts": [
                    f"2026-10-0{1 + i // 1440}T{i % 1440 // 60:02d}:{i % 60:02d}:00Z"
                    for i in range(n)
                ],
                "pred": np.where(wrong, 1 - label, label),
                "label": label,
                "x": rng.normal(0, 1, n),
            }
        )
        frame.write_csv(tmp_path / name)
        return tmp_path / name

    ref, cur = write("ref.csv", 0.1), write("cur.csv", 0.3)
    concept = compute_drift(_config(tmp_path), reference_path=ref, current_path=cur).to_dict()[
        "concept"
    ]
    assert concept["n_labelled"] == n and concept["comparison"]["drifted"]
    assert concept["comparison"]["difference"] == pytest.approx(0.2, abs=0.03)


def test_non_finite_regression_errors_are_left_out_of_the_stream(tmp_path: Path) -> None:
    _store(tmp_path, regression=True)
    config = _config(tmp_path, task="regression")
    pl.DataFrame(
        {
            "id": ["nan1"],
            "ts": [_day(11) + dt.timedelta(seconds=1)],
            "pred": [float("nan")],
            "x": [0.0],
        }
    ).write_parquet(tmp_path / "nan.parquet")
    pl.DataFrame({"id": ["nan1"], "label": [1.0]}).write_parquet(tmp_path / "nanl.parquet")
    ingest(config, [str(tmp_path / "nan.parquet")])
    ingest(config, [str(tmp_path / "nanl.parquet")], labels=True)
    concept = compute_drift(config, since=_day(5), until=_day(12), until_is_present=True).to_dict()[
        "concept"
    ]
    assert concept["error"] is not None and math.isfinite(concept["error"])
    assert concept["status"] == "drifted"  # the NaN did not blind ADWIN
    state = (tmp_path / "store/_state/concept/m/unversioned/adwin.json").read_text()
    assert "nan" not in state


def test_a_held_concept_state_lock_is_reported_with_the_right_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import os

    import mlmon.concept.state as concept_state
    from mlmon.errors import LockTimeoutError

    _store(tmp_path, days=6, per_day=200)
    config = _config(tmp_path)
    compute_drift(
        config, since=_day(5), until=_day(6), until_is_present=True
    )  # creates the state and its lock file
    lock = tmp_path / "store/_state/concept/m/unversioned/ddm.lock"
    fd = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another run holds it
    monkeypatch.setattr(concept_state, "STATE_LOCK_TIMEOUT", 0.2)
    try:
        with pytest.raises(LockTimeoutError) as info:
            compute_drift(config, since=_day(5), until=_day(6), until_is_present=True)
    finally:
        os.close(fd)
    assert info.value.message.startswith("the concept state is locked by another mlmon process")
    assert info.value.hint == (
        "another mlmon run has held it for 5 minutes; it is released when that run exits"
    )


CBPE_CONFIG = """\
model: {name: m, task: binary_classification, classes: [0, 1]}
schema:
  id: id
  timestamp: ts
  prediction: pred
  score: score
  label: label
  features: {numerical: [x]}
store: {path: store}
registry: {path: registry}
metrics:
  baseline: {since: "2026-10-01", until: "2026-10-06"}
drift:
  window: 1d
  reference: {since: "2026-10-01", until: "2026-10-06"}
  multivariate: {enabled: false}
  concept: {persist: false}
"""


def _cbpe_store(tmp_path: Path, *, spread: float = 1.5, slope: float = 2.0) -> None:
    """A calibrated binary model, score = P(y=1|x) = σ(2x), x ~ N(0, 1.5), for five days
    (the reference); then five days where x ~ N(0, ``spread``) (covariate shift: more rows
    near the decision boundary, so more errors, with P(y|x) unchanged) and the labels
    follow σ(``slope``·x) (concept change when the slope is not 2; the score still says
    σ(2x))."""
    from scipy.special import expit

    rng = np.random.default_rng(7)
    per_day, days = 2000, 10
    n = per_day * days
    ts = [START + dt.timedelta(seconds=86400 / per_day * i) for i in range(n)]
    later = np.arange(n) >= 5 * per_day
    x = rng.normal(0, np.where(later, spread, 1.5))
    score = expit(2 * x)
    label = (rng.random(n) < expit(np.where(later, slope, 2.0) * x)).astype(int)
    ids = [f"r{i}" for i in range(n)]
    pl.DataFrame(
        {"id": ids, "ts": ts, "pred": (score >= 0.5).astype(int), "score": score, "x": x}
    ).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"id": ids, "label": label}).write_parquet(tmp_path / "l.parquet")
    config = parse_config(CBPE_CONFIG, tmp_path / "mlmon.yaml")
    ingest(config, [str(tmp_path / "p.parquet")])
    ingest(config, [str(tmp_path / "l.parquet")], labels=True)


def test_pure_covariate_shift_raises_the_error_as_cbpe_expects_and_is_no_concept_drift(
    tmp_path: Path,
) -> None:
    _cbpe_store(tmp_path, spread=0.5)  # inputs crowd the boundary; P(y|x) unchanged
    config = parse_config(CBPE_CONFIG, tmp_path / "mlmon.yaml")
    concept = compute_drift(config, since=_day(5), until=_day(10)).to_dict()["concept"]
    c = concept["comparison"]
    # the plain reference-vs-current comparison fires: the error doubled ...
    assert c["plain_drifted"] is True
    assert c["difference"] > 0.1 and c["interval"][0] > 0.02
    # ... but CBPE expects that rise on this population: no concept drift
    assert c["basis"] == "expected_error" and c["basis_reason"] is None
    e = c["expected"]
    assert e["test"] == "paired_t" and e["n"] == 10_000
    assert e["population_change"] == pytest.approx(c["difference"], abs=0.02)
    assert abs(e["unexplained_change"]) < 0.02
    assert e["interval"][0] < 0 < e["interval"][1] or e["interval"][1] < 0.02
    assert e["drifted"] is False and c["drifted"] is False
    assert concept["drifted"] is False and concept["status"] == "ok"
    # the two parts add up to the plain change (all rows have a score)
    assert e["population_change"] + e["unexplained_change"] == pytest.approx(c["difference"])


def test_a_changed_relation_between_inputs_and_labels_is_concept_drift_beyond_cbpe(
    tmp_path: Path,
) -> None:
    _cbpe_store(tmp_path, slope=0.8)  # same inputs, labels follow x less: the score is wrong
    config = parse_config(CBPE_CONFIG, tmp_path / "mlmon.yaml")
    concept = _section(compute_drift(config, since=_day(5), until=_day(10)))
    c = concept.comparison
    assert c is not None and c.basis == "expected_error"
    e = c.expected
    assert e is not None and e.population_change is not None
    assert abs(e.population_change) < 0.02  # the population did not move
    assert e.unexplained_change == pytest.approx(0.135, abs=0.02)
    assert e.low is not None and e.low > 0.1 and e.p_value is not None and e.p_value < 1e-6
    assert e.finding is True and c.drifted is True and concept.drifted is True


def test_without_a_calibration_the_plain_comparison_decides_and_says_why(
    tmp_path: Path,
) -> None:
    _cbpe_store(tmp_path, spread=0.5)
    text = CBPE_CONFIG.replace("metrics:\n", "metrics:\n  estimate: {enabled: false}\n")
    config = parse_config(text, tmp_path / "mlmon.yaml")
    c = _section(compute_drift(config, since=_day(5), until=_day(10))).comparison
    assert c is not None and c.basis == "reference" and c.expected is None
    assert c.basis_reason == "no CBPE calibration: metrics.estimate.enabled is false"
    assert c.drifted is True and c.plain_drifted is True


def _section(result: DriftResult) -> ConceptSection:
    """The result's concept section, as the operation computes it."""
    assert isinstance(result.concept, ConceptSection)
    return result.concept


def _ddm(result: DriftResult) -> dict[str, Any]:
    ddm: dict[str, Any] = result.to_dict()["concept"]["detectors"][0]
    return ddm


def test_an_explicit_past_range_leaves_the_saved_stream_untouched_and_cron_continues_it(
    tmp_path: Path,
) -> None:
    runs = {}
    for name, exploratory in (("plain", False), ("explored", True)):
        root = tmp_path / name
        root.mkdir()
        _store(root)
        config = _config(root)
        compute_drift(config, since=_day(5), until=_day(8), until_is_present=True)
        state = root / "store/_state/concept/m/unversioned/ddm.json"
        before = state.read_bytes()
        if exploratory:
            ad_hoc = compute_drift(config, since=_day(9), until=_day(11))
            concept = ad_hoc.to_dict()["concept"]
            assert concept["mode"] == "stateless" and concept["state"] is None
            assert concept["detectors"][0]["rows_read"] == 4000  # the range, from a fresh DDM
            assert state.read_bytes() == before  # the cron stream did not move
        runs[name] = _ddm(
            compute_drift(config, since=_day(7), until=_day(12), until_is_present=True)
        )
        assert state.read_bytes() != before
    assert runs["explored"] == runs["plain"]  # the next cron run continues as if none happened
    assert runs["plain"]["rows_read"] == 8000  # days 8-11: what the stream had not read


def test_an_earlier_range_after_a_later_one_is_judged_not_insufficient_data(
    tmp_path: Path,
) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    compute_drift(config, since=_day(8), until=_day(12), until_is_present=True)
    earlier = compute_drift(config, since=_day(5), until=_day(7)).to_dict()["concept"]
    (ddm,) = earlier["detectors"]
    assert earlier["mode"] == "stateless"
    assert ddm["rows_read"] == 4000 and ddm["status"] == "ok" and ddm["reason"] is None
    # even ending at the present, a window that starts before the saved stream's first row
    # holds rows the stream never read, and it only moves forward: stateless too
    state = tmp_path / "store/_state/concept/m/unversioned/ddm.json"
    saved = state.read_bytes()
    wider = compute_drift(config, since=_day(5), until=_day(12), until_is_present=True)
    concept = wider.to_dict()["concept"]
    assert concept["mode"] == "stateless"
    assert concept["mode_reason"] == (
        "the window starts before the saved stream's start (2026-10-09T00:00:00Z)"
    )
    assert concept["detectors"][0]["rows_read"] == 14000
    assert state.read_bytes() == saved


def test_a_change_point_keeps_its_errors_and_direction_whatever_window_shows_it(
    tmp_path: Path,
) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    first = _ddm(compute_drift(config, since=_day(5), until=_day(9), until_is_present=True))
    point = first["change_points"][0]
    assert point["direction"] == "increase" and point["drifted"]
    moment = dt.datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00"))
    # a later cron run whose window begins 20 minutes before the change point: the error
    # before it is the stream's, not that of the window's few rows before it
    later = compute_drift(
        config, since=moment - dt.timedelta(minutes=20), until=_day(12), until_is_present=True
    )
    again = next(p for p in _ddm(later)["change_points"] if p["timestamp"] == point["timestamp"])
    assert again["error_before"] == point["error_before"]
    assert again["n_before"] == point["n_before"]
    assert again["direction"] == point["direction"] == "increase"
    # and an ad-hoc run over the same range as the first reports it the same way
    ad_hoc = _ddm(compute_drift(config, since=_day(5), until=_day(9)))
    assert ad_hoc["change_points"][0] == point


def test_reset_concept_state_discards_the_saved_stream(tmp_path: Path) -> None:
    _store(tmp_path)
    config = _config(tmp_path)
    compute_drift(config, since=_day(8), until=_day(12), until_is_present=True)
    state = tmp_path / "store/_state/concept/m/unversioned/ddm.json"
    assert state.exists()
    fresh = compute_drift(
        config, since=_day(5), until=_day(12), until_is_present=True, reset_concept_state=True
    ).to_dict()["concept"]
    assert fresh["state_reset"] == {
        "directory": str(tmp_path / "store/_state/concept/m"),
        "files": 1,
    }
    assert fresh["mode"] == "stateful"
    assert fresh["detectors"][0]["rows_read"] == 14000  # a new stream from the window's start
    assert json.loads(state.read_text())["first_read"] == "2026-10-06T00:00:00Z"


def test_multiclass_models_are_judged_against_the_calibrated_predicted_class_probability(
    tmp_path: Path,
) -> None:
    # three classes, probabilities softmax(x·w) that the labels follow; then inputs crowd the
    # region where the classes overlap: more errors, all of them expected
    rng = np.random.default_rng(11)
    per_day, days = 2000, 10
    n = per_day * days
    later = np.arange(n) >= 5 * per_day
    x = rng.normal(0, np.where(later, 0.4, 1.5))
    logits = np.column_stack([-2 * x, np.zeros(n), 2 * x])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    label = np.array([rng.choice(3, p=p) for p in proba])
    names = ["a", "b", "c"]
    ids = [f"r{i}" for i in range(n)]
    ts = [START + dt.timedelta(seconds=86400 / per_day * i) for i in range(n)]
    frame = {"id": ids, "ts": ts, "x": x, "pred": [names[i] for i in proba.argmax(axis=1)]}
    frame |= {f"p_{c}": proba[:, i] for i, c in enumerate(names)}
    pl.DataFrame(frame).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"id": ids, "label": [names[i] for i in label]}).write_parquet(
        tmp_path / "l.parquet"
    )
    text = CBPE_CONFIG.replace(
        "task: binary_classification, classes: [0, 1]",
        "task: multiclass_classification, classes: [a, b, c]",
    ).replace("  score: score\n", "  probabilities: {a: p_a, b: p_b, c: p_c}\n")
    config = parse_config(text, tmp_path / "mlmon.yaml")
    ingest(config, [str(tmp_path / "p.parquet")])
    ingest(config, [str(tmp_path / "l.parquet")], labels=True)
    c = compute_drift(config, since=_day(5), until=_day(10)).to_dict()["concept"]["comparison"]
    assert c["basis"] == "expected_error" and c["plain_drifted"] is True
    assert abs(c["expected"]["unexplained_change"]) < 0.02 and c["drifted"] is False
