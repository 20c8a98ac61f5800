"""Registry moves under injected faults (issue 14 item 7): a kill (``os._exit(137)``, as a
SIGKILL) or a failed write at every step boundary of every kind of move — registration, alias
move, rollback with its candidate withdrawal, a logged event — leaves the event log and the
aliases consistent once the next command has run: the move whole or not at all, no event
twice, and a retry ends where a clean run does. The fault points are
:mod:`mlmon.registry.faults`; each run is a real subprocess, so the kill is real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlmon.registry import Registry, production_history
from mlmon.registry.faults import ENV
from tests.conftest import BINARY_CONFIG, REPO, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store

CHILD = """
import sys
from pathlib import Path
from mlmon.errors import MlmonError
from mlmon.registry import Registry
reg = Registry(Path(sys.argv[1]), "loans", lock_timeout=30)
op = sys.argv[2]
try:
    if op == "register":
        reg.register(Path(sys.argv[3]), {"created_at": "t"})
    elif op == "promote":
        reg.set_alias("production", "2", "promoted", reason="p", expect="1")
    elif op == "rollback":
        reg.rollback(reason="r")
    elif op == "gate_failed":
        reg.record("gate_failed", version="2", reason="g")
except MlmonError as exc:
    print(exc.message, file=sys.stderr)
    sys.exit(exc.exit_code)
"""

POINTS = {
    "register": [
        "registry.after_intent",
        "registry.after_rename",
        "registry.after_event_1",
        "registry.after_event_2",
        "registry.after_alias_1",
    ],
    "promote": ["registry.after_intent", "registry.after_event_1", "registry.after_alias_1"],
    "rollback": [
        "registry.after_intent",
        "registry.after_event_1",
        "registry.after_event_2",
        "registry.after_alias_1",
        "registry.after_alias_2",
    ],
    "gate_failed": ["registry.after_intent", "registry.after_event_1"],
}
EVENTS = {"register": 2, "promote": 1, "rollback": 2, "gate_failed": 1}
"""How many events each move logs: the move is committed once the last is in the log."""


def _setup(root: Path, op: str) -> Registry:
    reg = Registry(root / "registry", "loans", lock_timeout=30)
    art = root / "model.skops"
    art.write_bytes(b"model bytes")
    reg.register(art, {})
    reg.register(art, {})
    reg.set_alias("production", "1", "promoted")
    if op == "rollback":
        reg.set_alias("production", "2", "promoted")
    return reg


Event = tuple[str, str | None, str | None, str | None, str | None]
"""An event's kind, version, alias, and the versions it moves from and to."""


def _state(reg: Registry) -> tuple[list[Event], dict[str, str], list[str]]:
    events = [(e.event, e.version, e.alias, e.from_version, e.to_version) for e in reg.events()]
    return events, reg.aliases(), reg.versions()


def _child(reg: Registry, op: str, fault: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if fault:
        env[ENV] = fault
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(reg.base), op, str(reg.base.parent / "model.skops")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _consistent(reg: Registry) -> None:
    """The log and the aliases agree, and no event was logged twice."""
    lines = [json.loads(line) for line in reg.events_file.read_text().splitlines()]
    ids = [line.get("id") for line in lines if line.get("id")]
    assert len(ids) == len(set(ids))
    events = reg.events()
    history = production_history(events)
    assert reg.aliases().get("production") == (history[-1] if history else None)
    last_candidate = [e for e in events if e.alias == "candidate"][-1]
    assert reg.aliases().get("candidate") == last_candidate.to_version
    assert not (reg.root / ".intent.json").exists()
    assert not [p for p in reg.versions_dir.iterdir() if p.name.startswith(".tmp-")]


def _cases() -> list[tuple[str, str, str]]:
    return [
        (op, point, how) for op, ps in POINTS.items() for point in ps for how in ("kill", "raise")
    ]


@pytest.mark.parametrize(("op", "point", "how"), _cases())
def test_a_fault_at_every_step_leaves_the_move_whole_or_undone_and_a_retry_ends_clean(
    tmp_path: Path, op: str, point: str, how: str
) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "faulty").mkdir()
    clean = _setup(tmp_path / "clean", op)
    assert _child(clean, op, None).returncode == 0
    reg = _setup(tmp_path / "faulty", op)
    before = _state(reg)
    spec = point if how == "kill" else f"{point}:raise"
    run = _child(reg, op, spec)
    committed = point.startswith("registry.after_alias") or point == (
        f"registry.after_event_{EVENTS[op]}"
    )
    if how == "kill":
        assert run.returncode == 137, run.stderr
        assert (reg.root / ".intent.json").exists()  # killed mid-move: left to recover
    else:
        assert run.returncode == 5, run.stderr
        assert "injected fault" in run.stderr
        said = "has been completed" if committed else "nothing changed"
        assert said in run.stderr, run.stderr
        assert not (reg.root / ".intent.json").exists()  # recovered before reporting
    after = _state(reg)  # a read finishes or undoes the interrupted move first
    _consistent(reg)
    if committed:
        assert after == _state(clean)
    else:
        assert after == before
        assert _child(reg, op, None).returncode == 0  # the retry
        assert _state(reg) == _state(clean)
        _consistent(reg)


def test_a_mutation_finishes_an_interrupted_move_before_its_own(tmp_path: Path) -> None:
    reg = _setup(tmp_path, "promote")
    assert _child(reg, "promote", "registry.after_event_1").returncode == 137
    reg.record("gate_failed", version="1", reason="next command")  # takes the lock: recovers
    assert [e.event for e in reg.events()][-2:] == ["promoted", "gate_failed"]
    assert reg.aliases()["production"] == "2"
    _consistent(reg)


def test_retrain_killed_after_the_version_is_renamed_is_undone_and_retrains(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
    _store(project, days=6, per_day=400, labelled_days=6)
    env = {**os.environ, ENV: "registry.after_rename"}
    args = [sys.executable, "-m", "mlmon", "-c", str(project.config_path)]
    killed = subprocess.run(
        [*args, "retrain", "--until", "2026-10-04"], env=env, cwd=REPO, capture_output=True
    )
    assert killed.returncode == 137
    listed = project.cli("registry", "list")
    assert listed.code == 0 and "no versions registered yet" in listed.stderr + listed.stdout
    again = project.cli("retrain", "--until", "2026-10-04")
    assert again.code == 0, again.stderr
    assert "already trained" not in again.stdout
    reg = Registry(project.root / "registry", "loans")
    assert reg.versions() == ["1"] and reg.aliases() == {"candidate": "1"}
    assert [e.event for e in reg.events()] == ["registered", "alias_set"]
