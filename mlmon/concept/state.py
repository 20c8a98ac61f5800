"""The saved stream of the concept-drift detectors: where it lives, what it holds, when a run
may continue it, and how it is discarded. The one module of :mod:`mlmon.concept` that reads
and writes files; the place is the store's (:meth:`StoreLayout.concept_state_dir`), the
version the operation's (:mod:`mlmon.ops.drift`, from the registry).

``<store>/_state/concept/<model>/<version>/<detector>.json`` (``<version>``: the registry's
production version, ``unversioned`` without one), written atomically under
``<detector>.lock``: the detector's state, its parameters, where the stream starts
(``origin``: the start of the window of the run that began it), the time of the first and of
the last row it read (``first_read``, ``high_water``), the values read since its last change point,
every change point with the count and sum of the errors of the stream's segment before it,
and the count and sum of the open segment after the last one.

**Which runs continue it** (stateful), all three holding:

1. the current data is a window of the store and ``drift.concept.persist`` is on;
2. the window ends at the present: ``--until`` omitted (now) or ``latest`` — a cron run;
3. the window does not start before the saved stream's start (its ``origin``): rows before
   it were never streamed, and the stream only moves forward in time. A cron job's window
   moves forward with ``--until``, so this holds on every run.

A stateful run feeds the detectors only the rows newer than the stream's last one, so the
stream advances and never goes back. Every other run is stateless: fresh detectors read the
window's rows alone, and the state file is neither read nor written.

**A damaged state is explained, not reset.** A file that is unreadable, not a regular file,
or not the shape written here (``[]``, ``null``, a field of the wrong type, a detector state
its class refuses) is a DataError (exit 4) naming the file, with the hint
``--reset-concept-state``. Resetting it silently would forget the stream's change points and
restart the detectors' warm-up, hiding a drift the stream had begun to show; the user decides.
A state that cannot be written (a read-only store, a file where a directory should be) is
exit 4 naming the path too. (An older format or other parameters restart the stream: that is
a deliberate reconfiguration, not damage.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlmon.config import Config
from mlmon.config.base import short, short_repr
from mlmon.errors import DataError
from mlmon.fsutil import (
    STATE_LOCK_HINT,
    STATE_LOCK_TIMEOUT,
    atomic_write_bytes,
    exclusive_lock,
    read_regular_file,
)
from mlmon.store.layout import StoreLayout
from mlmon.timewindow import iso_utc

RESET_HINT = "run mlmon drift --reset-concept-state to start the stream afresh"

STATE_FORMAT = 2
"""2: change points carry their segment's count and sum (1 did not; such a file restarts)."""


def state_root(config: Config) -> Path:
    """``<store>/_state/concept/<model>``: every version's stream of the model
    (:meth:`StoreLayout.concept_state_dir`)."""
    return StoreLayout(config.store.path).concept_state_dir(config.model.name)


def state_dir(config: Config, version: str) -> Path:
    """The directory of ``version``'s stream (the production version, or ``unversioned``,
    which the operation reads from the registry: the registry checks it is a version number,
    so a damaged or hostile alias is exit 5, never a path outside the store)."""
    return state_root(config) / version


@contextlib.contextmanager
def lock_for(path: Path) -> Iterator[None]:
    """The exclusive lock over one detector's state file. The state is read and written
    under it: a state that cannot be (a read-only store, a file where a directory should
    be) is a DataError naming the path (exit 4), not an internal error."""
    try:
        with exclusive_lock(
            path.with_suffix(".lock"), STATE_LOCK_TIMEOUT, "the concept state", STATE_LOCK_HINT
        ):
            yield
    except OSError as exc:
        raise DataError(
            f"cannot write the concept-drift state {path}: {exc.strerror or short(str(exc))}",
            hint="make the store's _state directory writable, or run with an explicit "
            "--until (stateless), or set drift.concept.persist: false",
        ) from exc


