"""Crash-safe file-system primitives shared by the log store and (later) the registry.

Atomic replacement follows the usual POSIX recipe: write a temporary file in the target's
directory, ``fsync`` it, ``rename`` it over the target, then ``fsync`` the directory so the
rename itself survives a power cut. Locks are ``flock`` locks, released by the kernel when
the holder dies, so a SIGKILLed process never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from mlmon.errors import LockTimeoutError

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new names, renames) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file's contents to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(directory: Path, suffix: str = "") -> Path:
    """A fresh hidden name in ``directory``: invisible to readers that skip dot-files."""
    return directory / f"{TMP_PREFIX}{uuid.uuid4().hex}{suffix}"


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` so that readers see the old or the new file, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(target.parent)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def append_line_durably(target: Path, line: str) -> None:
    """Append one line (with newline) to a journal file and fsync it.

    Callers hold the lock that serialises writers, so lines never interleave.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(line.rstrip("\n") + "\n")
        fh.flush()
        os.fsync(fh.fileno())


STATE_LOCK_TIMEOUT = 300.0
"""Seconds a run waits for another run to finish with a state file (alerts, concept drift):
long enough for webhook retries, short enough that a stuck run is reported."""

STATE_LOCK_HINT = "another mlmon run has held it for 5 minutes; it is released when that run exits"


@contextlib.contextmanager
def exclusive_lock(
    lock_file: Path, timeout: float, what: str, hint: str | None = None
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file``; wait at most ``timeout`` seconds for it.

    Raises :class:`LockTimeoutError` (exit 5) naming ``what`` and the lock file when another
    process keeps it longer than that; ``hint`` replaces the default advice (which points at
    the config's lock_timeout keys).
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(
                        f"{what} is locked by another mlmon process (waited {timeout:g}s for "
                        f"{lock_file})",
                        hint=hint
                        or "wait for the other run to finish, or raise the lock_timeout in the "
                        "config; the lock is released automatically when its holder exits",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``, which must be a regular file.

    State and cache files are read with this: opening a FIFO put in their place would wait
    for a writer forever, and a device never ends. Raises FileNotFoundError (and the other
    OSErrors of ``open``) as usual, and OSError(EINVAL) naming what the path is instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a directory"
                if stat.S_ISDIR(mode)
                else "a device or socket"
            )
            raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def sha256_file(path: Path, *, follow_symlinks: bool = True) -> str:
    """The SHA-256 of a file's bytes, read in blocks (``hashlib.file_digest``). With
    ``follow_symlinks=False`` a symbolic link is an ``OSError`` (``O_NOFOLLOW``), not its
    target's digest."""
    flags = os.O_RDONLY | (0 if follow_symlinks else os.O_NOFOLLOW)
    with os.fdopen(os.open(path, flags), "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def is_safe_name(value: str) -> bool:
    """Can ``value`` be one path component as it is: letters, digits, ``.``, ``_`` and ``-``,
    starting with a letter or digit, at most 128 characters, no ``..`` (the rule for model
    names, versions, aliases and registry file names).

    >>> is_safe_name("loan-default.v2"), is_safe_name("../x"), is_safe_name("a..b")
    (True, False, False)
    """
    return bool(_SAFE_NAME.match(value)) and ".." not in value
