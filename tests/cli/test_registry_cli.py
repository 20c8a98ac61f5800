"""``mlmon registry`` and ``mlmon rollback`` from the command line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from mlmon.registry import Registry
from tests.conftest import Project


def _versions(project: Project, n: int, production: list[str]) -> Registry:
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    for _ in range(n):
        reg.register(art, {"created_at": "2026-11-27T00:00:00Z", "trigger": {"reason": "test"}})
    for v in production:
        reg.set_alias("production", v, "promoted", reason=f"promote {v}")
    return reg


def test_registry_list_show_history_and_path(project: Project) -> None:
    reg = _versions(project, 2, ["1"])
    listed = project.cli("registry", "list")
    assert listed.code == 0
    lines = listed.stdout.splitlines()
    assert lines[0] == f"model loans in {project.root / 'registry'}"
    assert lines[2].split()[:2] == ["1", "production"]
    assert lines[3].split()[:2] == ["2", "candidate"]
    doc = json.loads(project.cli("--json", "registry", "list").stdout)
    assert doc["result"]["aliases"] == {"candidate": "2", "production": "1"}
    shown = json.loads(project.cli("registry", "show", "production").stdout)
    assert (
        shown["version"] == "1"
        and shown["artifact"]["sha256"] == reg.metadata("1")["artifact"]["sha256"]
    )
    history = project.cli("registry", "history")
    assert "promoted" in history.stdout and "promote 1" in history.stdout
    path = project.cli("registry", "path", "production")
    assert path.code == 0 and path.stdout == f"{reg.version_dir('1') / 'model.skops'}\n"


def test_registry_path_refuses_a_tampered_artifact(project: Project) -> None:
    reg = _versions(project, 1, ["1"])
    (reg.version_dir("1") / "model.skops").write_bytes(b"tampered")
    result = project.cli("registry", "path", "production")
    assert result.code == 5
    assert "does not match its SHA-256" in result.stderr
    assert result.stdout == ""


def test_unknown_version_and_bad_name_exit_5(project: Project) -> None:
    _versions(project, 1, [])
    result = project.cli("registry", "show", "9")
    assert result.code == 5 and "has no version '9' (registered: 1)" in result.stderr
    result = project.cli("registry", "show", "../x")
    assert result.code == 5 and "is not a valid alias" in result.stderr


def test_rollback_moves_production_back_and_says_so(project: Project) -> None:
    _versions(project, 3, ["1", "2", "3"])
    dry = project.cli("rollback", "--dry-run")
    assert dry.code == 0 and dry.stdout == (
        "would roll production back: 3 → 2 (dry run)\n"
        "would withdraw version 3 as candidate: it is not promoted again without --force "
        "--reason\n"
    )
    result = project.cli("--json", "rollback", "--reason", "bad promotion")
    doc = json.loads(result.stdout)
    assert doc["result"] == {
        "from_version": "3",
        "to_version": "2",
        "changed": True,
        "dry_run": False,
        "candidate_withdrawn": "3",
    }
    again = project.cli("rollback", "--to", "2")
    assert again.code == 0 and again.stdout == "production is already version 2; nothing to do\n"


def test_rollback_with_nothing_to_go_back_to_exits_5(project: Project) -> None:
    _versions(project, 1, ["1"])
    result = project.cli("rollback")
    assert result.code == 5
    assert (
        "nothing to roll back to" in result.stderr
        and "hint: name one with --to VERSION" in result.stderr
    )
    fresh = Project(project.root / "empty")
    (project.root / "empty").mkdir()
    fresh.config_path.write_text(project.config_path.read_text())
    result = fresh.cli("rollback")
    assert result.code == 5 and "has no production version to roll back" in result.stderr


def test_registry_path_is_relative_to_the_config(project: Project, tmp_path: Path) -> None:
    assert project.config().registry.path == project.root / "registry"


def test_a_hostile_alias_exits_5_naming_the_file_not_its_content(project: Project) -> None:
    reg = _versions(project, 1, ["1"])
    (reg.aliases_dir / "production").write_text("../../../../etc/passwd\n")
    result = project.cli("registry", "show", "production")
    assert result.code == 5 and result.stdout == ""
    assert result.stderr == (
        f"error: {reg.aliases_dir / 'production'}: the version it names is not a version "
        "number (the registry refuses anything that could point outside it)\n"
        "hint: the file was edited or damaged; restore it from the event log (mlmon registry "
        "history) or a backup\n"
    )
    doc = json.loads(project.cli("--json", "registry", "list").stdout)
    assert doc["status"] == "error" and doc["error"]["type"] == "registry"


def test_the_alert_sinks_hear_of_a_rollback_only_when_production_moved(project: Project) -> None:
    with socket.socket() as s:  # a port nobody listens on: every delivery fails (exit 6)
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    alerts = (
        "alerts:\n  rules: [{finding: rollback}]\n"
        f'  sinks: [{{type: webhook, url: "http://127.0.0.1:{port}/h", retries: 0}}]\n'
    )
    project.config_path.write_text(project.config_path.read_text() + alerts)
    _versions(project, 2, ["1", "2"])
    assert project.cli("rollback", "--dry-run").code == 0  # no alert: nothing moved
    moved = project.cli("rollback")
    assert moved.code == 6 and moved.stdout.startswith("rolled production back: 2 → 1\n")
    assert "cannot reach it" in moved.stderr
    assert project.cli("rollback", "--to", "1").code == 0  # already there: no alert
