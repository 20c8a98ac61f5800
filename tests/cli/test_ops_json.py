"""The CLI's ``--json`` result is the operation's ``to_dict()`` for the same arguments
(STYLE.md: "JSON equals the operation's result"): ingest, retrain, promote.

Each pair runs on the same state: a mutating command's state is put back between the CLI
run and the operation's run (the store or the registry removed or restored), so that both
do the same work.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlmon.cli.output import envelope
from mlmon.ops import ingest, promote, retrain
from tests.conftest import BINARY_CONFIG, GOOD_ROWS, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store

UNTIL = "2026-10-04"


@pytest.fixture
def lproject(make_project: Callable[..., Project]) -> Callable[[], Project]:
    """The lifecycle tests' project: six labelled days in the store, no registry."""

    def make() -> Project:
        text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
        project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
        _store(project, days=6, per_day=400, labelled_days=6)
        return project

    return make


def _result(project: Project, *args: str) -> tuple[int, str, dict[str, Any]]:
    """(exit code, status, result) of ``mlmon --json ARGS``."""
    run = project.cli("--json", *args)
    doc = json.loads(run.stdout)
    return run.code, doc["status"], doc["result"]


def _registry(project: Project) -> Path:
    return project.root / "registry"


@pytest.mark.parametrize("dry_run", [False, True])
def test_ingest_json_is_the_operation_result(project: Project, dry_run: bool) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    flags = ["--dry-run"] if dry_run else []
    code, status, cli = _result(project, "ingest", path, *flags)
    shutil.rmtree(project.store, ignore_errors=True)
    result = ingest.run(project.config(), [path], dry_run=dry_run)
    assert (code, status) == (result.exit_code, result.status) == (0, "ok")
    assert cli == envelope("ingest", result.status, result.to_dict())["result"]
    assert cli["rows_written"] == 5 and result.command == "ingest" and not result.alerts


@pytest.mark.parametrize("flags", [[], ["--dry-run"], ["--check"]])
def test_retrain_json_is_the_operation_result(
    lproject: Callable[[], Project], flags: list[str]
) -> None:
    project = lproject()
    code, status, cli = _result(project, "retrain", "--until", UNTIL, *flags)
    shutil.rmtree(_registry(project), ignore_errors=True)
    result = retrain.run(
        project.config(), until=UNTIL, dry_run="--dry-run" in flags, check="--check" in flags
    )
    assert (code, status) == (result.exit_code, result.status)
    assert cli == envelope("retrain", result.status, result.to_dict())["result"]
    assert result.command == "retrain" and result.alerts == (not flags)
    if not flags:
        assert cli["version"] == "1" and cli["holdout_metrics"]["candidate"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_promote_json_is_the_operation_result(
    lproject: Callable[[], Project], dry_run: bool
) -> None:
    project = lproject()
    retrain.run(project.config(), until=UNTIL)
    promote.run(project.config(), until="latest")
    retrain.run(project.config(), until="2026-10-05", force="next week")
    before = project.root / "registry.before"
    shutil.copytree(_registry(project), before)
    flags = ["--dry-run"] if dry_run else []
    code, status, cli = _result(project, "promote", "--until", "latest", *flags)
    shutil.rmtree(_registry(project))
    before.rename(_registry(project))
    result = promote.run(project.config(), until="latest", dry_run=dry_run)
    assert (code, status) == (result.exit_code, result.status)
    assert cli == envelope("promote", result.status, result.to_dict())["result"]
    assert cli["candidate"] == "2" and cli["gate"]["production"] is not None
    assert result.command == "promote" and result.alerts == (not dry_run)
