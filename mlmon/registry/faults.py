"""Fault points for tests only: how the crash-safety tests stop a registry move between two
of its steps, deterministically (random kills never land in these windows).

``MLMON_FAULT=<point>`` makes the process die at ``<point>`` with ``os._exit(137)``, as a
SIGKILL would (no ``finally``, no flush); ``MLMON_FAULT=<point>:raise`` raises an
``OSError`` there instead, as a failed write would. The points are named where
:func:`fault` is called (``registry.after_intent``, ``registry.after_rename``,
``registry.after_event_1``, ...). Unset (always, outside the tests), :func:`fault` does
nothing. It is read at each call, never at import.
"""

from __future__ import annotations

import errno
import os

ENV = "MLMON_FAULT"


def fault(point: str) -> None:
    """Die or fail at ``point`` when the tests ask for it (see the module docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, how = spec.partition(":")
    if name != point:
        return
    if how == "raise":
        raise OSError(errno.EIO, f"injected fault at {point}")
    os._exit(137)
