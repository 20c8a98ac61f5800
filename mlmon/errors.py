"""Domain exceptions. Each carries the process exit code of DESIGN.md §2.

Library code raises these; the CLI's single error boundary (``mlmon.cli.app``) turns
them into ``error:``/``hint:`` lines (or the JSON error envelope) and the exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, the contract of DESIGN.md §2."""

    OK = 0
    FINDING = 1
    USAGE = 2
    CONFIG = 3
    DATA = 4
    REGISTRY = 5
    ALERT_SINK = 6
    INSUFFICIENT_DATA = 7
    INTERNAL = 70
    INTERRUPTED = 130


class MlmonError(Exception):
    """Base of every expected failure: a message, an optional hint and an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL
    kind: str = "internal"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(MlmonError):
    """A bad flag or argument combination (exit 2)."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class ConfigError(MlmonError):
    """The config file is missing or invalid (exit 3)."""

    exit_code = ExitCode.CONFIG
    kind = "config"


class DataError(MlmonError):
    """Input data is unreadable or invalid, or a window holds no rows (exit 4)."""

    exit_code = ExitCode.DATA
    kind = "data"


class LockTimeoutError(MlmonError):
    """Another process held a store or registry lock for longer than the timeout (exit 5)."""

    exit_code = ExitCode.REGISTRY
    kind = "lock"


class RegistryError(MlmonError):
    """Unknown version, nothing to roll back to, integrity check failed (exit 5)."""

    exit_code = ExitCode.REGISTRY
    kind = "registry"


class InsufficientDataError(MlmonError):
    """Too few rows or labels to decide (exit 7): the promotion gate's minimum, say."""

    exit_code = ExitCode.INSUFFICIENT_DATA
    kind = "insufficient_data"


class Interrupted(MlmonError):
    """The run was interrupted: Ctrl-C (SIGINT) or SIGTERM (exit 130)."""

    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"

    def __init__(self) -> None:
        super().__init__("interrupted")
