"""Progress on stderr, only when stderr is a terminal (nothing extra in cron or CI)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mlmon.cli.output import Output


@contextlib.contextmanager
def row_progress(out: Output, what: str) -> Iterator[Callable[[str, int], None] | None]:
    """Yield a ``(name, rows_done)`` callback that drives a live display, or None."""
    if out.quiet or not out.stderr_is_tty:
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=out.err_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)

        def update(name: str, rows: int) -> None:
            bar.update(task, description=f"{what} {name}: {rows:,} rows")

        yield update
