"""The directory registry against real files and real processes: versions appear whole,
aliases move atomically, the event log is the history, and every bad input exits 5."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlmon.errors import LockTimeoutError, RegistryError
from mlmon.fsutil import exclusive_lock
from mlmon.registry import Registry, production_history


def _artifact(tmp_path: Path, name: str = "model.skops", size: int = 1000) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def _registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "registry", "loans", lock_timeout=5)


def test_register_copies_the_artifact_with_its_digest_and_points_candidate(
    tmp_path: Path,
) -> None:
    reg = _registry(tmp_path)
    art = _artifact(tmp_path)
    assert reg.register(art, {"created_at": "now", "trigger": {"reason": "first"}}) == "1"
    assert reg.register(art, {"created_at": "later"}) == "2"
    assert reg.versions() == ["1", "2"]
    assert reg.aliases() == {"candidate": "2"}
    meta = reg.metadata("1")
    assert meta["artifact"]["file"] == "model.skops"
    assert meta["artifact"]["bytes"] == 1000
    assert reg.artifact_path("1").read_bytes() == art.read_bytes()
    assert [e.event for e in reg.events()] == ["registered", "alias_set", "registered", "alias_set"]


def test_a_tampered_artifact_is_refused_with_exit_5(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    reg.register(_artifact(tmp_path), {})
    path = reg.version_dir("1") / "model.skops"
    path.write_bytes(b"evil" + path.read_bytes()[4:])
    with pytest.raises(RegistryError, match="does not match its SHA-256") as err:
        reg.artifact_path("1")
    assert err.value.exit_code == 5
    path.unlink()
    with pytest.raises(RegistryError, match="is missing"):
        reg.artifact_path("candidate")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "..", ".hidden", ""])
def test_names_with_path_parts_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(RegistryError, match="is not a valid"):
        Registry(tmp_path, bad)
    reg = _registry(tmp_path)
    with pytest.raises(RegistryError):
        reg.metadata(bad)


def test_unknown_versions_and_aliases_name_what_exists(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    reg.register(_artifact(tmp_path), {})
    with pytest.raises(RegistryError, match=r"has no version '7' \(registered: 1\)"):
        reg.resolve("7")
    with pytest.raises(RegistryError, match=r"has no alias 'production' \(aliases: candidate\)"):
        reg.resolve("production")
    (reg.version_dir("1") / "metadata.json").unlink()
    with pytest.raises(RegistryError, match="has no version '1'"):
        reg.metadata("1")


def test_a_read_only_registry_is_a_clear_error_and_nothing_changes(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    reg = _registry(tmp_path)
    reg.register(_artifact(tmp_path), {})
    reg.root.chmod(0o555)
    try:
        with pytest.raises(RegistryError, match="is read-only"):
            reg.register(_artifact(tmp_path), {})
    finally:
        reg.root.chmod(0o755)
    assert reg.versions() == ["1"]


def test_rollback_walks_back_through_production_history(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    for _ in range(3):
        v = reg.register(_artifact(tmp_path), {})
        reg.set_alias("production", v, "promoted")
    assert reg.rollback() == ("3", "2", "3")  # 3 was also the candidate: withdrawn
    assert "candidate" not in reg.aliases()
    assert reg.rollback() == ("2", "1", None)  # further back, not back to 3
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        reg.rollback()
    assert reg.rollback(to="3", reason="3 was fine after all") == ("1", "3", None)
    assert reg.rollback(to="3") == ("3", "3", None)  # already there: a no-op
    assert reg.aliases()["production"] == "3"
    assert reg.events()[-1].reason == "3 was fine after all"
    assert [e.event for e in reg.events()].count("alias_removed") == 1
    assert production_history(reg.events())[-1] == "3"


def test_a_held_lock_times_out_with_exit_5(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry", "loans", lock_timeout=0.3)
    reg.register(_artifact(tmp_path), {})
    with (
        exclusive_lock(reg.root / ".lock", 1, "test"),
        pytest.raises(LockTimeoutError, match="is locked by another mlmon process"),
    ):
        reg.register(_artifact(tmp_path), {})
    assert reg.versions() == ["1"]


WORKER = """
import random, sys
from pathlib import Path
from mlmon.registry import Registry
reg = Registry(Path(sys.argv[1]), "loans", lock_timeout=60)
rng = random.Random(int(sys.argv[2]))
for _ in range(5):
    if rng.random() < 0.5:
        reg.set_alias("production", rng.choice(reg.versions()), "promoted")
    else:
        try:
            reg.rollback()
        except Exception:
            pass
"""


def test_twenty_processes_promoting_and_rolling_back_leave_a_consistent_history(
    tmp_path: Path,
) -> None:
    reg = _registry(tmp_path)
    for _ in range(4):
        reg.register(_artifact(tmp_path), {})
    reg.set_alias("production", "1", "promoted")
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(reg.base), str(seed)])
        for seed in range(20)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 20
    lines = reg.events_file.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # every line parses
    production = reg.aliases()["production"]
    assert production in reg.versions()
    moves = [e for e in reg.events() if e.alias == "production"]
    assert moves[-1].to_version == production  # replaying the log yields the alias
    assert len(moves) > 20


KILLED = """
import sys
from pathlib import Path
from mlmon.registry import Registry
Registry(Path(sys.argv[1]), "loans").register(Path(sys.argv[2]), {})
"""


def test_sigkill_during_registration_leaves_no_half_version(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    reg.register(_artifact(tmp_path, size=10), {})
    big = _artifact(tmp_path, "big.bin", size=400_000_000)
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(reg.base), str(big)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        p.name.startswith(".tmp-") for p in reg.versions_dir.iterdir()
    ):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert reg.versions() == ["1"]  # the half-copied version is invisible
    assert reg.register(_artifact(tmp_path, size=10), {}) == "2"  # the number is not wasted
    assert not [p for p in reg.versions_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_registry_path_that_cannot_be_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "registry").write_text("not a directory")
    with pytest.raises(RegistryError, match="registry is not a directory") as err:
        _registry(tmp_path).register(_artifact(tmp_path), {})
    assert err.value.exit_code == 5


def test_an_alias_move_that_expects_a_stale_target_changes_nothing(tmp_path: Path) -> None:
    reg = _registry(tmp_path)
    for _ in range(3):
        reg.register(_artifact(tmp_path), {})
    reg.set_alias("production", "1", "promoted", expect=None)
    reg.set_alias("production", "2", "promoted")  # another process, meanwhile
    with pytest.raises(RegistryError, match="moved to 2 while this decision was made"):
        reg.set_alias("production", "3", "promoted", expect="1")
    assert reg.aliases()["production"] == "2"
