"""``mlmon metrics`` from the command line: exit codes, messages, JSON, markdown."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import mlmon
from mlmon.cli.output import envelope
from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_metrics import METRICS, _store

WINDOW = ("--since", "2026-10-01", "--until", "2026-10-04")


ESTIMATES_NOTE = (
    "~ = estimated from the scores (CBPE) where too few labels have arrived; est. roc_auc: "
    "the estimate for every window (assumes calibrated scores and no concept drift)\n"
)


@pytest.fixture
def mproject(make_project: Callable[..., Project]) -> Project:
    return make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS
    )


def test_ok_window_exits_0(mproject: Project) -> None:
    _store(mproject, labelled_days=3)
    result = mproject.cli("metrics", *WINDOW)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(
        "metrics per 1d window, 95% intervals (* = decides the exit code)"
    )
    assert result.stderr == ESTIMATES_NOTE + "status: ok\n"


def test_breach_in_the_latest_window_exits_1_and_exit_zero_makes_it_0(mproject: Project) -> None:
    _store(mproject, labelled_days=3, drop_after=2)
    result = mproject.cli("metrics", *WINDOW)
    assert result.code == 1
    assert "BREACH roc_auc<0.6" in result.stdout
    assert result.stderr.startswith(ESTIMATES_NOTE + "status: finding (")
    assert mproject.cli("metrics", *WINDOW, "--exit-zero").code == 0


def test_latest_window_without_labels_exits_7(mproject: Project) -> None:
    _store(mproject, labelled_days=2)
    result = mproject.cli("metrics", *WINDOW)
    assert result.code == 7
    assert result.stderr == ESTIMATES_NOTE + "status: insufficient_data\n"


def test_empty_window_exits_4(mproject: Project) -> None:
    _store(mproject)
    result = mproject.cli("metrics", "--since", "2027-01-01", "--until", "2027-01-02")
    assert result.code == 4
    assert result.stderr == (
        "error: no predictions in the window 2027-01-01T00:00:00Z .. 2027-01-02T00:00:00Z\n"
        "hint: widen --since/--until, or use --until latest for old logs\n"
    )


def test_window_garbage_exits_2(mproject: Project) -> None:
    result = mproject.cli("metrics", "--window", "fortnight")
    assert result.code == 2
    assert result.stderr.startswith(
        "error: Invalid value for --window: 'fortnight' is not one of 1h, 1d, 1w, all\n"
    )


def test_since_after_until_exits_2(mproject: Project) -> None:
    result = mproject.cli("metrics", "--since", "2026-10-05", "--until", "2026-10-01")
    assert result.code == 2
    assert result.stderr.startswith(
        "error: --since (2026-10-05T00:00:00+00:00) is not before --until "
        "(2026-10-01T00:00:00+00:00)\n"
    )


def test_unknown_threshold_metric_exits_3(mproject: Project) -> None:
    mproject.config_path.write_text(
        mproject.config_path.read_text().replace("error_rate: {max", "errors: {max")
    )
    result = mproject.cli("metrics", *WINDOW)
    assert result.code == 3
    assert (
        "metrics.thresholds.errors: unknown metric for binary_classification; "
        "choose from: accuracy," in result.stderr
    )


def test_until_latest_ends_at_the_end_of_the_newest_rows_day(mproject: Project) -> None:
    _store(mproject, labelled_days=3)
    doc = json.loads(mproject.cli("--json", "metrics", "--since", "2d", "--until", "latest").stdout)
    assert doc["result"]["until"] == "2026-10-04T00:00:00Z"
    assert [w["start"][:10] for w in doc["result"]["windows"]] == ["2026-10-02", "2026-10-03"]


def test_json_is_the_envelope_around_the_operation_result(mproject: Project) -> None:
    _store(mproject, labelled_days=3, drop_after=2)
    result = mproject.cli("--json", "metrics", *WINDOW)
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["status"], result.code) == ("metrics", "finding", 1)
    # the Python API, with no more than the CLI's arguments: the baseline is the operation's
    operation = mlmon.metrics(mproject.config(), since="2026-10-01", until="2026-10-04")
    assert (operation.status, operation.exit_code) == ("finding", 1)
    assert doc["result"] == envelope("metrics", "finding", operation.to_dict())["result"]
    window = doc["result"]["windows"][0]
    assert set(window) >= {"start", "end", "n", "labelled", "label_coverage", "metrics", "breaches"}
    assert set(window["metrics"]["roc_auc"]) == {
        "value",
        "ci_low",
        "ci_high",
        "ci_method",
        "reason",
    }


def test_markdown_format_is_a_pipe_table(mproject: Project) -> None:
    _store(mproject, labelled_days=3)
    out = mproject.cli("metrics", *WINDOW, "--format", "markdown").stdout.splitlines()
    assert out[0].startswith("**metrics per 1d window")
    assert out[2].startswith("| window | rows | labelled | coverage | accuracy | roc_auc |")
    assert out[3].startswith("|---|---|")
    assert out[4].startswith("| 2026-10-01 | 400 | 400 | 100% | ")


def test_auc_threshold_without_a_score_column_is_omitted_with_a_reason(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS
    project = make_project(text=text)
    _store(project, labelled_days=3, drop_after=2)  # the store has scores; the config drops them
    project.config_path.write_text(text.replace("  score: score\n", ""))
    result = project.cli("--json", "metrics", *WINDOW)
    doc = json.loads(result.stdout)
    last = doc["result"]["windows"][-1]
    assert last["metrics"]["roc_auc"] == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "ci_method": None,
        "reason": "no score column in the config (schema.score)",
    }
    assert all(b["metric"] != "roc_auc" for b in last["breaches"])
    assert last["metrics"]["f1"]["value"] is not None


def test_by_anything_but_model_version_exits_2(mproject: Project) -> None:
    _store(mproject)
    result = mproject.cli("metrics", *WINDOW, "--by", "region")
    assert result.code == 2
    assert result.stderr == (
        "error: --by 'region': only 'model_version' is supported\nhint: pass --by model_version\n"
    )
