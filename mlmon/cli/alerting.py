"""The commands' last step: hand the result to the alert sinks (``mlmon.alerts.dispatch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from mlmon.errors import ExitCode

if TYPE_CHECKING:
    from mlmon.cli.app import State
    from mlmon.config import Config
    from mlmon.outcome import Outcome


def notify(state: State, config: Config | None, result: Outcome) -> None:
    """Send ``result``'s findings to the configured sinks, after the result was printed. A
    sink that fails is reported on stderr and the process exits 6 (DESIGN.md §2): the result
    stands, and the alert is sent again on the next run."""
    if config is None or not config.alerts.sinks:
        return
    from mlmon.alerts import dispatch

    report = dispatch(config, result)
    if report is None:
        return
    out = state.out
    if not report.failures:
        for n in report.sent:
            out.note(f"alert {n.status}: {n.kind} ({n.severity}): {n.summary}")
    if report.held:
        out.note(
            f"alert: {len(report.held)} firing alert{'s' if len(report.held) != 1 else ''} "
            "not sent again within alerts.cooldown"
        )
    if report.failures:
        for failure in report.failures:
            out.stderr.write(f"error: {failure}\n")
        out.stderr.write("hint: fix the sink; the result above stands (exit 6)\n")
        out.stderr.flush()
        raise typer.Exit(ExitCode.ALERT_SINK)
