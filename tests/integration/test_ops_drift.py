"""``mlmon.ops.drift.run``, the drift operation, called directly: it resolves the window as
the command line does, owns the reference profile's cache and the concept detectors' saved
stream, and returns a frozen result whose status gives the exit code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable

import pytest

from mlmon.errors import ExitCode, UsageError
from mlmon.ops import drift
from mlmon.store.layout import StoreLayout
from tests.cli.test_drift_cli import DRIFT
from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_metrics import _store

UTC = dt.UTC


@pytest.fixture
def project(make_project: Callable[..., Project]) -> Project:
    p = make_project(text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + DRIFT)
    _store(p, days=3)  # 2026-10-01 .. 2026-10-03, labels on the first two days
    return p


def test_until_latest_resolves_like_the_command_line(project: Project) -> None:
    result = drift.run(project.config(), until="latest")
    current = result.to_dict()["current"]
    # the end of the newest row's day; since: drift.window (1d) before it
    assert (current["since"], current["until"]) == ("2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z")
    assert current["rows"] == 400
    cli = json.loads(project.cli("--json", "drift", "--until", "latest").stdout)["result"]
    assert cli["current"] == current
    assert cli["columns"] == result.to_dict()["columns"]
    # datetimes from Python are the same window as the text the command line takes
    typed = drift.run(
        project.config(),
        since=dt.datetime(2026, 10, 3, tzinfo=UTC),
        until=dt.datetime(2026, 10, 4, tzinfo=UTC),
    )
    assert typed.to_dict()["current"] == current


def test_a_run_ending_at_latest_keeps_the_concept_stream_where_the_store_layout_says(
    project: Project,
) -> None:
    config = project.config()
    concept = drift.run(config, since="2026-10-01", until="latest").to_dict()["concept"]
    assert concept["mode"] == "stateful"
    home = StoreLayout(project.store).concept_state_dir("loans")
    assert concept["state"] == str(home / "unversioned")
    saved = sorted(p.name for p in (home / "unversioned").glob("*.json"))
    assert saved and all(name.endswith(".json") for name in saved)
    # an explicit range is stateless; resetting discards the saved stream first
    reset = drift.run(
        config, since="2026-10-01", until="2026-10-03", reset_concept_state=True
    ).to_dict()["concept"]
    assert reset["mode"] == "stateless"
    assert reset["state_reset"] == {"directory": str(home), "files": len(saved)}
    assert list((home / "unversioned").glob("*.json")) == []


def test_no_cache_leaves_no_profile_cache_entry_and_the_cache_is_used_otherwise(
    project: Project,
) -> None:
    config = project.config()
    cache = StoreLayout(project.store).cache_dir("profiles")
    window = ("2026-10-02", "2026-10-03")
    uncached = drift.run(config, since=window[0], until=window[1], no_cache=True)
    assert not cache.exists() or list(cache.iterdir()) == []
    assert uncached.reference.profile_cached is False
    first = drift.run(config, since=window[0], until=window[1])
    assert len(list(cache.glob("*.json"))) == 1 and first.reference.profile_cached is False
    second = drift.run(config, since=window[0], until=window[1])
    assert second.reference.profile_cached is True
    assert second.to_dict()["columns"] == uncached.to_dict()["columns"]


def test_an_unwritable_cache_is_a_warning_of_a_frozen_result(project: Project) -> None:
    (project.store / "_cache").write_text("a file where the cache directory should be")
    result = drift.run(project.config(), since="2026-10-02", until="2026-10-03")
    (warning,) = result.warnings
    assert warning.startswith(
        f"cannot cache the reference profile in {project.store / '_cache' / 'profiles'} ("
    )
    assert warning.endswith("the reference is profiled again on every run")
    assert result.to_dict()["reference"]["profile_cache_warning"] == warning
    assert result.status in ("ok", "finding") and result.alerts
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.fail_on = "column"  # type: ignore[misc]


def test_a_drift_result_cannot_be_changed_through_its_columns(project: Project) -> None:
    """Frozen all the way down: editing a column's comparison or signal cannot turn the
    result's status (the tuple holds frozen comparisons of frozen signals)."""
    result = drift.run(project.config(), since="2026-10-02", until="2026-10-03")
    status, document = result.status, result.to_dict()
    column = result.columns[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        column.status = "drifted"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        column.signals[0].fired = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.columns.append(column)  # type: ignore[attr-defined]
    assert (result.status, result.to_dict()) == (status, document)


@pytest.mark.parametrize(
    ("method", "fail_on", "message"),
    [
        ("pssi", "dataset", "--method: 'pssi' is not one of "),
        (None, "any", "--fail-on: 'any' is not one of dataset, column"),
    ],
)
def test_an_unknown_choice_is_a_usage_error_before_anything_is_read(
    method: str | None, fail_on: str, message: str
) -> None:
    with pytest.raises(UsageError) as info:
        drift.run(
            None, reference="none.parquet", current="none.csv", method=method, fail_on=fail_on
        )
    assert info.value.message.startswith(message)
    assert info.value.exit_code == ExitCode.USAGE
