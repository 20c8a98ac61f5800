"""The model registry on disk (DESIGN.md §6): versions, aliases and the event log.

```
<registry>/<model>/
  versions/<N>/         artifact, metadata.json (lineage, artifact SHA-256), reference profile
  aliases/<alias>       one line: the version it points to (production, candidate, ...)
  events.jsonl          append-only: registered, alias_set, promoted, gate_failed, forced,
                        rolled_back, alias_removed
  .lock                 flock held around every mutation
```

Every mutation holds the lock (with a timeout and a clear error when another process keeps
it). A version directory is built under a hidden temporary name in ``versions/`` and renamed
into place, so it appears whole or not at all; the next number is the highest existing one
plus one, chosen under the lock, so two registrations never share or skip a number (a killed
registration leaves only a hidden directory, removed by the next writer). Aliases are
replaced atomically; each change is appended to ``events.jsonl`` first, so the log is the
history (DVC's GTO derives state from events the same way) and ``rollback`` can walk it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import re
import shutil
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from mlmon.errors import RegistryError
from mlmon.fsutil import (
    TMP_PREFIX,
    append_line_durably,
    atomic_write_bytes,
    exclusive_lock,
    fsync_dir,
    fsync_file,
)
from mlmon.registry.events import EVENTS, Event, production_history, rolled_back_out
from mlmon.timewindow import iso_utc

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
METADATA = "metadata.json"


class Rollback(NamedTuple):
    """What a rollback did (or, in a dry run, would do)."""

    from_version: str
    to_version: str
    withdrawn_candidate: str | None
    """The rolled-back version, when it was the candidate and that alias was removed."""


def check_name(value: str, what: str) -> str:
    """``value`` if it is a safe registry name (no path separators, no ``..``), else exit 5.

    >>> check_name("v2.1", "alias")
    'v2.1'
    """
    if not NAME.match(value) or ".." in value:
        raise RegistryError(
            f"{value!r} is not a valid {what}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no path separators, no '..')",
            hint=f"choose another {what}",
        )
    return value


class Registry:
    """The registry of one model under ``root`` (the configured registry path)."""

    def __init__(self, root: Path, model: str, lock_timeout: float = 60.0) -> None:
        self.base = Path(root)
        self.model = check_name(model, "model name")
        self.root = self.base / self.model
        self.lock_timeout = lock_timeout

    # ---------------------------------------------------------------- paths

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def aliases_dir(self) -> Path:
        return self.root / "aliases"

    @property
    def events_file(self) -> Path:
        return self.root / "events.jsonl"

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / check_name(version, "version")

    # ---------------------------------------------------------------- reads

    def versions(self) -> list[str]:
        """Registered versions, oldest first (numbers ascending)."""
        if not self.versions_dir.is_dir():
            return []
        found = [
            p.name
            for p in self.versions_dir.iterdir()
            if p.is_dir() and p.name.isdigit() and (p / METADATA).is_file()
        ]
        return sorted(found, key=int)

    def metadata(self, version: str) -> dict[str, Any]:
        """A version's ``metadata.json`` (exit 5 when unknown or unreadable)."""
        path = self.version_dir(version) / METADATA
        if not path.is_file():
            known = ", ".join(self.versions()) or "none yet"
            raise RegistryError(
                f"model {self.model!r} has no version {version!r} (registered: {known})",
                hint="see `mlmon registry list`",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(
                f"{path}: cannot read the version's metadata ({exc})",
                hint="the version is damaged; register a new one",
            ) from exc
        if not isinstance(data, dict):
            raise RegistryError(f"{path}: metadata is not a JSON object")
        return data

    def aliases(self) -> dict[str, str]:
        """Alias → version."""
        if not self.aliases_dir.is_dir():
            return {}
        out = {}
        for p in sorted(self.aliases_dir.iterdir()):
            if p.is_file() and not p.name.startswith(TMP_PREFIX) and NAME.match(p.name):
                out[p.name] = p.read_text(encoding="utf-8").strip()
        return out

    def resolve(self, ref: str) -> str:
        """A version number or an alias, as a registered version (exit 5 otherwise)."""
        if ref.isdigit():
            self.metadata(ref)
            return ref
        version = self.aliases().get(check_name(ref, "alias"))
        if version is None:
            withdrawn = [e for e in self.events() if e.event == "alias_removed" and e.alias == ref]
            if withdrawn:
                last = withdrawn[-1]
                raise RegistryError(
                    f"model {self.model!r} has no {ref} version: version {last.version} was "
                    f"withdrawn at {last.time} ({last.reason or 'no reason given'})",
                    hint="train a new one with mlmon retrain, or name a version number "
                    "(a version rolled back out of production needs --force --reason)",
                )
            raise RegistryError(
                f"model {self.model!r} has no alias {ref!r} "
                f"(aliases: {', '.join(self.aliases()) or 'none yet'})",
                hint="promote a version first, or name a version number",
            )
        self.metadata(version)
        return version

    def events(self) -> list[Event]:
        """The event log, oldest first (exit 5 on a damaged line, naming it)."""
        if not self.events_file.is_file():
            return []
        out = []
        lines = self.events_file.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(Event.from_dict(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RegistryError(
                    f"{self.events_file}: line {n} is not a valid event ({exc})",
                    hint="the log is append-only; restore the line from a backup",
                ) from exc
        return out

    def rolled_back_out(self, version: str) -> Event | None:
        """The event that rolled ``version`` out of production, unless it was put back
        since (see :func:`~mlmon.registry.events.rolled_back_out`)."""
        return rolled_back_out(self.events(), version)

    def artifact_path(self, ref: str, verify: bool = True) -> Path:
        """The artifact file of a version or alias, its SHA-256 checked first (exit 5 on a
        mismatch: never hand out a file that is not what was registered)."""
        version = self.resolve(ref)
        meta = self.metadata(version)
        path = self.version_dir(version) / str(meta["artifact"]["file"])
        if verify:
            expected = meta["artifact"]["sha256"]
            actual = sha256_file(path) if path.is_file() else None
            if actual != expected:
                raise RegistryError(
                    f"version {version} of {self.model!r}: the artifact {path} "
                    + ("is missing" if actual is None else "does not match its SHA-256")
                    + f" (expected {expected}"
                    + ("" if actual is None else f", found {actual}")
                    + ")",
                    hint="the file was changed or damaged after registration; do not load it. "
                    "Register the model again",
                )
        return path

    def load(self, ref: str, trusted: tuple[str, ...] = ()) -> Any:
        """The model of a version or alias (``"production"``): its SHA-256 checked, then
        loaded with skops under the trust policy of :mod:`mlmon.registry.artifact`."""
        from mlmon.registry.artifact import load_model

        return load_model(self.artifact_path(ref), trusted)

    # ---------------------------------------------------------------- writes

    def rollback(
        self, to: str | None = None, reason: str | None = None, dry_run: bool = False
    ) -> Rollback:
        """Point ``production`` back: to ``to``, or to the version that was production before
        the current one (see :func:`production_history`). from == to when production is
        already there (a no-op that logs nothing). ``dry_run`` decides and changes nothing.

        The version rolled back is withdrawn as ``candidate`` (event ``alias_removed``) when
        the alias still points at it, so an automatic ``mlmon promote`` cannot put it straight
        back; ``promote`` also refuses it by name without ``--force`` (:func:`rolled_back_out`).
        """
        with self.locked():
            current = self.aliases().get("production")
            if current is None:
                raise RegistryError(
                    f"model {self.model!r} has no production version to roll back",
                    hint="promote a version first",
                )
            if to is None:
                history = production_history(self.events())
                if len(history) < 2:
                    raise RegistryError(
                        f"nothing to roll back to: version {current} of {self.model!r} is the "
                        "first production version in the history (earlier rollbacks walked "
                        "back to it)"
                        if any(e.event == "rolled_back" for e in self.events())
                        else f"nothing to roll back to: version {current} is the only version "
                        f"{self.model!r} has had in production",
                        hint="name one with --to VERSION",
                    )
                target = history[-2]
            else:
                target = self.resolve(to)
            self.metadata(target)
            withdraw = self.aliases().get("candidate") == current and target != current
            if target == current or dry_run:
                return Rollback(current, target, current if withdraw else None)
            self._move_alias("production", target, "rolled_back", reason=reason)
            if withdraw:
                self._remove_alias(
                    "candidate",
                    reason=f"version {current} was rolled back out of production",
                )
            return Rollback(current, target, current if withdraw else None)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the registry lock (exit 5 after ``lock_timeout``)."""
        self._writable()
        with exclusive_lock(self.root / ".lock", self.lock_timeout, f"registry {self.root}"):
            self._clear_partial()
            yield

    def register(
        self,
        artifact: Path,
        metadata: Mapping[str, Any],
        *,
        extra_files: Mapping[str, Path] | None = None,
        alias: str | None = "candidate",
        reason: str | None = None,
    ) -> str:
        """Register ``artifact`` (copied) as the next version, with ``metadata`` plus the
        artifact's name and SHA-256; point ``alias`` at it. Returns the version."""
        if alias is not None:
            check_name(alias, "alias")
        with self.locked():
            versions = self.versions()
            version = str(int(versions[-1]) + 1) if versions else "1"
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            building = self.versions_dir / f"{TMP_PREFIX}{version}-{os.getpid()}"
            building.mkdir()
            try:
                target = building / artifact.name
                shutil.copyfile(artifact, target)
                fsync_file(target)
                for name, path in (extra_files or {}).items():
                    shutil.copyfile(path, building / check_name(name, "file name"))
                    fsync_file(building / name)
                meta = {
                    **metadata,
                    "model": self.model,
                    "version": version,
                    "artifact": {
                        "file": artifact.name,
                        "sha256": sha256_file(target),
                        "bytes": target.stat().st_size,
                    },
                }
                (building / METADATA).write_text(json.dumps(meta, indent=2, default=str) + "\n")
                fsync_file(building / METADATA)
                fsync_dir(building)
                os.rename(building, self.versions_dir / version)  # appears whole
                fsync_dir(self.versions_dir)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            self._event("registered", version=version, reason=reason)
            if alias is not None:
                self._move_alias(alias, version, "alias_set", reason=reason)
        return version

    def set_alias(
        self,
        alias: str,
        version: str,
        event: str,
        *,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        expect: str | bool | None = True,
    ) -> str | None:
        """Point ``alias`` at ``version`` (logged as ``event``); return the previous target.

        With ``expect`` (a version, or None for "no alias yet") the move happens only if the
        alias still points there, so a decision made outside the lock (the promotion gate,
        which takes seconds) never overwrites a move another process made meanwhile."""
        check_name(alias, "alias")
        with self.locked():
            self.metadata(version)
            current = self.aliases().get(alias)
            if expect is not True and current != expect:
                raise RegistryError(
                    f"{alias} of {self.model!r} moved to {current} while this decision was "
                    f"made (it was {expect}); nothing changed",
                    hint="run the command again",
                )
            return self._move_alias(alias, version, event, reason=reason, details=details)

    def record(
        self,
        event: str,
        *,
        version: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append an event that changes no alias (``gate_failed``, say)."""
        with self.locked():
            self._event(event, version=version, reason=reason, details=details)

    def _move_alias(
        self,
        alias: str,
        version: str,
        event: str,
        *,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> str | None:
        previous = self.aliases().get(alias)
        # the log first: a crash between the two leaves an event whose alias move a reader
        # can replay, never a moved alias with no record of why
        self._event(
            event,
            version=version,
            alias=alias,
            from_version=previous,
            to_version=version,
            reason=reason,
            details=details,
        )
        atomic_write_bytes(self.aliases_dir / alias, f"{version}\n".encode())
        return previous

    def _remove_alias(self, alias: str, *, reason: str | None = None) -> None:
        previous = self.aliases().get(alias)
        if previous is None:
            return
        # the log first, as for a move: a crash between the two leaves the event to replay
        self._event(
            "alias_removed", version=previous, alias=alias, from_version=previous, reason=reason
        )
        (self.aliases_dir / alias).unlink()
        fsync_dir(self.aliases_dir)

    def _event(
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
        )
        append_line_durably(self.events_file, json.dumps(record.to_dict(), sort_keys=True))

    def _writable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RegistryError(
                f"cannot create the registry directory {self.root} ({exc.strerror})",
                hint="check registry.path and its permissions",
            ) from exc
        if not os.access(self.root, os.W_OK):
            raise RegistryError(
                f"the registry directory {self.root} is read-only",
                hint="run as a user who may write there, or point registry.path elsewhere",
            )

    def _clear_partial(self) -> None:
        """Remove what a killed registration left (hidden build directories)."""
        if self.versions_dir.is_dir():
            for p in self.versions_dir.iterdir():
                if p.name.startswith(TMP_PREFIX):
                    shutil.rmtree(p, ignore_errors=False)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
