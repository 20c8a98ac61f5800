"""The ``--json`` result of ``rollback``, ``registry list/show/history/path`` and ``init`` is
the operation's :meth:`to_dict` (STYLE.md: the CLI adds parsing and rendering, nothing else)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlmon.cli.output import envelope
from mlmon.ops import init, registry, rollback
from mlmon.outcome import Outcome
from mlmon.registry import Registry
from tests.conftest import Project


def _versions(project: Project, n: int, production: list[str]) -> Registry:
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    for i in range(n):
        trigger = {"forced": "test"} if i % 2 else {"fired": [{"trigger": "drift"}]}
        reg.register(art, {"created_at": "2026-11-27T00:00:00Z", "trigger": trigger})
    for v in production:
        reg.set_alias("production", v, "promoted", reason=f"promote {v}")
    return reg


def _twin(project: Project, name: str) -> Project:
    """A second project with the same config beside ``project``."""
    twin = Project(project.root / name)
    twin.root.mkdir()
    twin.config_path.write_text(project.config_path.read_text())
    return twin


def _cli_result(project: Project, *args: str) -> tuple[str, str, Any]:
    result = project.cli("--json", *args)
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    return doc["command"], doc["status"], doc["result"]


def _as_json(outcome: Outcome) -> tuple[str, str, Any]:
    """What the CLI prints of ``outcome``: the envelope's command, status and result."""
    doc = envelope(outcome.command, outcome.status, outcome.to_dict())
    return doc["command"], doc["status"], doc["result"]


def test_registry_list_json_is_the_operation_result(project: Project) -> None:
    _versions(project, 3, ["1", "2"])
    assert _cli_result(project, "registry", "list") == _as_json(registry.versions(project.config()))


def test_registry_show_json_is_the_operation_result(project: Project) -> None:
    _versions(project, 2, ["1"])
    for ref in ("production", "candidate", "1"):
        assert _cli_result(project, "registry", "show", ref) == _as_json(
            registry.show(project.config(), ref)
        )


def test_registry_history_json_is_the_operation_result(project: Project) -> None:
    _versions(project, 3, ["1", "2", "3"])
    project.cli("rollback", "--reason", "bad")
    assert _cli_result(project, "registry", "history") == _as_json(
        registry.history(project.config())
    )


def test_registry_path_json_is_the_operation_result(project: Project) -> None:
    _versions(project, 2, ["1"])
    for ref in ("production", "2"):
        assert _cli_result(project, "registry", "path", ref) == _as_json(
            registry.artifact(project.config(), ref)
        )


def test_rollback_json_is_the_operation_result(project: Project) -> None:
    _versions(project, 3, ["1", "2", "3"])
    dry = _cli_result(project, "rollback", "--dry-run")
    assert dry == _as_json(rollback.run(project.config(), dry_run=True))
    twin = _twin(project, "twin")
    _versions(twin, 3, ["1", "2", "3"])
    done = _cli_result(project, "rollback", "--reason", "bad")
    assert done == _as_json(rollback.run(twin.config(), reason="bad"))
    assert done[2]["changed"] is True and done[2]["candidate_withdrawn"] == "3"
    noop = _cli_result(project, "rollback", "--to", "2")
    assert noop == _as_json(rollback.run(twin.config(), to="2"))
    assert noop[2]["changed"] is False


def test_init_json_is_the_operation_result(tmp_path: Path) -> None:
    project = Project(tmp_path)  # init needs no config: it writes one
    target = project.config_path
    written = _cli_result(project, "init")
    target.unlink()
    assert written == _as_json(init.run(target))
    again = _cli_result(project, "init")  # already the starter config: nothing to do
    assert again == _as_json(init.run(target))
    target.write_text("model: {name: mine}\n")
    forced = _cli_result(project, "init", "--force")
    target.write_text("model: {name: mine}\n")
    assert forced == _as_json(init.run(target, force=True))
    assert [r[2]["written"] for r in (written, again, forced)] == [True, False, True]
    assert [r[2]["overwritten"] for r in (written, again, forced)] == [False, False, True]