def load(path: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    """The saved state, or None to start afresh (no file yet, an older format, or other
    parameters: the detector was reconfigured, so its old stream no longer applies)."""
    try:
        data = json.loads(read_regular_file(path).decode("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None  # (a file where a directory should be fails when the state is written)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: unreadable concept-drift state ({_reason(exc)})", hint=RESET_HINT
        ) from exc
    if not isinstance(data, dict):
        raise _damaged(path, f"a JSON {type(data).__name__}, not an object")
    if data.get("format") != STATE_FORMAT or data.get("params") != params:
        return None
    if problem := _problem(path.stem, data):
        raise _damaged(path, problem)
    return dict(data)


def save(path: Path, document: dict[str, Any]) -> None:
    """Write a detector's state atomically (under :func:`lock_for`, which turns a failure
    into a DataError naming the path)."""
    atomic_write_bytes(path, json.dumps(document, indent=1).encode())


def _damaged(path: Path, problem: str) -> DataError:
    return DataError(f"{path}: damaged concept-drift state ({problem})", hint=RESET_HINT)


def _problem(name: str, data: dict[str, Any]) -> str | None:
    """What is structurally wrong with a saved stream of detector ``name`` (None: nothing):
    every field :func:`mlmon.concept.run` reads, with its type."""
    from mlmon.concept.detectors import DETECTORS

    if name not in DETECTORS:
        return f"no detector is called {short_repr(name)}"
    if not isinstance(data.get("detector"), dict):
        return "detector is missing or not an object"
    try:
        DETECTORS[name].from_state(data["detector"])
    except Exception as exc:  # any shape of damage inside the detector's own state
        return f"detector: {short(str(exc)) or type(exc).__name__}"
    for key in ("high_water", "origin", "first_read"):
        if not _instant(data.get(key), optional=key != "high_water"):
            return f"{key} is not a date-time"
    if not _count(data.get("since_reset")):
        return "since_reset is not a count"
    points = data.get("change_points")
    if not isinstance(points, list) or not all(
        isinstance(p, list)
        and len(p) == 4
        and _instant(p[0])
        and _instant(p[1], optional=True)
        and _count(p[2])
        and _number(p[3])
        for p in points
    ):
        return "change_points are not [time, warning time, count, sum] lists"
    segment = data.get("open")
    if not (
        isinstance(segment, list)
        and len(segment) == 2
        and _count(segment[0])
        and _number(segment[1])
    ):
        return "open is not [count, sum]"
    return None


def _instant(value: Any, optional: bool = False) -> bool:
    if value is None:
        return optional
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def stream_origin(directory: Path, detectors: dict[str, dict[str, Any]]) -> dt.datetime | None:
    """The latest start of the configured detectors' saved streams (None: no saved stream)."""
    starts = []
    for name, params in detectors.items():
        saved = load(directory / f"{name}.json", params)
        if saved is not None and saved.get("origin"):
            starts.append(parse(saved["origin"]))
    return max(starts) if starts else None


def continues_stream(
    *,
    store: bool,
    persist: bool,
    present: bool,
    since: dt.datetime | None,
    first: dt.datetime | None,
) -> tuple[bool, str]:
    """Whether a run continues the saved stream (the rule of the module docstring), and why."""
    if not store:
        return False, "files, not a window of the store: fresh detectors on their rows"
    if not persist:
        return False, "drift.concept.persist is false: fresh detectors on the window's rows"
    if not present:
        return False, (
            "an explicit range (--until is neither now nor latest): fresh detectors on its rows"
        )
    if first is not None and (since is None or since < first):
        return False, f"the window starts before the saved stream's start ({iso_utc(first)})"
    if first is None:
        return True, "starts the saved stream (--until is now or latest)"
    return True, "continues the saved stream (--until is now or latest)"


def reset(config: Config) -> list[Path]:
    """Discard every saved detector stream of the model (each file under its lock); the
    files removed."""
    root = state_root(config)
    removed = []
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        with lock_for(path):
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # another run discarded it first
        removed.append(path)
    return removed


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_or_none(text: str | None) -> dt.datetime | None:
    return None if text is None else parse(text)


def _reason(exc: Exception) -> str:
    """Why a state file could not be read, without repeating its path."""
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else None) or short(str(exc))
