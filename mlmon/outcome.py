"""What every operation returns (DESIGN.md §2, §3, §8): a status, its exit code, the JSON
``result``, and whether the alert sinks hear about it.

Each operation of :mod:`mlmon.ops` returns a frozen result class that satisfies
:class:`Outcome`; most inherit :class:`StatusExit`, which maps the status to the exit code
once for all of them. The command line renders the result, notifies the sinks when
:attr:`Outcome.alerts` says so, and exits with :attr:`Outcome.exit_code` (``--exit-zero``
turns a finding's 1 into 0 there, not here).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Protocol

from mlmon.errors import ExitCode

Status = Literal["ok", "finding", "insufficient_data"]
"""A result's status in the JSON envelope (``error`` is the error envelope's alone)."""

EXIT_CODES: dict[str, ExitCode] = {
    "ok": ExitCode.OK,
    "finding": ExitCode.FINDING,
    "insufficient_data": ExitCode.INSUFFICIENT_DATA,
}
"""The exit code of each status (DESIGN.md §2)."""


class Outcome(Protocol):
    """The interface the CLI and the Python API read from every operation's result."""

    command: ClassVar[str]
    """The command's name in the JSON envelope (``metrics``, ``registry``, ...)."""

    @property
    def status(self) -> str: ...

    @property
    def exit_code(self) -> ExitCode: ...

    @property
    def alerts(self) -> bool:
        """Whether the configured alert sinks receive this result (a dry run's do not)."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings for a person (stderr), printed whatever the output mode."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``result`` (DESIGN.md §3)."""
        ...


class StatusExit:
    """The defaults most results share: the exit code follows the status, the sinks hear
    the result, no warnings. A result class overrides what differs."""

    @property
    def status(self) -> str:
        raise NotImplementedError

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.status]

    @property
    def alerts(self) -> bool:
        return True

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()


class Report(StatusExit):
    """A result that only reports (``init``, the registry's reads): status ``ok``, exit 0,
    nothing for the alert sinks."""

    @property
    def status(self) -> str:
        return "ok"

    @property
    def alerts(self) -> bool:
        return False
