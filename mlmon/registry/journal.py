"""Registry transactions: every change is one unit that a crash cannot leave half done.

A change — a registration, an alias move, a rollback's two moves, a logged event — touches up
to three things: a version directory (renamed into place), ``events.jsonl`` (lines appended)
and ``aliases/`` (files replaced or removed). Each step is atomic, but a process killed or a
write failing between two of them would leave a version without its ``registered`` event, or
an event whose alias never moved. So, under the registry lock, before its first step, the
change is written down whole as an **intent** (``<model>/.intent.json``: the events to
append, each with a unique id, the size of the log before them, every alias before and after,
the version directory to rename). Then:

1. rename the version directory into place (a registration);
2. append the events, in order — the last one's ``fsync`` is the **commit point**;
3. write the aliases; 4. delete the intent.

Whoever takes the lock next (any mutation; a read that finds an intent waits for the lock
first) finishes a leftover intent: if every one of its events is in the log, the change was
committed and its aliases are written again (idempotent); otherwise it is undone — the log
truncated back to its size before the change, the aliases put back, the renamed version
directory removed. So the log and the aliases always end consistent, and an event is never
logged twice: a retried command starts from a clean state. A process whose write fails
recovers the same way at once, before it reports the error.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import socket
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlmon.errors import RegistryError
from mlmon.fsutil import append_line_durably, atomic_write_bytes, fsync_dir, is_safe_name
from mlmon.registry import layout
from mlmon.registry.events import EVENTS, Event
from mlmon.registry.faults import fault
from mlmon.timewindow import iso_utc


@dataclass
class Intent:
    """One change, written down before its first step (see the module docstring)."""

    id: str
    events_size: int
    """The byte size of ``events.jsonl`` before the change (0 when there was none)."""
    events: list[dict[str, Any]]
    """The event records to append, each with an ``id`` unique to this change."""
    aliases: dict[str, list[str | None]] = field(default_factory=dict)
    """alias → [version before, version after] (None: no such alias)."""
    version: str | None = None
    """A registration: the version directory it creates ..."""
    build: str | None = None
    """... by renaming this hidden build directory of ``versions/``."""

    @classmethod
    def parse(cls, data: bytes, path: Path) -> Intent:
        try:
            raw = json.loads(layout.decode(data, path))
            intent = cls(**raw)
            ok = (
                isinstance(intent.id, str)
                and isinstance(intent.events_size, int)
                and all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in intent.events)
                and all(
                    is_safe_name(a) and isinstance(v, list) and len(v) == 2
                    for a, v in intent.aliases.items()
                )
                and all(
                    v is None or layout.VERSION.match(v)
                    for pair in intent.aliases.values()
                    for v in pair
                )
                and (intent.version is None or layout.VERSION.match(intent.version))
                and (intent.build is None or intent.build.startswith(".tmp-"))
                and (intent.build is None or "/" not in intent.build)
            )
        except (ValueError, TypeError, AttributeError):
            ok = False
        if not ok:
            raise RegistryError(
                f"{path}: the record of an interrupted registry change is damaged",
                hint="compare events.jsonl with aliases/ (mlmon registry history), repair by "
                "hand, then delete the file",
            )
        return intent


def pending(paths: layout.Paths) -> bool:
    """Whether an interrupted change waits to be finished or undone."""
    return paths.intent.exists() or paths.intent.is_symlink()


def events_size(paths: layout.Paths) -> int:
    """The current size of the event log (its size before a change about to begin)."""
    return paths.events.stat().st_size if paths.events.exists() else 0


def execute(paths: layout.Paths, intent: Intent) -> None:
    """Carry out ``intent`` (the caller holds the registry lock). A failed write is undone
    (or, past the commit point, finished) before the error is raised (exit 5, naming the
    file)."""
    try:
        atomic_write_bytes(paths.intent, json.dumps(asdict(intent)).encode())
    except OSError as exc:
        raise RegistryError(
            f"cannot write {paths.intent} ({exc.strerror or exc}); nothing changed",
            hint=_HINT,
        ) from exc
    step = paths.intent
    try:
        fault("registry.after_intent")
        if intent.version is not None and intent.build is not None:
            step = paths.versions / intent.version
            os.rename(paths.versions / intent.build, step)  # appears whole
            fsync_dir(paths.versions)
            fault("registry.after_rename")
        step = paths.events
        for n, record in enumerate(intent.events, 1):
            append_line_durably(paths.events, json.dumps(record, sort_keys=True))
            fault(f"registry.after_event_{n}")
        _set_aliases(paths, intent, after=True, faults=True)
        step = paths.intent
        _done(paths)
    except OSError as exc:
        try:
            outcome = recover(paths)
        except (OSError, RegistryError):
            outcome = None
        said = {
            "completed": "the change was recorded and has been completed",
            "rolled back": "nothing changed",
            None: "the change is unfinished; the next mlmon command that uses the registry "
            "finishes or undoes it",
        }[outcome]
        raise RegistryError(
            f"cannot write {step} ({exc.strerror or exc}); {said}", hint=_HINT
        ) from exc


_HINT = "check the free space, permissions and file-size limit (ulimit -f) of the registry"


def recover(paths: layout.Paths) -> str | None:
    """Finish or undo a leftover change (the caller holds the lock): ``"completed"``,
    ``"rolled back"``, or None when there was none."""
    if not pending(paths):
        return None
    intent = Intent.parse(layout.read_bytes(paths.intent), paths.intent)
    logged = _logged_ids(paths.events, intent.events_size)
    if all(record["id"] in logged for record in intent.events):
        _set_aliases(paths, intent, after=True, faults=False)
        _done(paths)
        return "completed"
    if paths.events.exists() and paths.events.stat().st_size > intent.events_size:
        os.truncate(layout.refuse_symlink(paths.events), intent.events_size)
        with open(paths.events, "rb") as fh:
            os.fsync(fh.fileno())
    _set_aliases(paths, intent, after=False, faults=False)
    for name in (intent.version, intent.build):
        if name is not None:
            target = layout.refuse_symlink(paths.versions / name)
            if target.exists():
                shutil.rmtree(target)
    if paths.versions.is_dir():
        fsync_dir(paths.versions)
    _done(paths)
    return "rolled back"


def _set_aliases(paths: layout.Paths, intent: Intent, *, after: bool, faults: bool) -> None:
    for n, (alias, (before, later)) in enumerate(sorted(intent.aliases.items()), 1):
        target = layout.refuse_symlink(paths.aliases / alias)
        value = later if after else before
        if value is None:
            if target.exists():
                target.unlink()
                fsync_dir(paths.aliases)
        else:
            atomic_write_bytes(target, f"{value}\n".encode())
        if faults:
            fault(f"registry.after_alias_{n}")


def _done(paths: layout.Paths) -> None:
    paths.intent.unlink(missing_ok=True)
    fsync_dir(paths.root)


def _logged_ids(events: Path, offset: int) -> set[str]:
    """The ids of the events appended after ``offset`` (lines torn by a crash are skipped)."""
    if not events.exists():
        return set()
    data = layout.read_bytes(events)[offset:]
    ids = set()
    for line in data.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            ids.add(record["id"])
    return ids


class Change:
    """The events and alias moves of one transaction, gathered, then run as one
    (:func:`mlmon.registry.journal.execute`)."""

    def __init__(self, paths: layout.Paths, version: str | None, build: str | None) -> None:
        self.paths = paths
        self.id = uuid.uuid4().hex
        self.intent = Intent(self.id, events_size(paths), [], {}, version=version, build=build)

    def log(
        self,
        event: str,
        *,
        version: str | None = None,
        alias: str | None = None,
        from_version: str | None = None,
        to_version: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        assert event in EVENTS, event
        record = Event(
            time=str(iso_utc(dt.datetime.now(dt.UTC))),
            event=event,
            version=version,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            reason=reason,
            user=_user(),
            host=socket.gethostname(),
            details=details,
        ).to_dict()
        record["id"] = f"{self.id}.{len(self.intent.events) + 1}"
        self.intent.events.append(json.loads(json.dumps(record, default=str)))

    def move(
        self,
        alias: str,
        before: str | None,
        after: str | None,
        event: str,
        *,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Point ``alias`` from ``before`` to ``after`` (None: remove it), logged as ``event``."""
        self.log(
            event,
            version=after or before,
            alias=alias,
            from_version=before,
            to_version=after,
            reason=reason,
            details=details,
        )
        first = self.intent.aliases.get(alias, [before, None])[0]
        self.intent.aliases[alias] = [first, after]

    def run(self) -> None:
        execute(self.paths, self.intent)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
