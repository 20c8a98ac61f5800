"""The model registry on disk (DESIGN.md §6): versions, aliases and the event log.

```
<registry>/<model>/
  versions/<N>/         artifact, metadata.json (lineage, artifact SHA-256), reference profile,
                        contract.yaml (the training data's contract, its SHA-256 in metadata)
  aliases/<alias>       one line: the version it points to (production, candidate, ...)
  events.jsonl          append-only: registered, alias_set, promoted, gate_failed, forced,
                        rolled_back, alias_removed
  .intent.json          an unfinished change, finished or undone by the next command
  .lock                 flock held around every mutation
```

Every mutation holds the lock (with a timeout and a clear error when another process keeps
it) and is one transaction of :mod:`mlmon.registry.journal`: a crash or a failed write at any
step leaves it to be finished or undone whole, so the event log (the history: DVC's GTO
derives state from events the same way, and ``rollback`` walks it) and the aliases always
agree. A version directory is built under a hidden temporary name in ``versions/`` and
renamed into place; the next number is the highest existing one plus one, chosen under the
lock. Every name read from disk (an alias's version, ``artifact.file``) passes
:func:`mlmon.registry.layout.inside`, and the registry holds no symbolic links.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from mlmon.errors import RegistryError
from mlmon.fsutil import TMP_PREFIX, exclusive_lock, fsync_dir, fsync_file
from mlmon.registry import journal, layout
from mlmon.registry.events import Event, production_history, rolled_back_out
from mlmon.registry.layout import METADATA, VERSION, check_name, sha256_file


class Rollback(NamedTuple):
    """What a rollback did (or, in a dry run, would do)."""

    from_version: str
    to_version: str
    withdrawn_candidate: str | None
    """The rolled-back version, when it was the candidate and that alias was removed."""


class Registry:
    """The registry of one model under ``root`` (the configured registry path)."""

    def __init__(self, root: Path, model: str, lock_timeout: float = 60.0) -> None:
        self.base = Path(root)
        self.model = check_name(model, "model name")
        self.root = self.base / self.model
        self.lock_timeout = lock_timeout
        self.paths = layout.Paths(self.base, self.model)
        self._holding = False

    # ---------------------------------------------------------------- paths

    @property
    def versions_dir(self) -> Path:
        return self.paths.versions

    @property
    def aliases_dir(self) -> Path:
        return self.paths.aliases

    @property
    def events_file(self) -> Path:
        return self.paths.events

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / check_name(version, "version")

    # ---------------------------------------------------------------- reads

    def versions(self) -> list[str]:
        """Registered versions, oldest first (numbers ascending)."""
        self._settle()
        return [
            v for v in layout.numbered(self.paths) if (self.versions_dir / v / METADATA).is_file()
        ]

    def metadata(self, version: str) -> dict[str, Any]:
        """A version's ``metadata.json`` (exit 5 when unknown, unreadable, or when its
        ``artifact`` section is missing or names a file outside the version directory)."""
        self._settle()
        directory = self.version_dir(version)
        path = directory / METADATA
        known = layout.numbered(self.paths)
        if version not in known or not (path.exists() or path.is_symlink()):
            registered = ", ".join(self.versions()) or "none yet"
            raise RegistryError(
                f"model {self.model!r} has no version {version!r} (registered: {registered})",
                hint="see `mlmon registry list`",
            )
        return layout.read_metadata(path)

    def aliases(self) -> dict[str, str]:
        """Alias → version (each checked to be a version number; exit 5 otherwise)."""
        self._settle()
        return layout.read_aliases(self.paths)

    def resolve(self, ref: str) -> str:
        """A version number or an alias, as a registered version (exit 5 otherwise)."""
        if VERSION.match(ref):
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
        self._settle()
        return layout.read_events(self.paths)

    def rolled_back_out(self, version: str) -> Event | None:
        """The event that rolled ``version`` out of production, unless it was put back
        since (see :func:`~mlmon.registry.events.rolled_back_out`)."""
        return rolled_back_out(self.events(), version)

    def artifact_path(self, ref: str, verify: bool = True) -> Path:
        """The artifact file of a version or alias, its SHA-256 checked first (exit 5 on a
        mismatch: never hand out a file that is not what was registered)."""
        version = self.resolve(ref)
        return self._file(version, self.metadata(version)["artifact"], "artifact", verify)

    def contract_path(self, ref: str) -> Path | None:
        """The training data's contract (``contract.yaml``) of a version or alias, its
        SHA-256 checked (exit 5 on a mismatch or a damaged ``contract`` section); None for a
        version registered without one (before mlmon stored contracts)."""
        version = self.resolve(ref)
        section = self.metadata(version).get("contract")
        if section is None:
            return None
        sha = section.get("sha256") if isinstance(section, dict) else None
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= layout.SHA256):
            raise RegistryError(
                f"{self.version_dir(version) / METADATA}: the 'contract' section has no valid "
                "SHA-256, so the training contract cannot be checked",
                hint="the version is damaged; register a new one",
            )
        return self._file(version, section, "contract", True)

    def _file(self, version: str, section: Mapping[str, Any], what: str, verify: bool) -> Path:
        """The file a metadata ``section`` (``file``, ``sha256``) names, inside the version
        directory, and unless ``verify`` is false with its SHA-256 checked (exit 5)."""
        directory = self.version_dir(version)
        path = layout.inside(directory, section.get("file"), f"{what}.file", directory / METADATA)
        if verify:
            expected = section["sha256"]
            actual = sha256_file(path) if path.is_file() else None
            if actual != expected:
                raise RegistryError(
                    f"version {version} of {self.model!r}: the {what} {path} "
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
            aliases = layout.read_aliases(self.paths)
            current = aliases.get("production")
            if current is None:
                raise RegistryError(
                    f"model {self.model!r} has no production version to roll back",
                    hint="promote a version first",
                )
            if to is None:
                events = layout.read_events(self.paths)
                history = production_history(events)
                if len(history) < 2:
                    raise RegistryError(
                        f"nothing to roll back to: version {current} of {self.model!r} is the "
                        "first production version in the history (earlier rollbacks walked "
                        "back to it)"
                        if any(e.event == "rolled_back" for e in events)
                        else f"nothing to roll back to: version {current} is the only version "
                        f"{self.model!r} has had in production",
                        hint="name one with --to VERSION",
                    )
                target = history[-2]
            else:
                target = self.resolve(to)
            self.metadata(target)
            withdraw = aliases.get("candidate") == current and target != current
            if target == current or dry_run:
                return Rollback(current, target, current if withdraw else None)
            change = self._change()
            change.move("production", current, target, "rolled_back", reason=reason)
            if withdraw:
                change.move(
                    "candidate",
                    current,
                    None,
                    "alias_removed",
                    reason=f"version {current} was rolled back out of production",
                )
            change.run()
            return Rollback(current, target, current if withdraw else None)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the registry lock (exit 5 after ``lock_timeout``), having first finished or
        undone a change a crash interrupted (:mod:`mlmon.registry.journal`)."""
        if self._holding:
            yield
            return
        self._writable()
        lock = layout.refuse_symlink(self.root / ".lock")
        if lock.exists() and not lock.is_file():
            raise RegistryError(
                f"{lock} is not a file, so the registry cannot be locked",
                hint="remove it; mlmon creates the lock file itself",
            )
        with exclusive_lock(lock, self.lock_timeout, f"registry {self.root}"):
            self._holding = True
            try:
                journal.recover(self.paths)
                self._clear_partial()
                yield
            finally:
                self._holding = False

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
        check_name(artifact.name, "file name")
        with self.locked():
            numbered = layout.numbered(self.paths)
            version = str(int(numbered[-1]) + 1) if numbered else "1"
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            building = self.versions_dir / f"{TMP_PREFIX}{version}-{os.getpid()}"
            step = building
            try:
                building.mkdir()
                step = building / artifact.name
                shutil.copyfile(artifact, step)
                fsync_file(step)
                for name, path in (extra_files or {}).items():
                    step = building / check_name(name, "file name")
                    shutil.copyfile(path, step)
                    fsync_file(step)
                meta = {
                    **metadata,
                    "model": self.model,
                    "version": version,
                    "artifact": {
                        "file": artifact.name,
                        "sha256": sha256_file(building / artifact.name),
                        "bytes": (building / artifact.name).stat().st_size,
                    },
                }
                step = building / METADATA
                step.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
                fsync_file(step)
                fsync_dir(building)
            except OSError as exc:
                shutil.rmtree(building, ignore_errors=True)
                raise RegistryError(
                    f"cannot write {step} ({exc.strerror or exc}); nothing was registered",
                    hint="check the free space, permissions and file-size limit (ulimit -f) "
                    "of the registry",
                ) from exc
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            change = self._change(version=version, build=building.name)
            change.log("registered", version=version, reason=reason)
            if alias is not None:
                change.move(
                    alias,
                    layout.read_aliases(self.paths).get(alias),
                    version,
                    "alias_set",
                    reason=reason,
                )
            change.run()
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
            current = layout.read_aliases(self.paths).get(alias)
            if expect is not True and current != expect:
                raise RegistryError(
                    f"{alias} of {self.model!r} moved to {current} while this decision was "
                    f"made (it was {expect}); nothing changed",
                    hint="run the command again",
                )
            change = self._change()
            change.move(alias, current, version, event, reason=reason, details=details)
            change.run()
            return current

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
            change = self._change()
            change.log(event, version=version, reason=reason, details=details)
            change.run()

    # ---------------------------------------------------------------- internals

    def _change(self, version: str | None = None, build: str | None = None) -> journal.Change:
        assert self._holding, "a change is made under the lock"
        return journal.Change(self.paths, version, build)

    def _settle(self) -> None:
        """Before a read: check the registry's directory, and when a change was interrupted,
        take the lock so that it is finished or undone first (readers never see half)."""
        ready = layout.directory(self.base) and layout.directory(self.root)
        if ready and not self._holding and journal.pending(self.paths):
            with self.locked():
                pass

    def _writable(self) -> None:
        layout.directory(self.base)
        layout.refuse_symlink(self.root)
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
        if layout.directory(self.versions_dir):
            for p in self.versions_dir.iterdir():
                if p.name.startswith(TMP_PREFIX):
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p)
                    else:
                        p.unlink()
