"""``mlmon drift``: data, prediction, multivariate and concept drift against a reference."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Format
from mlmon.cli.output import Output
from mlmon.cli.state import check_choice, state_of
from mlmon.config.drift import CATEGORICAL_METHODS, NUMERICAL_METHODS

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.concept.run import ConceptSection
    from mlmon.datadrift.compare import Comparison
    from mlmon.datadrift.result import DriftResult

METHODS = tuple(dict.fromkeys(NUMERICAL_METHODS + CATEGORICAL_METHODS))
_BARS = "▁▂▃▄▅▆▇█"
_SKETCH_BINS = 8


def drift_command(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Start of the current window: ISO date/time or a duration back from --until. "
            "[default: --until minus drift.window]",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="End (exclusive) of the current window; 'latest' for the newest row. "
            "[default: now]",
            show_default=False,
        ),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Reference data file (Parquet, CSV, JSON Lines) instead of drift.reference.",
            show_default=False,
        ),
    ] = None,
    reference_version: Annotated[
        str | None,
        typer.Option(
            "--reference-version",
            help="Compare with a registered version's training data (production, 3, ...) "
            "instead. [default: drift.reference_version]",
            show_default=False,
        ),
    ] = None,
    current: Annotated[
        Path | None,
        typer.Option(
            "--current",
            help="Current data file instead of a window of the store.",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="Override every column's method for this run (a numerical or categorical "
            "statistic; the other kind keeps its own).",
            show_default=False,
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Compare only these feature columns (comma-separated). Without a config, "
            "a column named here is compared even where it looks like a timestamp or an id.",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave this column out (repeatable, or comma-separated). Without a config, "
            "timestamp and id columns are left out already.",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="dataset: exit 1 when the dataset drifts; column: when any column does.",
        ),
    ] = "dataset",
    fmt: Format = "table",
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Profile the reference again, ignoring the cache.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when drift is found.")
    ] = False,
    reset_concept_state: Annotated[
        bool,
        typer.Option(
            "--reset-concept-state",
            help="Discard the concept-drift detectors' saved stream first (runs ending now or "
            "at 'latest' continue it; explicit ranges never touch it).",
        ),
    ] = False,
) -> None:
    """Data, prediction, multivariate and concept drift of the current data against a reference.

    Concept drift (the relation between inputs and labels changing) is judged on the labelled
    rows: change detectors on the error stream, and the error against what CBPE expects.
    """
    from mlmon.ops import drift  # scipy and scikit-learn: imported when used

    state = state_of(ctx)
    check_choice(method, METHODS, "--method")
    check_choice(fail_on, ("dataset", "column"), "--fail-on")
    check_choice(fmt, ("table", "markdown"), "--format")
    config = state.config_if_any() if current is not None else state.config()
    result = drift.run(
        config,
        since=since,
        until=until,
        reference=reference,
        reference_version=reference_version,
        current=current,
        method=method,
        fail_on=fail_on,
        no_cache=no_cache,
        reset_concept_state=reset_concept_state,
        columns=None if columns is None else _names(columns),
        exclude=[name for text in exclude or [] for name in _names(text)],
    )
    finish(state, config, result, lambda out: render(out, result, fmt), exit_zero=exit_zero)


def _names(text: str) -> list[str]:
    """``a, b,c`` → ``["a", "b", "c"]``."""
    return [name.strip() for name in text.split(",") if name.strip()]


def render(out: Output, result: DriftResult, fmt: str) -> None:
    """The table of columns and the verdicts (``--json`` prints the result instead)."""
    if result.roles_inferred:
        numerical = [c.column for c in result.columns if c.kind == "numerical"]
        categorical = [c.column for c in result.columns if c.kind == "categorical"]
        left_out = [
            f"{', '.join(names)} ({role})"
            for role in ("id", "timestamp")
            if (names := result.roles_inferred[role])
        ]
        out.note(
            "no config: column roles inferred from the reference's types: numerical "
            f"{', '.join(numerical) or '-'}; categorical {', '.join(categorical) or '-'}"
            + (f"; left out: {', '.join(left_out)}" if left_out else "")
        )
    headers = [
        "column",
        "kind",
        "status",
        "test",
        "p (adj.)",
        "effect",
        "threshold",
        "missing",
        "sketch",
    ]
    order = {"drifted": 0, "ok": 1, "insufficient_data": 2, "skipped": 3}
    rows = [_row(c) for c in sorted(result.columns, key=lambda c: order.get(c.status, 9))]
    rows += [_row(c) for c in result.prediction]
    if result.label is not None:
        rows.append(_row(result.label, f"{result.label.column} (truth)"))
    ref, cur = result.reference, result.current
    title = (
        f"drift of {cur.source} ({cur.rows:,} rows) against {ref.source} "
        f"({ref.rows:,} rows{', cached profile' if ref.profile_cached else ''})"
    )
    out.table(title, headers, rows, right=(4, 5, 6), markdown=fmt == "markdown")
    d = result.dataset
    share = "-" if d.share is None else f"{d.share:.0%}"
    out.note(
        f"dataset: {d.n_drifted} of {d.n_columns} columns drifted ({share}; drift at "
        f"{d.threshold:.0%}): {'DRIFT' if d.drifted else 'no drift'}"
        + (f" [{', '.join(d.drifted_columns)}]" if d.drifted_columns else "")
    )
    if result.prediction:
        drifted = any(c.status == "drifted" for c in result.prediction)
        out.note(f"prediction: {'DRIFT' if drifted else 'no drift'}")
    if result.label is not None:
        verdict = "DRIFT" if result.label.status == "drifted" else "no drift"
        out.note(f"labels (prior shift): {verdict}")
    if result.multivariate is not None:
        out.note(f"multivariate: {result.multivariate.summary}")
    if result.concept is not None:
        from mlmon.concept.run import ConceptSection  # loaded already: the section is one

        assert isinstance(result.concept, ConceptSection)
        _concept(out, result.concept, fmt)
    out.note(f"status: {result.status}")


def _concept(out: Output, c: ConceptSection, fmt: str) -> None:
    """The concept section: one row per change point, then the error comparison."""
    from mlmon.timewindow import iso_utc

    reset = c.state_reset
    if reset is not None:
        n = reset.files
        out.note(
            f"concept: discarded the saved detector state ({n} file{'s' if n != 1 else ''}) "
            f"under {reset.directory}"
            if n
            else "concept: no saved detector state to discard"
        )
    stream = "error rate" if c.stream == "misclassification" else "mean absolute error"
    rows = []
    for d in c.detectors:
        for p in d.change_points:
            rows.append(
                [
                    d.detector,
                    iso_utc(p.timestamp),
                    iso_utc(p.warning_since) or "-",
                    f"{_opt(p.error_before)} → {_opt(p.error_after)}",
                    "DRIFT" if p.finding else (p.direction or "-"),
                ]
            )
    if rows:
        title = f"concept drift: change points in the {stream} of {c.n_labelled:,} labelled rows"
        headers = ["detector", "changed at", "warning since", stream, "verdict"]
        out.table(title, headers, rows, markdown=fmt == "markdown")
    for d in c.detectors:
        if not d.change_points:
            out.note(
                f"concept: {d.detector}: {d.status}, no change point in "
                f"{d.rows_read:,} new labelled rows" + (f" ({d.reason})" if d.reason else "")
            )
    k = c.comparison
    if k is not None and _finite(k.plain.difference) is not None:
        plain, e = k.plain, k.expected
        verdict = "DRIFT" if k.drifted else "no drift"
        out.note(
            f"concept: {stream} {_opt(plain.reference)} (reference) → {_opt(plain.current)} "
            f"(current), change {_opt(plain.difference)} [{_opt(plain.low)}, "
            f"{_opt(plain.high)}], p {_p(_finite(plain.p_value))}"
            + (f": {verdict}" if e is None else "")
        )
        if e is not None:
            out.note(
                f"concept: CBPE expects {_opt(e.error)} on these rows: "
                f"{_signed(e.population_change)} from the population, "
                f"{_signed(e.unexplained_change)} [{_opt(e.low)}, {_opt(e.high)}] "
                f"unexplained, p {_p(_finite(e.p_value))}: {verdict}"
            )
    if c.mode == "stateless" and c.detectors:
        out.note(f"concept: detectors stateless: {c.mode_reason}")
    verdict = {"drifted": "DRIFT", "ok": "no drift"}.get(c.status, c.status)
    out.note(f"concept: {verdict}" + (f" ({c.reason})" if c.reason else ""))


def _finite(x: float | None) -> float | None:
    """``x``, or None when it is None, NaN or infinite (as the JSON shows it)."""
    return None if x is None or not math.isfinite(x) else x


def _opt(x: float | None) -> str:
    return "-" if (x := _finite(x)) is None else f"{x:.3g}"


def _signed(x: float | None) -> str:
    return "-" if (x := _finite(x)) is None else f"{x:+.3g}"


def _p(p: float | None) -> str:
    return "-" if p is None else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def _row(c: Comparison, name: str | None = None) -> list[str]:
    """One column's line: its verdict and the signals that fired, the rule's test and effect
    (the distribution signal), the missing shares and a sketch of both distributions."""
    main = c.distribution
    status = c.status.upper() if c.status == "drifted" else c.status
    fired = [s.name for s in c.signals if s.fired]
    if fired:
        status += " (" + ", ".join(fired) + ")"
    if c.reason:
        status += f": {c.reason}"
    value = None if main is None else main.value
    effect = "-" if main is None or value is None else f"{main.effect} {_num(value)}"
    missing = "-"
    if c.null_share_reference is not None and c.null_share_current is not None:
        missing = f"{c.null_share_reference:.1%}→{c.null_share_current:.1%}"
    return [
        name or c.column,
        c.kind,
        status,
        (None if main is None else main.test) or "-",
        _p(None if main is None else main.p_value_adjusted),
        effect,
        "-" if main is None else _num(main.threshold),
        missing,
        _sketch(c),
    ]


def _num(x: float) -> str:
    return "inf" if x == float("inf") else f"{x:.3g}"


def _sketch(c: Comparison) -> str:
    """Reference and current shares, coarsened to a few bars each: ``▁▃█▃ → ▁▂▅█``."""
    ref, cur = c.reference_distribution, c.current_distribution
    if not ref or not cur:
        return ""
    # "shares" is a list of floats (the "categories" or "edges" beside it are not)
    a = _coarse([float(x) for x in ref["shares"]])
    b = _coarse([float(x) for x in cur["shares"]])
    top = max(max(a), max(b)) or 1.0

    def bars(xs: list[float]) -> str:
        return "".join(_BARS[round(x / top * (len(_BARS) - 1))] for x in xs)

    return f"{bars(a)} → {bars(b)}"


def _coarse(shares: list[float]) -> list[float]:
    n = len(shares)
    if n <= _SKETCH_BINS:
        return list(shares)
    step = n / _SKETCH_BINS
    return [sum(shares[round(i * step) : round((i + 1) * step)]) for i in range(_SKETCH_BINS)]
