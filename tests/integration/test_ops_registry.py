"""The operations of ``rollback``, ``registry list/show/history/path`` and ``init``, called
directly (the Python API): their typed results, and the registry on disk afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlmon.errors import ExitCode, RegistryError, UsageError
from mlmon.ops import init, registry, rollback
from mlmon.outcome import Outcome
from mlmon.registry import Registry
from tests.conftest import Project

TRIGGERS = [
    {"fired": [{"trigger": "drift"}, {"trigger": "performance"}]},
    {"forced": "new features", "fired": [{"trigger": "schedule"}]},
    None,
]


def _registry(project: Project, production: list[str]) -> Registry:
    """Three versions (each with one of TRIGGERS), promoted in the order ``production``."""
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    for trigger in TRIGGERS:
        meta = {"created_at": "2026-11-27T00:00:00Z"}
        reg.register(art, meta if trigger is None else meta | {"trigger": trigger})
    for v in production:
        reg.set_alias("production", v, "promoted", reason=f"promote {v}")
    return reg


def _disk(reg: Registry) -> tuple[dict[str, str], list[str]]:
    return reg.aliases(), [e.to_dict()["event"] for e in reg.events()]


def test_rollback_dry_run_changes_nothing_and_alerts_no_one(project: Project) -> None:
    reg = _registry(project, ["1", "2", "3"])
    before = _disk(reg)
    result = rollback.run(project.config(), dry_run=True)
    assert (result.from_version, result.to_version, result.candidate_withdrawn) == ("3", "2", "3")
    assert (result.changed, result.dry_run, result.alerts) == (False, True, False)
    assert (result.status, result.exit_code) == ("ok", ExitCode.OK)
    assert _disk(reg) == before


def test_rollback_moves_production_withdraws_the_candidate_and_alerts(project: Project) -> None:
    reg = _registry(project, ["1", "2", "3"])
    result: Outcome = rollback.run(project.config(), reason="bad promotion")
    assert (result.command, result.status, result.exit_code, result.alerts) == (
        "rollback",
        "ok",
        ExitCode.OK,
        True,
    )
    assert result.to_dict() == {
        "from_version": "3",
        "to_version": "2",
        "changed": True,
        "dry_run": False,
        "candidate_withdrawn": "3",
    }
    aliases, events = _disk(reg)
    assert aliases == {"production": "2"}
    assert events[-2:] == ["rolled_back", "alias_removed"]
    assert reg.events()[-2].reason == "bad promotion"


def test_rollback_to_the_current_version_is_a_no_op_without_alerts(project: Project) -> None:
    reg = _registry(project, ["1", "2"])
    before = _disk(reg)
    result = rollback.run(project.config(), to="production")
    assert (result.from_version, result.to_version) == ("2", "2")
    assert (result.changed, result.alerts, result.candidate_withdrawn) == (False, False, None)
    assert _disk(reg) == before


def test_rollback_with_nowhere_to_go_raises_a_registry_error(project: Project) -> None:
    reg = _registry(project, ["1"])
    with pytest.raises(RegistryError, match="nothing to roll back to") as raised:
        rollback.run(project.config())
    assert raised.value.exit_code == ExitCode.REGISTRY
    with pytest.raises(RegistryError, match="has no version '9'"):
        rollback.run(project.config(), to="9")
    assert reg.aliases()["production"] == "1"


def test_versions_lists_typed_rows_oldest_first(project: Project) -> None:
    reg = _registry(project, ["1"])
    result: Outcome = registry.versions(project.config())
    assert isinstance(result, registry.RegistryList)
    assert (result.command, result.status, result.alerts) == ("registry", "ok", False)
    assert (result.model, result.base) == ("loans", project.root / "registry")
    assert dict(result.aliases) == {"production": "1", "candidate": "3"}
    rows = [(v.version, v.aliases, v.created_at, v.trigger) for v in result.versions]
    assert rows == [
        ("1", ("production",), "2026-11-27T00:00:00Z", "drift, performance"),
        ("2", (), "2026-11-27T00:00:00Z", "forced: new features"),
        ("3", ("candidate",), "2026-11-27T00:00:00Z", "-"),
    ]
    assert [v.sha256 for v in result.versions] == [
        reg.metadata(v)["artifact"]["sha256"] for v in "123"
    ]
    assert result.to_dict()["versions"][2] == {
        "version": "3",
        "aliases": ["candidate"],
        "metadata": reg.metadata("3"),
    }


def test_versions_of_an_empty_registry_is_empty(project: Project) -> None:
    result = registry.versions(project.config())
    assert (result.versions, dict(result.aliases)) == ((), {})
    assert result.to_dict() == {"model": "loans", "aliases": {}, "versions": []}


def test_show_resolves_an_alias_and_refuses_an_unknown_version(project: Project) -> None:
    reg = _registry(project, ["2"])
    result = registry.show(project.config(), "production")
    assert result.version == "2" and result.to_dict() == reg.metadata("2")
    assert result.alerts is False
    with pytest.raises(RegistryError, match=r"has no version '9' \(registered: 1, 2, 3\)"):
        registry.show(project.config(), "9")


def test_history_returns_the_events_in_order(project: Project) -> None:
    reg = _registry(project, ["1", "2"])
    rollback.run(project.config(), reason="back")
    result = registry.history(project.config())
    assert result.model == "loans" and result.alerts is False
    assert result.events == tuple(reg.events())
    assert [(e.event, e.alias, e.from_version, e.to_version) for e in result.events] == [
        ("registered", None, None, None),
        ("alias_set", "candidate", None, "1"),
        ("registered", None, None, None),
        ("alias_set", "candidate", "1", "2"),
        ("registered", None, None, None),
        ("alias_set", "candidate", "2", "3"),
        ("promoted", "production", None, "1"),
        ("promoted", "production", "1", "2"),
        ("rolled_back", "production", "2", "1"),
    ]
    assert [e.reason for e in result.events][-3:] == ["promote 1", "promote 2", "back"]
    assert result.to_dict() == {"events": [e.to_dict() for e in reg.events()]}


def test_artifact_is_absolute_and_checked(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = _registry(project, ["1"])
    monkeypatch.chdir(project.root)
    result = registry.artifact(project.config(), "production")
    assert result.path.is_absolute()
    assert result.path == (reg.version_dir("1") / "model.skops").resolve()
    assert result.to_dict() == {"ref": "production", "path": str(result.path)}
    (reg.version_dir("1") / "model.skops").write_bytes(b"tampered")
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        registry.artifact(project.config(), "production")


def test_init_writes_once_refuses_to_overwrite_and_forces(tmp_path: Path) -> None:
    target = tmp_path / "mlmon.yaml"
    first: Outcome = init.run(target)
    assert (first.command, first.status, first.alerts) == ("init", "ok", False)
    assert first.to_dict() == {"path": str(target), "written": True, "overwritten": False}
    assert target.read_bytes() == init.starter_config()
    again = init.run(target)
    assert (again.written, again.overwritten) == (False, False)
    target.write_text("model: {name: mine}\n")
    with pytest.raises(UsageError, match="already exists; not overwriting it"):
        init.run(target)
    assert target.read_text() == "model: {name: mine}\n"
    forced = init.run(target, force=True)
    assert (forced.written, forced.overwritten) == (True, True)
    assert target.read_bytes() == init.starter_config()
    as_text = init.run(str(tmp_path / "other.yaml"))  # a string path, as from a script
    assert as_text.written and (tmp_path / "other.yaml").read_bytes() == init.starter_config()
