"""Access to the per-process :class:`~mlmon.cli.app.State` from a typer context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mlmon.cli.app import State


def state_of(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    assert state is not None, "mlmon.cli.app.run() sets the state"
    return state  # type: ignore[no-any-return]


def check_choice(value: str | None, choices: Sequence[str], flag: str) -> None:
    """Refuse an option value outside ``choices`` (a usage error, exit 2); None is allowed."""
    if value is not None and value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=flag)
