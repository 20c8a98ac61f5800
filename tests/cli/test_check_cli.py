"""``mlmon check`` and ``mlmon contract infer`` on the command line: exit codes, exact
messages, and the JSON equal to the operation's result."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from mlmon.ops import check, ingest
from tests.conftest import Project

UTC = dt.UTC
DAY = dt.datetime(2026, 10, 1, tzinfo=UTC)


def _log(project: Project, days: int = 2, per_hour: int = 80) -> None:
    rng = np.random.default_rng(3)
    n = days * 24 * per_hour
    ts = [DAY + dt.timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, days * 86400, n))]
    score = rng.uniform(0, 1, n)
    pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "ts": ts,
            "version": ["v1"] * n,
            "pred": (score >= 0.5).astype(np.int64),
            "score": score,
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "c": rng.choice(["a", "b"], n),
            "latency_ms": rng.uniform(1, 50, n),
            "error": [None] * n,
        },
        schema_overrides={"error": pl.String, "ts": pl.Datetime("us", "UTC")},
    ).write_parquet(project.root / "log.parquet")
    ingest.run(project.config(), [project.root / "log.parquet"])


@pytest.fixture
def logged(make_project: Callable[..., Project]) -> Project:
    project = make_project()
    _log(project)
    return project


def test_an_empty_store_is_exit_4_with_a_hint(project: Project) -> None:
    r = project.cli("check")
    assert r.code == 4
    assert "the store holds no predictions" in r.stderr
    assert "hint: ingest the logs first: mlmon ingest FILE..." in r.stderr


def test_a_day_of_logs_has_too_little_history_for_volume_exit_7(logged: Project) -> None:
    r = logged.cli("--json", "check", "--until", "latest")
    assert r.code == 7
    document = json.loads(r.stdout)
    assert document["status"] == "insufficient_data"
    assert "fewer than 3 earlier weeks" in document["result"]["insufficient"][0]


def test_json_equals_the_operation_result(logged: Project) -> None:
    r = logged.cli("--json", "check", "--since", "2026-10-02", "--until", "2026-10-03")
    result = check.run(logged.config(), since="2026-10-02", until="2026-10-03")
    assert json.loads(r.stdout)["result"] == json.loads(json.dumps(result.to_dict()))


def test_a_bad_window_is_a_usage_error(logged: Project) -> None:
    r = logged.cli("check", "--window", "5m")
    assert r.code == 2
    assert "--window" in r.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [unclosed\n", "{path}:2:1: invalid YAML"),
        (
            "columns:\n  income: {kind: numerical}\n",
            "{path}: columns.income: not a column of the logs",
        ),
        (
            "columns:\n  c: {kind: numerical}\n",
            "{path}: columns.c.kind: numerical, but the config logs 'c' as categorical",
        ),
        (
            "columns:\n  x: {kind: numerical, zero_shares: 0.1}\n",
            "{path}: columns.x.zero_shares: unknown key",
        ),
    ],
    ids=["not-yaml", "unknown-column", "kind-contradicts-config", "unknown-key"],
)
def test_a_bad_contract_is_exit_3_naming_the_place_or_key(
    logged: Project, text: str, message: str
) -> None:
    path = logged.write("contract.yaml", text)
    r = logged.cli("check", "--contract", str(path))
    assert r.code == 3
    assert message.format(path=path) in r.stderr


def test_contract_infer_writes_a_contract_check_accepts_and_refuses_to_overwrite(
    logged: Project,
) -> None:
    out = logged.root / "contract.yaml"
    r = logged.cli(
        "contract", "infer", "--since", "2026-10-01", "--until", "2026-10-02", "-o", str(out)
    )
    assert r.code == 0, r.stderr
    assert r.stdout == f"wrote {out}: 5 columns\n"
    text = out.read_text()
    assert text.startswith("# mlmon data contract for loans, learned from store 2026-10-01")
    assert "  c:\n    kind: categorical\n" in text
    again = logged.cli("contract", "infer", "--since", "2026-10-01", "-o", str(out))
    assert again.code == 2
    assert "exists" in again.stderr and "--force" in again.stderr
    checked = logged.cli(
        "--json", "check", "--since", "2026-10-02", "--until", "2026-10-03", "--contract", str(out)
    )
    assert checked.code in (0, 7), checked.stderr  # volume has no history; no column check fails
    result = json.loads(checked.stdout)["result"]
    assert result["contract"] == f"file {out}"
    assert result["findings"] == []
    assert {c["column"] for c in result["checks"]} >= {"x", "y", "c", "pred", "score"}


def test_contract_infer_needs_a_reference(logged: Project) -> None:
    r = logged.cli("contract", "infer")
    assert r.code == 2
    assert "needs the reference" in r.stderr


def _recent(project: Project, name: str, ids: range, bad: int = 0) -> None:
    """A CSV of rows in the last hours, ``bad`` of them with an unreadable score."""
    base = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    rows = [
        f"r{i},{(base + dt.timedelta(seconds=10 * i)).isoformat()},v1,1,"
        f"{'high' if k < bad else '0.5'},1.0,2.0,a,10.0,"
        for k, i in enumerate(ids)
    ]
    project.csv(name, rows)


def test_duplicates_and_quarantined_rows_are_ingest_health_findings(project: Project) -> None:
    _recent(project, "a.csv", range(200), bad=40)  # 20% of the rows quarantined
    assert project.cli("ingest", str(project.root / "a.csv")).code == 1
    _recent(project, "b.csv", range(100, 300))  # half of them already stored
    assert project.cli("ingest", str(project.root / "b.csv")).code == 0
    r = project.cli("--json", "check", "--since", "2h")
    result = json.loads(r.stdout)["result"]
    found = {(f["kind"], f["check"]) for f in result["findings"]}
    assert ("contract_violation", "quarantine_share") in found
    assert ("contract_violation", "duplicate_share") in found
    assert result["ingest"]["files"] == 2
    assert result["ingest"]["duplicates"] == 100  # b's ids 100..199, already stored from a
    assert result["ingest"]["rows_read"] == 400
