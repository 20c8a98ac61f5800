"""Options several commands share, declared once (same flag, same meaning, same help)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

Reason = Annotated[
    str | None,
    typer.Option("--reason", help="Why (recorded in the event log).", show_default=False),
]
Format = Annotated[str, typer.Option("--format", help="table or markdown (--json for JSON).")]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="End (exclusive): ISO date/time, or 'latest' for the newest row. [default: now]",
        show_default=False,
    ),
]
"""``--until`` of a command over a range of windows (``metrics``, ``check``)."""


def until_option(what: str) -> Any:
    """``--until`` for a command whose window ends there (``what`` says which window)."""
    return typer.Option(
        "--until",
        help=f"End of {what}: ISO date/time, or 'latest' for the newest row. [default: now]",
        show_default=False,
    )


def require_reason(force: bool, reason: str | None) -> str | None:
    """The recorded reason of a ``--force``; a usage error (exit 2) without ``--reason``."""
    if force and not reason:
        raise typer.BadParameter(
            "--force needs --reason TEXT (it is recorded)", param_hint="--force"
        )
    return reason if force else None
