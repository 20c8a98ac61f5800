"""The promotion gate's statistics against scikit-learn, and its rules on constructed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mlmon.config.promote import GATE_METRICS
from mlmon.lifecycle.gate import (
    GateResult,
    decide,
    metric_functions,
    paired_bootstrap,
    weighted_auc,
)


def test_weighted_auc_equals_scikit_learn_with_sample_weights_and_ties() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 2000)
    score = np.round(rng.random(2000), 2)  # ties
    weights = np.bincount(rng.integers(0, 2000, 2000), minlength=2000).astype(float)
    assert weighted_auc(y, score, None) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert weighted_auc(y, score, weights) == pytest.approx(
        roc_auc_score(y, score, sample_weight=weights), abs=1e-12
    )
    with pytest.raises(ValueError):
        weighted_auc(np.zeros(5), score[:5], None)


@pytest.mark.parametrize("task", list(GATE_METRICS))
def test_every_configurable_gate_metric_exists(task: str) -> None:
    assert set(metric_functions(task, 0.5)) == set(GATE_METRICS[task])


def _scores(n: int, seed: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, np.clip(y * 0.3 + 0.35 + rng.normal(0, noise, n), 0, 1)


def test_a_clearly_better_candidate_passes_and_a_worse_one_fails() -> None:
    y, good = _scores(3000, 2, 0.15)
    rng = np.random.default_rng(3)
    worse = np.clip(good + rng.normal(0, 0.3, 3000), 0, 1)
    functions = metric_functions("binary_classification", 0.5)

    def gate(candidate: np.ndarray, production: np.ndarray) -> GateResult:
        return decide(
            y,
            candidate,
            production,
            functions,
            metric="roc_auc",
            confidence=0.95,
            resamples=300,
            seed=0,
            non_inferiority_margin=0.0,
            min_absolute_change=None,
            min_relative_change=None,
            guardrails={"brier": 0.01},
            threshold=None,
        )

    better = gate(good, worse)
    assert better.passed and better.primary is not None and better.primary.low > 0
    assert [r.passed for r in better.rules] == [True, True]
    failed = gate(worse, good)
    assert not failed.passed and failed.primary is not None and failed.primary.high < 0


def test_identical_models_pass_only_with_a_margin_and_min_change_can_fail() -> None:
    y, s = _scores(2000, 4, 0.2)
    functions = metric_functions("binary_classification", 0.5)

    def gate(margin: float, min_absolute_change: float | None) -> GateResult:
        return decide(
            y,
            s,
            s,
            functions,
            metric="roc_auc",
            confidence=0.95,
            resamples=200,
            seed=1,
            guardrails={},
            non_inferiority_margin=margin,
            min_absolute_change=min_absolute_change,
            min_relative_change=None,
            threshold=None,
        )

    same = gate(0.0, None)
    assert not same.passed  # no evidence it is not worse, at margin 0
    margin = gate(0.01, None)
    assert margin.passed
    change = gate(0.01, 0.01)
    assert not change.passed and [r.passed for r in change.rules] == [True, False]


def test_without_production_the_threshold_decides() -> None:
    y, s = _scores(1000, 5, 0.1)
    functions = metric_functions("binary_classification", 0.5)
    auc = roc_auc_score(y, s)
    for threshold, expected in ((auc - 0.01, True), (auc + 0.01, False), (None, True)):
        result = decide(
            y,
            s,
            None,
            functions,
            metric="roc_auc",
            confidence=0.95,
            resamples=100,
            seed=0,
            non_inferiority_margin=0.0,
            min_absolute_change=None,
            min_relative_change=None,
            guardrails={},
            threshold=threshold,
        )
        assert result.passed is expected
        assert result.candidate_value == pytest.approx(auc)


def test_the_bootstrap_is_seeded_and_lower_is_better_metrics_are_signed() -> None:
    y, s = _scores(500, 6, 0.2)
    worse = np.clip(s + 0.1, 0, 1)
    functions = metric_functions("binary_classification", 0.5)
    brier, higher = functions["brier"]
    a = paired_bootstrap(
        y, s, worse, brier, higher, confidence=0.9, resamples=100, seed=7, name="brier"
    )
    b = paired_bootstrap(
        y, s, worse, brier, higher, confidence=0.9, resamples=100, seed=7, name="brier"
    )
    assert a == b
    assert not higher and a.improvement > 0  # lower Brier is better: improvement is positive
