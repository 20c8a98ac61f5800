"""The ``mlmon`` command line: thin commands over the library, one error boundary.

:func:`main`, the console script, handles interrupts from its first line on: SIGINT (Ctrl-C)
and SIGTERM both end the run with exit 130, ``error: interrupted`` on stderr and, under
``--json``, the JSON error envelope on stdout, wherever they arrive, the start-up included
(importing typer, rich and pydantic takes a while). This module imports nothing heavy, so
that the handlers are in place before those imports run.

:func:`main` is also where mlmon changes its process, which the library never does at import:
the interrupt handlers, one OpenMP thread (``OMP_NUM_THREADS=1`` unless the user set it) and,
at the end, leaving without the interpreter's teardown (:func:`mlmon.cli.app.main`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

EXIT_INTERRUPTED = 130  # mlmon.errors.ExitCode.INTERRUPTED, without importing it first


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console-script entry point: install the interrupt handling and the thread settings,
    then run the command."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    # scikit-learn's models here are small (a domain classifier on 10,000 rows, a retrain on a
    # few weeks of logs); polars does the heavy work with its own threads. With OpenMP's
    # default threads, concurrent mlmon runs starved each other (threads spinning while they
    # wait), and waiting passively made small fits several times slower; one OpenMP thread
    # avoids both (bench/RESULTS.md, "OpenMP threads"). Set before scikit-learn loads its
    # OpenMP runtime; a value the user set wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args = list(sys.argv[1:] if argv is None else argv)
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with the descriptor closed (`>&-`)
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives with the process
    try:
        from mlmon.cli.app import main as run_main
        from mlmon.cli.app import split_global_options

        if "--debug" in split_global_options(args)[0]:
            _report_references()
        run_main(args)
    except KeyboardInterrupt:  # before the boundary of mlmon.cli.app.run was reached
        _report_interrupt(args)


def _report_references() -> None:
    """Under ``--debug``: once, on stderr, each fast path this installation lacks and the pure
    reference that runs instead (:func:`mlmon._speedups.unavailable`)."""
    from mlmon._speedups import unavailable

    for note in unavailable():
        sys.stderr.write(f"debug: {note}\n")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT or SIGTERM: a KeyboardInterrupt, which the error boundary reports.
    A second one while that happens (or if something swallowed the first) ends the process
    at once: an interrupt is never lost."""
    for again in (signal.SIGINT, signal.SIGTERM):
        signal.signal(again, _interrupt_again)
    raise KeyboardInterrupt


def _interrupt_again(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"error: interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def _report_interrupt(args: list[str]) -> NoReturn:
    """``error: interrupted`` and, under ``--json``, the error envelope of
    :func:`mlmon.cli.output.error_envelope`, written with the standard library alone."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    options = args[: args.index("--")] if "--" in args else args
    command, skip = "mlmon", False
    for arg in options:
        if skip:
            skip = False
        elif arg in ("-c", "--config"):
            skip = True
        elif not arg.startswith("-"):
            command = arg
            break
    try:
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
        if "--json" in options:
            document = {
                "schema_version": 1,
                "command": command,
                "status": "error",
                "error": {"type": "interrupted", "message": "interrupted", "hint": None},
            }
            sys.stdout.write(json.dumps(document) + "\n")
            sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass  # the reader went away: nothing to tell
    os._exit(EXIT_INTERRUPTED)


__all__ = ["main"]
