"""The ingest, retrain and promote operations called from Python (mlmon.ops), on real stores
and registries: ``until="latest"`` without the CLI, dry runs that change nothing and tell the
alert sinks nothing, frozen results with typed fields."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from mlmon.errors import ExitCode, UsageError
from mlmon.lifecycle.triggers import schedule_trigger
from mlmon.ops import ingest, promote, retrain
from mlmon.registry import open_registry
from tests.conftest import BINARY_CONFIG, GOOD_ROWS, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store

UTC = dt.UTC


@pytest.fixture
def lproject(make_project: Callable[..., Project]) -> Project:
    """Six labelled days (2026-10-01 to 2026-10-06) in the store, no registry yet."""
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
    _store(project, days=6, per_day=400, labelled_days=6)
    return project


def test_retrain_until_latest_from_python_ends_at_the_day_of_the_newest_row(
    lproject: Project,
) -> None:
    result = retrain.run(lproject.config(), until="latest")
    assert (result.status, result.exit_code, result.alerts) == ("ok", ExitCode.OK, True)
    assert result.version == "1" and result.training is not None
    assert result.training.until == "2026-10-07T00:00:00Z"
    assert result.training.since == "2026-10-04T00:00:00Z"  # retrain.window: 3d
    assert (result.training.rows, result.training.holdout_rows) == (1200, 300)
    assert result.holdout_metrics is not None and result.holdout_metrics.production is None
    auc = result.holdout_metrics.candidate["roc_auc"].value
    assert auc is not None and 0.5 < auc <= 1
    meta = open_registry(lproject.config()).metadata("1")
    assert meta["training"] == result.to_dict()["training"]
    assert meta["holdout_metrics"] == result.to_dict()["holdout_metrics"]["candidate"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.version = "2"  # type: ignore[misc]


def test_retrain_takes_a_datetime_and_a_repeat_registers_nothing(lproject: Project) -> None:
    until = dt.datetime(2026, 10, 4, tzinfo=UTC)
    first = retrain.run(lproject.config(), until=until)
    assert first.version == "1"
    assert first.training is not None and first.training.until == "2026-10-04T00:00:00Z"
    again = retrain.run(lproject.config(), until="2026-10-04", force=None)
    # the schedule trigger fires again (no production yet), but the rows and config are the same
    assert again.triggered and again.version is None and again.already == "1"
    assert open_registry(lproject.config()).versions() == ["1"]


@pytest.mark.parametrize("check", [False, True])
def test_a_retrain_dry_run_or_check_changes_nothing_and_alerts_no_one(
    lproject: Project, check: bool
) -> None:
    result = retrain.run(lproject.config(), until="latest", dry_run=not check, check=check)
    assert result.triggered and result.version is None and result.training is None
    assert result.alerts is False
    assert (result.status, result.exit_code) == (
        ("finding", ExitCode.FINDING) if check else ("ok", ExitCode.OK)
    )
    assert result.to_dict()["dry_run"] is True
    assert not (lproject.root / "registry").exists()


def test_promote_until_latest_from_python_and_a_dry_run_changes_nothing(
    lproject: Project,
) -> None:
    config = lproject.config()
    retrain.run(config, until="2026-10-04")
    first = promote.run(config, until="latest")
    assert first.promoted and (first.production_before, first.production_after) == (None, "1")
    assert first.gate is not None and first.gate.primary is None  # nothing to compare with
    retrain.run(config, until="2026-10-05", force="next week")
    registry = open_registry(config)
    events, aliases = registry.events(), registry.aliases()
    dry = promote.run(config, until="latest", dry_run=True)
    assert (dry.candidate, dry.production_before, dry.production_after) == ("2", "1", "1")
    assert dry.alerts is False and not dry.promoted
    assert dry.gate is not None and dry.gate.primary is not None
    assert dry.gate.rows >= 100 and dry.gate.primary.metric == "roc_auc"
    assert (registry.events(), registry.aliases()) == (events, aliases)
    real = promote.run(config, "2", until="latest")
    assert real.alerts is True and real.promoted and real.production_after == "2"
    assert real.gate is not None and real.to_dict()["gate"] == dry.to_dict()["gate"]
    assert registry.aliases()["production"] == "2"
    with pytest.raises(dataclasses.FrozenInstanceError):
        real.promoted = False  # type: ignore[misc]


def test_ingest_from_python_takes_one_path_and_a_dry_run_writes_nothing(
    project: Project,
) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    dry = ingest.run(project.config(), path, dry_run=True)
    assert (dry.rows_written, dry.status, dry.alerts) == (5, "ok", False)
    assert project.snapshot() == {}
    result = ingest.run(project.config(), path, fmt="csv")
    assert result.to_dict() == {**dry.to_dict(), "dry_run": False}
    assert result.partitions == ("2026-10-01", "2026-10-02", "2026-10-03")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.files[0].rows_written = 0  # type: ignore[misc]


def test_ingest_from_python_takes_paths_as_pathlib_paths_too(project: Project) -> None:
    path = project.csv("a.csv", GOOD_ROWS)
    one = ingest.run(project.config(), path, dry_run=True)
    several = ingest.run(project.config(), [path, str(path)], dry_run=True)
    assert one.rows_written == 5
    assert [f.path for f in several.files] == [str(path), str(path)]


def test_ingest_from_python_refuses_an_unknown_format(project: Project) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    with pytest.raises(UsageError, match="--format: 'xlsx' is not one of csv, jsonl, parquet"):
        ingest.run(project.config(), [path], fmt="xlsx")
    assert project.snapshot() == {}


def test_the_schedule_trigger_decides_on_given_data() -> None:
    now = dt.datetime(2026, 10, 31, tzinfo=UTC)
    assert schedule_trigger("m", None, None, 86400.0, now).fired
    old = schedule_trigger("m", "3", "2026-10-01T00:00:00Z", 7 * 86400.0, now)
    assert old.fired and old.reason == "production version 3 is 30.0 days old (max 7)"
    fresh = schedule_trigger("m", "3", "2026-10-30T00:00:00Z", 7 * 86400.0, now)
    assert not fresh.fired and fresh.to_dict()["age_days"] == 1.0
