"""retrain → promote → rollback on a real store and registry, through the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest

from mlmon.lifecycle.retrain import PROFILE
from mlmon.registry import open_registry
from mlmon.registry.artifact import load_model
from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_metrics import _store

LIFECYCLE = """\
metrics: {{min_labelled: 50}}
retrain:
  window: 3d
  holdout: 0.25
  estimator: {{class: sklearn.ensemble.HistGradientBoostingClassifier, params: {{max_iter: 30}}}}
  triggers:
    schedule: {{max_age: 30d}}
promote: {{resamples: 200, min_rows: 100, non_inferiority_margin: {margin}{extra}}}
"""


@pytest.fixture
def lproject(make_project: Callable[..., Project]) -> Callable[..., Project]:
    def make(margin: float = 0.05, extra: str = "") -> Project:
        text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
        project = make_project(text=text + LIFECYCLE.format(margin=margin, extra=extra))
        _store(project, days=6, per_day=400, labelled_days=6)
        return project

    return make


def _json(project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = project.cli("--json", *args)
    return result.code, json.loads(result.stdout)


def test_dry_run_and_check_report_without_changing_anything(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    code, doc = _json(project, "retrain", "--until", "2026-10-04", "--dry-run")
    assert code == 0
    assert doc["result"]["triggers"] == [
        {"trigger": "schedule", "fired": True, "reason": "no production version yet"}
    ]
    assert doc["result"]["version"] is None
    assert project.cli("retrain", "--until", "2026-10-04", "--check").code == 1
    assert not (project.root / "registry").exists()


def test_retrain_registers_a_seeded_candidate_with_its_lineage(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    code, doc = _json(project, "retrain", "--until", "2026-10-04")
    assert code == 0 and doc["result"]["version"] == "1"
    registry = open_registry(project.config())
    meta = registry.metadata("1")
    assert registry.aliases() == {"candidate": "1"}
    for key in (
        "created_at",
        "estimator",
        "features",
        "task",
        "training",
        "holdout_metrics",
        "artifact",
        "versions",
        "parent_version",
        "trigger",
        "config_digest",
    ):
        assert key in meta, key
    assert meta["training"]["rows"] == 1200 and meta["training"]["holdout_rows"] == 300
    assert meta["training"]["since"] == "2026-10-01T00:00:00Z"
    assert (registry.version_dir("1") / PROFILE).is_file()
    model = load_model(registry.artifact_path("1"))
    again = _json(project, "retrain", "--until", "2026-10-04", "--force", "--reason", "same data")
    assert again[1]["result"]["version"] == "2"
    twin = load_model(registry.artifact_path("2"))
    x = pl.DataFrame({"x": np.linspace(-2, 2, 50), "y": np.zeros(50), "c": ["a", "b"] * 25})
    np.testing.assert_array_equal(model.predict_proba(x), twin.predict_proba(x))
    assert registry.metadata("2")["training"]["digest"] == meta["training"]["digest"]
    assert registry.metadata("2")["trigger"]["forced"] == "same data"


def test_promote_through_the_gate_then_rollback(lproject: Callable[..., Project]) -> None:
    project = lproject()
    project.cli("retrain", "--until", "2026-10-04")
    first = project.cli("promote", "--until", "latest")
    assert first.code == 0, first.stderr
    assert "promoted: production (none) → 1" in first.stdout
    project.cli("retrain", "--until", "2026-10-05", "--force", "--reason", "new week")
    code, doc = _json(project, "promote", "--until", "latest")
    result = doc["result"]
    assert code == 0 and result["promoted"] and result["production_after"] == "2"
    gate = result["gate"]
    assert gate["metric"] == "roc_auc" and gate["rows"] >= 100
    assert gate["ci_low"] <= gate["difference"] <= gate["ci_high"]
    again = project.cli("promote", "2")
    assert again.code == 0 and "already in production; nothing to do" in again.stdout
    back = project.cli("rollback")
    assert back.code == 0
    assert back.stdout.splitlines()[0] == "rolled production back: 2 → 1"
    events = [e.event for e in open_registry(project.config()).events()]
    assert events.count("promoted") == 2 and events[-2:] == ["rolled_back", "alias_removed"]


def test_a_failed_gate_exits_1_changes_nothing_and_force_records_why(
    lproject: Callable[..., Project],
) -> None:
    project = lproject(extra=", min_absolute_change: 0.5")
    project.cli("retrain", "--until", "2026-10-04")
    assert project.cli("promote", "--until", "latest").code == 0  # no production: no rule to fail
    project.cli("retrain", "--until", "2026-10-05", "--force", "--reason", "next")
    failed = project.cli("promote", "--until", "latest")
    assert failed.code == 1
    assert (
        "FAIL  min_absolute_change: the improvement must be at least 0.5" in failed.stdout
        and "gate failed: production stays at 1" in failed.stdout
    )
    registry = open_registry(project.config())
    assert registry.aliases()["production"] == "1"
    assert registry.events()[-1].event == "gate_failed"
    forced = project.cli("promote", "--until", "latest", "--force", "--reason", "hotfix")
    assert forced.code == 0 and "forced past the gate: production 1 → 2" in forced.stdout
    assert registry.events()[-1].event == "forced" and registry.events()[-1].reason == "hotfix"


def test_a_rolled_back_version_is_withdrawn_and_not_promoted_again_without_force(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    project.cli("retrain", "--until", "2026-10-04")
    assert project.cli("promote", "--until", "latest").code == 0
    project.cli("retrain", "--until", "2026-10-05", "--force", "--reason", "new week")
    assert project.cli("promote", "--until", "latest").code == 0
    back = project.cli("rollback", "--reason", "bad promotion")
    assert back.code == 0, back.stderr
    assert back.stdout.splitlines() == [
        "rolled production back: 2 → 1",
        "withdrew version 2 as candidate: it is not promoted again without --force --reason",
    ]
    registry = open_registry(project.config())
    assert registry.aliases() == {"production": "1"}
    removed = registry.events()[-1]
    assert (removed.event, removed.alias, removed.version) == ("alias_removed", "candidate", "2")
    history = project.cli("registry", "history").stdout.splitlines()[-1]
    assert "alias_removed" in history and "2 → (removed)" in history
    # the CI recipe's `promote --until latest` no longer finds the rolled-back version ...
    again = project.cli("promote", "--until", "latest", "--dry-run")
    assert again.code == 5
    assert "has no candidate version: version 2 was withdrawn" in again.stderr
    # ... and naming it is refused too, until someone forces it with a reason
    named = project.cli("promote", "2", "--until", "latest")
    assert named.code == 5
    assert "version 2 was rolled back out of production" in named.stderr
    assert "(bad promotion)" in named.stderr and "--force --reason" in named.stderr
    assert registry.aliases() == {"production": "1"}
    forced = project.cli("promote", "2", "--until", "latest", "--force", "--reason", "fixed")
    assert forced.code == 0, forced.stderr
    assert registry.aliases()["production"] == "2"
    assert registry.events()[-1].reason == "fixed"


def test_the_reason_given_to_promote_is_recorded_whatever_the_gate_says(
    lproject: Callable[..., Project],
) -> None:
    project = lproject(extra=", min_absolute_change: 0.5")
    project.cli("retrain", "--until", "2026-10-04")
    # no production yet: the gate passes, and the forced promotion keeps its reason
    first = project.cli("promote", "--until", "latest", "--force", "--reason", "first model")
    assert first.code == 0 and "promoted: production (none) → 1" in first.stdout
    registry = open_registry(project.config())
    assert (registry.events()[-1].event, registry.events()[-1].reason) == (
        "promoted",
        "first model",
    )
    project.cli("retrain", "--until", "2026-10-05", "--force", "--reason", "next")
    failed = project.cli("promote", "--until", "latest", "--reason", "weekly gate")
    assert failed.code == 1
    assert (registry.events()[-1].event, registry.events()[-1].reason) == (
        "gate_failed",
        "weekly gate",
    )


def test_the_gate_says_what_was_required_and_what_was_seen(
    lproject: Callable[..., Project],
) -> None:
    project = lproject(margin=0.0, extra=", min_absolute_change: 0.5")
    project.cli("retrain", "--until", "2026-10-04")
    first = project.cli("promote", "--until", "latest")
    assert first.code == 0
    project.cli("retrain", "--until", "2026-10-05", "--force", "--reason", "next")
    code, doc = _json(project, "promote", "--until", "latest", "--dry-run")
    assert code == 1  # the improvement falls short of min_absolute_change
    gate = doc["result"]["gate"]
    rules = {r["rule"].split(":")[0]: r["rule"] for r in gate["rules"]}
    low, high = gate["ci_low"], gate["ci_high"]
    assert rules["non-inferiority"] == (
        "non-inferiority: the 95% interval of the improvement must lie above 0; "
        f"it is [{low:+.4f}, {high:+.4f}]"
    )
    assert rules["min_absolute_change"] == (
        "min_absolute_change: the improvement must be at least 0.5; "
        f"it is {gate['difference']:+.4f}"
    )
    assert "-0" not in " ".join(rules.values()).replace("-0.", "")


def test_too_few_rows_for_the_gate_exits_7_and_unknown_versions_exit_5(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    project.cli("retrain", "--until", "2026-10-04")
    short = project.cli("promote", "--until", "2026-10-03T08:00:00")  # holdout from 06:00
    assert short.code == 7 and "labelled rows to compare on" in short.stderr
    unknown = project.cli("promote", "9")
    assert unknown.code == 5 and "has no version '9'" in unknown.stderr


def fit_constant(features: pl.DataFrame, target: np.ndarray) -> object:
    """A user estimator function (``module:function``) for the test below."""
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="prior").fit(features, target)


def test_base_data_and_a_user_function_estimator(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + (
        "metrics: {min_labelled: 50}\n"
        "retrain:\n  window: 3d\n  base_data: base.parquet\n"
        "  estimator: {function: 'tests.integration.test_lifecycle:fit_constant'}\n"
        "  trusted_modules: [tests.integration]\n"  # the user's own module, named as trusted
        "  trusted_types: [sklearn.dummy.DummyClassifier]\n"
    )
    project = make_project(text=text)
    _store(project, days=3, per_day=200, labelled_days=3)
    rng = np.random.default_rng(0)
    pl.DataFrame(
        {"x": rng.normal(size=100), "y": rng.normal(size=100), "c": ["a"] * 100, "label": [1] * 100}
    ).write_parquet(project.root / "base.parquet")
    code, doc = _json(project, "retrain", "--until", "2026-10-04", "--force", "--reason", "t")
    assert code == 0, doc
    assert doc["result"]["training"]["rows"] == 700  # 600 logged + 100 base rows
    assert doc["result"]["training"]["base_data"].endswith("base.parquet")
    registry = open_registry(project.config())
    model = registry.load("candidate")
    assert type(model).__name__ == "DummyClassifier"


def test_drift_against_the_training_data_of_a_registered_version(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    project.cli("retrain", "--until", "2026-10-04")
    code, doc = _json(
        project,
        "drift",
        "--reference-version",
        "candidate",
        "--since",
        "2026-10-05",
        "--until",
        "2026-10-06",
    )
    result = doc["result"]
    assert code == 0, doc
    assert result["reference"]["source"] == "model loans version 1 (candidate) training data"
    assert result["reference"]["rows"] == 900  # the training rows, not the holdout
    assert [(c["column"], c["status"]) for c in result["columns"]] == [
        ("x", "ok"),
        ("y", "ok"),
        ("c", "ok"),
    ]
    assert result["prediction"]["columns"][0]["status"] == "skipped"
    assert result["multivariate"]["reason"].startswith("the reference is a training-data profile")
    unknown = project.cli("drift", "--reference-version", "7", "--until", "latest")
    assert unknown.code == 5


def test_promote_dry_run_shows_the_decision_and_changes_nothing(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    project.cli("retrain", "--until", "2026-10-04")
    registry = open_registry(project.config())
    before = registry.events_file.read_bytes()
    dry = project.cli("promote", "--until", "latest", "--dry-run")
    assert dry.code == 0
    assert dry.stdout.splitlines()[-1] == "would promote version 1 (dry run: nothing changed)"
    assert registry.aliases() == {"candidate": "1"}
    assert registry.events_file.read_bytes() == before


def test_repeating_a_retrain_on_the_same_rows_and_config_is_a_no_op(
    lproject: Callable[..., Project],
) -> None:
    project = lproject()
    assert project.cli("retrain", "--until", "2026-10-04").code == 0
    registry = open_registry(project.config())
    before = registry.events_file.read_bytes()
    again = project.cli("retrain", "--until", "2026-10-04")
    assert again.code == 0
    assert again.stdout.splitlines()[-1] == (
        "version 1 was already trained on the same rows with the same config; nothing to do"
    )
    assert registry.versions() == ["1"] and registry.events_file.read_bytes() == before
    code, doc = _json(project, "retrain", "--until", "2026-10-04")
    assert code == 0 and doc["result"]["already_trained"] == "1"
    assert doc["result"]["holdout_metrics"] is None  # nothing trained, as the README says


def test_retrain_prints_row_counts_with_thousands_separators(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=5000, on_invalid="quarantine")
    lifecycle = LIFECYCLE.format(margin=0.05, extra="").replace(
        "schedule: {max_age: 30d}", "performance: {metric: roc_auc, min: 0.1, window: 3d}"
    )
    project = make_project(text=text + lifecycle)
    _store(project, days=6, per_day=1200, labelled_days=6)
    result = project.cli("retrain", "--until", "2026-10-06", "--dry-run")
    assert result.code == 0, result.stderr
    why = next(line for line in result.stdout.splitlines() if line.startswith("performance"))
    assert re.search(r"over \d{1,3}(,\d{3})+ labelled rows", why), why
