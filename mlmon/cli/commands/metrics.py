"""``mlmon metrics``: realized quality and operational health per time window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Format, Until
from mlmon.cli.output import Output
from mlmon.cli.state import check_choice, state_of
from mlmon.timewindow import WINDOW_STEPS

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.performance.estimate import Estimate
    from mlmon.performance.windows import MetricsResult

WINDOWS = (*WINDOW_STEPS, "all")
_KEY_METRICS = {
    "binary_classification": ("accuracy", "roc_auc", "f1", "log_loss"),
    "regression": ("mae", "rmse", "r2", "mean_error"),
    "multiclass_classification": ("accuracy", "roc_auc_ovr_macro", "f1_macro", "log_loss"),
}
_BARS = "▁▂▃▄▅▆▇█"


def metrics_command(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Start: ISO date/time, or a duration back from --until (7d, 12h). "
            "[default: the start of the store]",
            show_default=False,
        ),
    ] = None,
    until: Until = None,
    window: Annotated[
        str | None,
        typer.Option(
            "--window", help="1h, 1d, 1w or all. [default: metrics.window]", show_default=False
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Split windows by model_version.", show_default=False)
    ] = None,
    confidence: Annotated[
        float | None,
        typer.Option(
            "--confidence",
            help="Confidence level of the intervals. [default: metrics.confidence]",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="latest: the newest window decides the exit code; any: every window counts.",
        ),
    ] = "latest",
    fmt: Format = "table",
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when a threshold is breached.")
    ] = False,
) -> None:
    """Realized model quality and operational metrics per window, checked against thresholds."""
    from mlmon.ops import metrics

    state = state_of(ctx)
    check_choice(window, WINDOWS, "--window")
    check_choice(fail_on, ("latest", "any"), "--fail-on")
    check_choice(fmt, ("table", "markdown"), "--format")
    if confidence is not None and not 0 < confidence < 1:
        raise typer.BadParameter(f"{confidence} is not between 0 and 1", param_hint="--confidence")
    config = state.config()
    result = metrics.run(
        config,
        since=since,
        until=until,
        window=window,
        by=by,
        confidence=confidence,
        fail_on=fail_on,
    )
    finish(
        state,
        config,
        result,
        lambda out: render(out, result, config.model.task, fmt),
        exit_zero=exit_zero,
    )


def render(out: Output, result: MetricsResult, task: str, fmt: str) -> None:
    keys = _KEY_METRICS[task]
    trend_metric = keys[1]
    estimates = any(w.estimated is not None for w in result.windows)
    values = [w.metrics[trend_metric].value for w in result.windows]
    known = [v for v in values if v is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    headers = [
        "window",
        *(["version"] if result.by else []),
        "rows",
        "labelled",
        "coverage",
        *keys,
        *([f"est. {trend_metric}"] if estimates else []),
        "error_rate",
        "latency_p95",
        f"{trend_metric} trend",
        "status",
    ]
    rows = []
    for i, w in enumerate(result.windows):
        label = w.start.strftime("%Y-%m-%d %H:%M" if result.window == "1h" else "%Y-%m-%d")
        status = (
            w.status + (" ~" if w.verdict == "estimates" else "")
            if not w.breaches
            else "BREACH "
            + ", ".join(
                f"{'~' if b.estimated else ''}{b.metric}"
                f"{'<' if b.direction == 'below' else '>'}{b.bound:.4g}"
                for b in w.breaches
            )
        )
        if i in result.deciding:
            status += " *"
        rows.append(
            [
                label,
                *([w.by] if result.by else []),
                w.n,
                w.labelled,
                f"{w.label_coverage:.0%}" if w.label_coverage is not None else "-",
                *(_realized_or_estimated(w.metrics[k], (w.estimated or {}).get(k)) for k in keys),
                *([_cell(w.estimated[trend_metric])] if w.estimated is not None else []),
                *([""] if estimates and w.estimated is None else []),
                _cell(w.metrics["error_rate"]),
                _cell(w.metrics["latency_p95"], digits=4),
                _bar(w.metrics[trend_metric].value, lo, hi),
                status,
            ]
        )
    per = "over the whole window" if result.window == "all" else f"per {result.window} window"
    title = f"metrics {per}, {result.confidence:.0%} intervals (* = decides the exit code)"
    out.table(
        title,
        headers,
        rows,
        right=tuple(range(1 + bool(result.by), len(headers) - 2)),
        markdown=fmt == "markdown",
    )
    if estimates:
        out.note(
            "~ = estimated from the scores (CBPE) where too few labels have arrived"
            + (
                " (a status marked ~ is a verdict on the estimates)"
                if any(w.verdict == "estimates" for w in result.windows)
                else ""
            )
            + "; "
            f"est. {trend_metric}: the estimate for every window (assumes calibrated scores "
            "and no concept drift)"
        )
    elif result.estimation_reason:
        out.note(f"no estimates: {result.estimation_reason}")
    breaches = sum(len(w.breaches) for i, w in enumerate(result.windows) if i in result.deciding)
    out.note(
        f"status: {result.status}"
        + (
            f" ({breaches} breach{'es' if breaches != 1 else ''} in the deciding window"
            f"{'s' if len(result.deciding) > 1 else ''})"
            if breaches
            else ""
        )
    )


def _realized_or_estimated(realized: Estimate, estimated: Estimate | None) -> str:
    """The realized value, or the estimate marked ``~`` where the realized one is undefined."""
    if realized.value is None and estimated is not None and estimated.value is not None:
        return "~" + _cell(estimated)
    return _cell(realized)


def _cell(e: Estimate, digits: int = 3) -> str:
    """``value±half`` for a symmetric interval, ``value (low-high)`` for a lopsided one (a
    Wilson interval near 0 or 1), the value alone without an interval, ``-`` if undefined."""
    if e.value is None:
        return "-"

    def num(x: float) -> str:
        return f"{x:.3f}" if digits == 3 else f"{x:.{digits}g}"

    if e.low is None or e.high is None:
        return num(e.value)
    below, above = e.value - e.low, e.high - e.value
    if abs(above - below) > 0.25 * (e.high - e.low):
        return f"{num(e.value)} ({num(e.low)}-{num(e.high)})"
    half = (e.high - e.low) / 2
    return f"{num(e.value)}±{half:.3f}" if digits == 3 else f"{num(e.value)}±{half:.2g}"


def _bar(value: float | None, lo: float, hi: float) -> str:
    if value is None:
        return ""
    span = hi - lo
    level = 0 if span <= 0 else round((value - lo) / span * (len(_BARS) - 1))
    return _BARS[level]
