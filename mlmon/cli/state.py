"""Access to the per-process :class:`~mlmon.cli.app.State` from a typer context."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mlmon.cli.app import State


def state_of(ctx: typer.Context) -> State:
    state = ctx.find_root().obj
    assert state is not None, "mlmon.cli.app.run() sets the state"
    return state  # type: ignore[no-any-return]
