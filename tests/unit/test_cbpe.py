"""CBPE: the same estimates as NannyML 0.13.1 on its own datasets, estimates that track the
realized values, hand-computed expected confusion matrices, and honest sampling-error bands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from mlmon.performance.cbpe import (
    Calibration,
    CalibrationRefused,
    estimate_binary,
    estimate_multiclass,
    estimated_auc,
    expected_calibration_error,
    fit_calibration,
    fit_multiclass_calibration,
)
from mlmon.performance.estimate import Estimate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nannyml_cbpe"
NANNYML_TOLERANCE = 1e-4
"""Largest difference allowed from NannyML's per-chunk estimates (the fixtures store them)."""


def _chunks(
    name: str,
) -> Iterator[
    tuple[dict[str, Any], Calibration, dict[str, Any], dict[str, Estimate], pl.DataFrame]
]:
    data = pl.read_parquet(FIXTURES / f"{name}.parquet")
    ref = data.filter(pl.col("period") == "reference")
    analysis = data.filter(pl.col("period") == "analysis")
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    calibration = fit_calibration(ref["label"].to_numpy(), ref["score"].to_numpy())
    for chunk in expected["chunks"]:
        part = analysis[chunk["start_index"] : chunk["end_index"] + 1]
        scores = part["score"].to_numpy()
        ours = estimate_binary(
            calibration.apply(scores), scores, part["prediction"].to_numpy(), 0.95
        )
        yield expected, calibration, chunk, ours, part


@pytest.mark.parametrize("name", ["work_from_home", "car_loan"])
def test_estimates_agree_with_nannyml_per_chunk_on_its_own_datasets(name: str) -> None:
    for expected, calibration, chunk, ours, _ in _chunks(name):
        assert calibration.applied == expected["needs_calibration"]
        for metric in ("roc_auc", "accuracy"):
            value = ours[metric].value
            assert value is not None
            assert abs(value - chunk[metric]["estimated"]) < NANNYML_TOLERANCE, (metric, chunk)


@pytest.mark.parametrize("name", ["work_from_home", "car_loan"])
def test_estimates_track_the_realized_values(name: str) -> None:
    for _, _, chunk, ours, part in _chunks(name):
        y, pred, scores = (part[c].to_numpy() for c in ("label", "prediction", "score"))
        assert roc_auc_score(y, scores) == pytest.approx(chunk["roc_auc"]["realized"])
        for metric, realized in (
            ("roc_auc", roc_auc_score(y, scores)),
            ("accuracy", accuracy_score(y, pred)),
        ):
            e = ours[metric]
            assert e.value is not None and abs(e.value - realized) < 0.01, (metric, chunk)


def test_the_expected_confusion_matrix_gives_the_hand_computed_metrics() -> None:
    # TP = .9 + .8 = 1.7, FP = .3, FN = .3 + .2 = .5, TN = 1.5
    p = np.array([0.9, 0.8, 0.3, 0.2])
    e = estimate_binary(p, p, np.array([1, 1, 0, 0]), 0.95)
    assert e["accuracy"].value == pytest.approx(3.2 / 4)
    assert e["precision"].value == pytest.approx(1.7 / 2)
    assert e["recall"].value == pytest.approx(1.7 / 2.2)
    assert e["f1"].value == pytest.approx(3.4 / (3.4 + 0.3 + 0.5))


def test_with_certain_probabilities_the_estimates_are_the_realized_metrics() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    scores = np.where(y == 1, rng.uniform(0.5, 1, 500), rng.uniform(0, 0.5, 500))
    pred = (rng.random(500) < 0.8).astype(int) * y + (rng.random(500) < 0.1) * (1 - y)
    e = estimate_binary(y.astype(float), scores, pred, 0.95)
    assert e["accuracy"].value == pytest.approx(accuracy_score(y, pred))
    assert e["precision"].value == pytest.approx(precision_score(y, pred))
    assert e["recall"].value == pytest.approx(recall_score(y, pred))
    assert e["f1"].value == pytest.approx(f1_score(y, pred))
    assert e["roc_auc"].value == pytest.approx(roc_auc_score(y, scores))


def test_a_window_whose_scores_are_all_identical_has_an_estimated_auc_of_one_half() -> None:
    p = np.full(100, 0.3)
    assert estimated_auc(p, p) == pytest.approx(0.5)
    assert roc_auc_score(np.r_[np.zeros(70), np.ones(30)], p) == 0.5  # as realized
    e = estimate_binary(p, p, np.zeros(100, dtype=int), 0.95)
    assert e["accuracy"].value == pytest.approx(0.7)
    assert e["precision"].value is None and e["precision"].reason == "no predicted positives"


def test_a_reference_with_one_class_is_refused_with_the_reason() -> None:
    with pytest.raises(CalibrationRefused, match="one class only"):
        fit_calibration(np.zeros(500, dtype=int), np.linspace(0, 1, 500))


def test_calibration_is_applied_only_when_it_lowers_the_held_out_error() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 20_000)
    y = (rng.random(20_000) < p).astype(int)
    skewed = p**3  # under-confident for the positives
    c = fit_calibration(y, skewed)
    assert c.applied and c.ece_after is not None and c.ece_before is not None
    assert c.ece_after < c.ece_before
    assert expected_calibration_error(y, c.apply(skewed)) < 0.01
    # small, already calibrated samples: isotonic sometimes helps on held-out data, sometimes
    # not, and the decision follows the held-out errors exactly
    decisions = []
    for seed in range(12):
        r = np.random.default_rng(seed)
        q = r.uniform(0, 1, 300)
        c = fit_calibration((r.random(300) < q).astype(int), q)
        assert c.ece_before is not None and c.ece_after is not None
        assert c.applied == (c.ece_after < c.ece_before)
        assert c.applied or c.apply(q).tolist() == q.tolist()  # not applied: untouched
        decisions.append(c.applied)
    assert any(decisions) and not all(decisions)


