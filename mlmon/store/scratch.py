"""A private scratch directory for one ingest run (the stdin spool, a dry run's staging) that
a killed run does not leave behind for good.

A SIGKILL skips every ``finally``, so a run cannot clean up after itself. Instead each run
holds an ``flock`` on a file inside its directory for as long as it lives (the kernel drops it
when the process dies), and every run first removes the directories whose lock it can take:
those of dead runs. A directory is created under a hidden name and renamed to its final
name only once its lock is held, so a live run's directory is never mistaken for a dead one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "mlmon-scratch-"
_NEW = ".mlmon-scratch-new-"
_OWNER = ".owner"
_ABANDONED_AFTER = 3600.0
"""A directory killed between its creation and its rename (a few microseconds) is removed
once it is this old."""


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A fresh directory under the system's temporary directory, removed on exit; those of
    killed runs (of this user) are removed on entry."""
    root = Path(tempfile.gettempdir())
    clear_abandoned(root)
    new = Path(tempfile.mkdtemp(prefix=_NEW, dir=root))
    fd = os.open(new / _OWNER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = root / (PREFIX + new.name.removeprefix(_NEW))
        os.rename(new, path)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)
        shutil.rmtree(new, ignore_errors=True)  # only if the rename did not happen


def clear_abandoned(root: Path) -> list[Path]:
    """Remove the scratch directories of dead runs under ``root``; return them."""
    removed = []
    uid = os.getuid()
    with contextlib.suppress(OSError):
        for child in root.iterdir():
            if not child.name.startswith((PREFIX, _NEW)):
                continue
            try:
                info = child.lstat()
                if not child.is_dir() or child.is_symlink() or info.st_uid != uid:
                    continue
                if child.name.startswith(_NEW):
                    if time.time() - info.st_mtime > _ABANDONED_AFTER:
                        shutil.rmtree(child)
                        removed.append(child)
                    continue
                if _dead(child):
                    shutil.rmtree(child)
                    removed.append(child)
            except OSError:
                continue  # another run is removing it, or it is not ours to remove
    return removed


def _dead(directory: Path) -> bool:
    """Is the run that owns ``directory`` gone (its lock free)?"""
    try:
        fd = os.open(directory / _OWNER, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
