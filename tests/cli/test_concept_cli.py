"""``mlmon drift``'s concept section from the command line: which runs continue the saved
detector stream (``--until`` now or ``latest``) and which are stateless (an explicit range),
``--reset-concept-state``, and the CBPE-adjusted comparison in the text output."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_metrics import _store

DRIFT = """\
metrics:
  baseline: {since: 2026-10-01, until: 2026-10-03}
drift:
  reference: {since: 2026-10-01, until: 2026-10-03}
  multivariate: {enabled: false}
"""


@pytest.fixture
def cproject(make_project: Callable[..., Project]) -> Project:
    project = make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + DRIFT
    )
    _store(project, days=6, labelled_days=6)
    return project


def _state(project: Project) -> dict[str, bytes]:
    root = project.store / "_state" / "concept"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.json")}


def test_an_explicit_range_is_stateless_and_leaves_the_saved_stream_alone(
    cproject: Project,
) -> None:
    cron = json.loads(cproject.cli("--json", "drift", "--until", "latest").stdout)["result"]
    assert cron["concept"]["mode"] == "stateful"
    assert cron["concept"]["mode_reason"] == "starts the saved stream (--until is now or latest)"
    saved = _state(cproject)
    assert list(saved) == ["loans/unversioned/ddm.json"]
    args = ("--json", "drift", "--since", "2026-10-03", "--until", "2026-10-05")
    ad_hoc = json.loads(cproject.cli(*args).stdout)["result"]["concept"]
    assert ad_hoc["mode"] == "stateless" and ad_hoc["state"] is None
    assert ad_hoc["mode_reason"] == (
        "an explicit range (--until is neither now nor latest): fresh detectors on its rows"
    )
    assert ad_hoc["detectors"][0]["rows_read"] == 800
    assert _state(cproject) == saved
    again = json.loads(cproject.cli("--json", "drift", "--until", "latest").stdout)["result"]
    assert (
        again["concept"]["mode_reason"] == "continues the saved stream (--until is now or latest)"
    )
    assert again["concept"]["detectors"][0]["rows_read"] == 0


def test_reset_concept_state_discards_the_saved_stream_and_says_so(cproject: Project) -> None:
    cproject.cli("drift", "--until", "latest")
    assert _state(cproject)
    result = cproject.cli(
        "drift",
        "--since",
        "2026-10-03",
        "--until",
        "2026-10-04",
        "--reset-concept-state",
        "--exit-zero",
    )
    assert result.code == 0, result.stderr
    assert (
        "concept: discarded the saved detector state (1 file) under "
        f"{cproject.store / '_state' / 'concept' / 'loans'}" in result.stderr
    )
    assert _state(cproject) == {}
    nothing = cproject.cli("drift", "--until", "2026-10-04", "--reset-concept-state")
    assert "concept: no saved detector state to discard" in nothing.stderr


def test_the_text_output_splits_the_change_into_population_and_unexplained(
    cproject: Project,
) -> None:
    result = cproject.cli("drift", "--since", "2026-10-04", "--until", "2026-10-06")
    lines = [line for line in result.stderr.splitlines() if "CBPE expects" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("concept: CBPE expects ")
    assert "from the population," in lines[0] and "unexplained" in lines[0]
