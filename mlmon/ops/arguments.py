"""Checks of the arguments the operations take from Python (the command line checks its own
flags first, with typer's messages)."""

from __future__ import annotations

from collections.abc import Sequence

from mlmon.errors import UsageError


def check_choice(
    value: str | None, choices: Sequence[str], flag: str, hint: str | None = None
) -> None:
    """Refuse ``value`` outside ``choices`` (None is allowed): a usage error (exit 2) named
    after the command line's ``flag``, with ``hint`` (default: pass the first choice).

    >>> check_choice("1d", ("1h", "1d"), "--window")
    >>> check_choice("2d", ("1h", "1d"), "--window")
    Traceback (most recent call last):
    ...
    mlmon.errors.UsageError: --window: '2d' is not one of 1h, 1d
    """
    if value is not None and value not in choices:
        raise UsageError(
            f"{flag}: {value!r} is not one of {', '.join(choices)}",
            hint=hint or f"pass {flag} {choices[0]}",
        )
