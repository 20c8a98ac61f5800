"""Names and paths inside the registry, and the one check every name read from disk passes.

An alias file's content and a ``metadata.json``'s ``artifact.file`` are data, written by
mlmon but readable and writable by anyone with access to the registry. Before either becomes
part of a path, :func:`inside` checks it: a version number (an alias) or a plain file name (an
artifact) inside its directory, never an absolute path, a ``..``, a separator or a symbolic
link. The registry holds no symbolic links at all (:func:`refuse_symlink`), and its files are
opened without following one (:func:`read_bytes`), so nothing outside it is read, printed or
written. Messages name the file that is wrong, never echo its content.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlmon import fsutil
from mlmon.errors import RegistryError
from mlmon.fsutil import TMP_PREFIX
from mlmon.registry.events import Event

"""A model, alias or file name: no separators, not hidden."""

VERSION = re.compile(r"^[1-9][0-9]{0,17}$")
"""A version: 1, 2, ... in ASCII digits (``'²'.isdigit()`` is true, but it is no number)."""

METADATA = "metadata.json"
SHA256 = frozenset("0123456789abcdef")
MAX_ALIAS_BYTES = 64
"""An alias file holds one version number and a newline; anything longer is not an alias."""


@dataclass(frozen=True)
class Paths:
    """Where the registry of one model keeps what: the on-disk layout, in one place."""

    base: Path
    """The configured ``registry.path``."""
    model: str

    @property
    def root(self) -> Path:
        return self.base / self.model

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def aliases(self) -> Path:
        return self.root / "aliases"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def intent(self) -> Path:
        return self.root / ".intent.json"


def check_name(value: str, what: str) -> str:
    """``value`` if it is a safe registry name (no path separators, no ``..``), else exit 5.

    >>> check_name("v2.1", "alias")
    'v2.1'
    """
    if not fsutil.is_safe_name(value):
        raise RegistryError(
            f"{value!r} is not a valid {what}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no path separators, no '..')",
            hint=f"choose another {what}",
        )
    return value


def inside(directory: Path, name: object, what: str, source: Path, version: bool = False) -> Path:
    """``directory / name`` for a ``name`` read from the file ``source`` (an alias, a
    metadata file): a version number when ``version``, else a plain file name, and not a
    symbolic link — exit 5 otherwise, naming ``source`` and ``what`` but not the content.

    >>> inside(Path("versions"), "3", "the version", Path("aliases/production"), version=True)
    PosixPath('versions/3')
    >>> inside(Path("v/3"), "../../etc", "artifact.file", Path("v/3/metadata.json"))
    Traceback (most recent call last):
    ...
    mlmon.errors.RegistryError: v/3/metadata.json: artifact.file is not a plain file name ...
    """
    valid = isinstance(name, str) and (
        VERSION.match(name) if version else fsutil.is_safe_name(name)
    )
    if not valid:
        kind = "a version number" if version else "a plain file name inside its directory"
        raise RegistryError(
            f"{source}: {what} is not {kind} (the registry refuses anything that could "
            "point outside it)",
            hint="the file was edited or damaged; restore it from the event log "
            "(mlmon registry history) or a backup"
            if version
            else "the version was edited or damaged; do not use it, register the model again",
        )
    path = directory / str(name)
    refuse_symlink(path)
    return path


def refuse_symlink(path: Path) -> Path:
    """``path``, unless it is a symbolic link (exit 5: the registry holds none)."""
    if path.is_symlink():
        raise RegistryError(
            f"{path} is a symbolic link; the registry holds no symbolic links, so nothing "
            "outside it is read or written",
            hint="replace the link with the file or directory itself",
        )
    return path


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The content of a registry file, opened without following a symbolic link (exit 5 on
    one; ``FileNotFoundError`` passes through). ``limit``: refuse a longer file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_symlink(path)
        if isinstance(exc, FileNotFoundError):
            raise
        raise RegistryError(f"cannot read {path} ({exc.strerror})") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RegistryError(
            f"{path} is not a regular file, so not what mlmon writes there",
            hint="move it out of the registry",
        )
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(-1 if limit is None else limit + 1)
    if limit is not None and len(data) > limit:
        raise RegistryError(
            f"{path}: longer than {limit} bytes, so not what mlmon writes there",
            hint="the file was edited or damaged; restore it from a backup",
        )
    return data


def decode(data: bytes, path: Path, what: str = "") -> str:
    """``data`` as UTF-8 (exit 5 naming ``path`` otherwise: the registry writes only UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistryError(
            f"{path}{what}: not UTF-8 text (byte {exc.start}), so not what mlmon writes",
            hint="the file was edited or damaged; restore it from a backup",
        ) from None


def directory(path: Path) -> bool:
    """Whether the registry directory ``path`` exists: a real directory (exit 5 when it is a
    file or a symbolic link)."""
    refuse_symlink(path)
    if not path.exists():
        return False
    if not path.is_dir():
        raise RegistryError(
            f"{path} is not a directory, so it cannot be (part of) the registry",
            hint="check registry.path, or move the file away",
        )
    return True


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, opened without following a symbolic link (exit 5 on one)."""
    try:
        return fsutil.sha256_file(path, follow_symlinks=False)
    except OSError:
        refuse_symlink(path)
        raise


def read_metadata(path: Path) -> dict[str, Any]:
    """A version's ``metadata.json``, its ``artifact`` section checked: a mapping with a
    SHA-256 and a ``file`` that :func:`inside` accepts (exit 5 otherwise)."""
    try:
        data = json.loads(decode(read_bytes(path), path))
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path}: cannot read the version's metadata ({exc})",
            hint="the version is damaged; register a new one",
        ) from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: metadata is not a JSON object")
    artifact = data.get("artifact")
    sha = artifact.get("sha256") if isinstance(artifact, dict) else None
    if not (
        isinstance(artifact, dict)
        and isinstance(sha, str)
        and len(sha) == 64
        and set(sha) <= SHA256
    ):
        raise RegistryError(
            f"{path}: no valid 'artifact' section (a mapping with the file name and its "
            "SHA-256), so the artifact cannot be checked",
            hint="the version is damaged; register a new one",
        )
    inside(path.parent, artifact.get("file"), "artifact.file", path)
    return data


def numbered(paths: Paths) -> list[str]:
    """Every version directory, registered or not, ascending; anything else in
    ``versions/`` but a build directory is refused (exit 5)."""
    if not (directory(paths.base) and directory(paths.root) and directory(paths.versions)):
        return []
    found = []
    for p in paths.versions.iterdir():
        if p.name.startswith(TMP_PREFIX):
            continue
        if not VERSION.match(p.name) or not directory(p):
            raise RegistryError(
                f"{p}: not a version directory (versions are numbered 1, 2, ...)",
                hint="move it out of the registry",
            )
        found.append(p.name)
    return sorted(found, key=int)


def read_aliases(paths: Paths) -> dict[str, str]:
    """Alias → version, each checked by :func:`inside` (exit 5 otherwise)."""
    if not (directory(paths.root) and directory(paths.aliases)):
        return {}
    out = {}
    for p in sorted(paths.aliases.iterdir()):
        if p.name.startswith(TMP_PREFIX) or not fsutil.is_safe_name(p.name):
            continue
        data = read_bytes(p, limit=MAX_ALIAS_BYTES)
        value = decode(data, p).strip()
        out[p.name] = inside(paths.versions, value, "the version it names", p, version=True).name
    return out


def read_events(paths: Paths) -> list[Event]:
    """The event log, oldest first (exit 5 on a damaged line, naming it)."""
    if not (directory(paths.root) and (paths.events.exists() or paths.events.is_symlink())):
        return []
    out = []
    lines = read_bytes(paths.events).split(b"\n")
    for n, raw in enumerate(lines, 1):
        line = decode(raw, paths.events, f": line {n}")
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            event = Event.from_dict(data)
            names = (event.version, event.alias, event.from_version, event.to_version)
            if not all(v is None or isinstance(v, str) for v in names):
                raise TypeError("a version or alias that is not a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RegistryError(
                f"{paths.events}: line {n} is not a valid event ({exc})",
                hint="the log is append-only; restore the line from a backup",
            ) from exc
        out.append(event)
    return out