def test_sampling_error_bands_cover_the_realized_value_at_their_level() -> None:
    rng = np.random.default_rng(2)
    p = rng.beta(2, 5, 2000)
    pred = (p >= 0.3).astype(int)
    e = estimate_binary(p, p, pred, 0.95)
    hits = {m: 0 for m in ("accuracy", "precision", "recall", "f1", "roc_auc")}
    draws = 400
    for _ in range(draws):
        y = (rng.random(len(p)) < p).astype(int)
        realized = {
            "accuracy": accuracy_score(y, pred),
            "precision": precision_score(y, pred),
            "recall": recall_score(y, pred),
            "f1": f1_score(y, pred),
            "roc_auc": roc_auc_score(y, p),
        }
        for m, v in realized.items():
            low, high = e[m].low, e[m].high
            assert low is not None and high is not None
            hits[m] += low <= v <= high
    for m, n in hits.items():
        assert 0.90 <= n / draws <= 0.99, (m, n / draws)


def _multiclass(
    frame: pl.DataFrame, classes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(classes)}
    return (
        frame.select([f"p_{c}" for c in classes]).to_numpy(),
        frame["prediction"].replace_strict(index).to_numpy(),
        frame["label"].replace_strict(index).to_numpy(),
    )


def test_multiclass_estimates_agree_with_nannyml_and_track_the_realized_values() -> None:
    expected = json.loads((FIXTURES / "credit_card.json").read_text())
    classes = expected["classes"]
    data = pl.read_parquet(FIXTURES / "credit_card.parquet")
    proba, _, y = _multiclass(data.filter(pl.col("period") == "reference"), classes)
    calibration = fit_multiclass_calibration(y, proba)
    analysis = data.filter(pl.col("period") == "analysis")
    for chunk in expected["chunks"]:
        proba, pred, y = _multiclass(
            analysis[chunk["start_index"] : chunk["end_index"] + 1], classes
        )
        ours = estimate_multiclass(calibration.apply(proba), proba, pred, 0.95)
        for metric, name in (("roc_auc", "roc_auc_ovr_macro"), ("accuracy", "accuracy")):
            value = ours[name].value
            assert value is not None
            assert abs(value - chunk[metric]["estimated"]) < NANNYML_TOLERANCE, (metric, chunk)
            assert abs(value - chunk[metric]["realized"]) < 0.015, (metric, chunk)
        assert roc_auc_score(y, proba, multi_class="ovr") == pytest.approx(
            chunk["roc_auc"]["realized"]
        )


def test_a_multiclass_reference_missing_a_class_is_refused_with_the_reason() -> None:
    proba = np.full((300, 3), 1 / 3)
    with pytest.raises(CalibrationRefused, match="never has class index 2"):
        fit_multiclass_calibration(np.r_[np.zeros(150), np.ones(150)].astype(int), proba)


def test_a_reference_with_a_class_of_one_row_is_refused_with_the_reason() -> None:
    y = np.zeros(500, dtype=int)
    y[3] = 1  # one positive: the stratified held-out splits cannot place it twice
    with pytest.raises(CalibrationRefused, match="a class with 1 row"):
        fit_calibration(y, np.linspace(0, 1, 500))


def test_estimated_auc_without_ties_is_the_area_under_the_expected_curve() -> None:
    # the no-tie path sums the trapezoids in one pass; the curve is built step by step here
    rng = np.random.default_rng(4)
    for n in (2, 3, 50, 4000):
        scores, p = rng.random(n), rng.random(n)
        order = np.argsort(-scores)
        q = p[order]
        tpr = np.r_[0.0, np.cumsum(q) / q.sum()]
        fpr = np.r_[0.0, np.cumsum(1 - q) / (1 - q).sum()]
        assert estimated_auc(p, scores) == pytest.approx(np.trapezoid(tpr, fpr), rel=1e-12)
        y = (rng.random(n) < 0.5).astype(float)  # certain labels: the realized AUC
        if 0 < y.sum() < n:
            assert estimated_auc(y, scores) == pytest.approx(roc_auc_score(y, scores))
    tied = np.repeat(rng.random(30), 3)  # ties: one step per tie group, as the realized AUC
    y = (rng.random(90) < 0.5).astype(float)
    assert estimated_auc(y, tied) == pytest.approx(roc_auc_score(y, tied))


def test_calibration_estimate_equals_estimate_binary_on_the_calibrated_scores() -> None:
    # Calibration.estimate calibrates each group of rows as sorted scores (the fast path
    # mlmon metrics runs); it must give what estimate_binary gives on the calibrated rows
    rng = np.random.default_rng(5)
    ref = rng.beta(2, 3, 5000)
    calibration = fit_calibration((rng.random(5000) < ref**1.5).astype(int), ref)
    assert calibration.applied
    for scores in (rng.beta(2, 3, 3000), np.round(rng.beta(2, 3, 3000), 2)):  # with ties
        pred = (rng.random(3000) < scores).astype(int)
        fast = calibration.estimate(scores, pred, 0.9)
        slow = estimate_binary(calibration.apply(scores), scores, pred, 0.9)
        for name, estimate in slow.items():
            assert (fast[name].value, fast[name].low, fast[name].high) == pytest.approx(
                (estimate.value, estimate.low, estimate.high), rel=1e-12
            )
    none = calibration.estimate(np.array([]), np.array([], dtype=int), 0.9)
    assert none["accuracy"].reason == "no rows"
