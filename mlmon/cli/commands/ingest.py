"""``mlmon ingest``: validate logs and append them to the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.output import Output
from mlmon.cli.progress import row_progress
from mlmon.cli.state import check_choice, state_of

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.store.report import IngestResult


def ingest_command(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Log files (CSV, JSON Lines, Parquet); - reads stdin.", show_default=False
        ),
    ],
    labels: Annotated[
        bool,
        typer.Option(
            "--labels", help="The files hold ground-truth labels (id, label[, label time])."
        ),
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonl or parquet (default: from the extension).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when rows were quarantined.")
    ] = False,
) -> None:
    """Validate prediction logs (or --labels) and append them to the log store."""
    from mlmon.ops import ingest
    from mlmon.store.readers import FORMATS

    state = state_of(ctx)
    check_choice(fmt, FORMATS, "--format")
    config = state.config()
    with row_progress(state.out, "ingesting") as progress:
        result = ingest.run(
            config, paths, labels=labels, fmt=fmt, dry_run=dry_run, progress=progress
        )
    finish(state, config, result, lambda out: render(out, result), exit_zero=exit_zero)


def render(out: Output, result: IngestResult) -> None:
    verb = "would write" if result.dry_run else "wrote"
    rows = []
    for f in result.files:
        note = f"already ingested {f.already_ingested_at}" if f.already_ingested_at else ""
        rows.append(
            [
                f.path,
                f.format,
                f.rows_read,
                f.rows_written,
                f.duplicates_skipped,
                f.rows_rejected,
                note,
            ]
        )
    out.table(
        f"{result.table} → {result.store}" + (" (dry run)" if result.dry_run else ""),
        ["file", "format", "read", "written", "duplicates", "rejected", "note"],
        rows,
        right=(2, 3, 4, 5),
    )
    skipped = sum(1 for f in result.files if f.already_ingested_at)
    parts = [
        f"{verb} {result.rows_written:,} of {result.rows_read:,} rows",
        f"{result.duplicates_skipped:,} duplicates skipped",
        f"{result.rows_rejected:,} rejected",
    ]
    if skipped:
        parts.append(f"{skipped} file{'s' if skipped > 1 else ''} already ingested")
    days = result.partitions
    if days:
        parts.append(
            f"partitions {days[0]}"
            if len(days) == 1
            else f"partitions {days[0]} … {days[-1]} ({len(days)} days)"
        )
    out.result_line("; ".join(parts))
    if result.files and skipped == len(result.files):
        out.note("nothing to do: every file was ingested before (same content)")
    elif result.rows_read and result.rows_written == 0 and not result.rows_rejected:
        out.note("nothing new: every row's id is already in the store")
    if result.quarantine_path:
        out.note(f"{result.rows_rejected:,} invalid rows quarantined to {result.quarantine_path}")
        for example in result.reject_examples:
            out.note(f"  {example}")
    if result.labels_updated:
        out.note(
            f"{result.labels_updated:,} stored labels replaced by a different label for the "
            f"same id; the old values are recorded in {result.label_updates_path or '(dry run)'}"
        )
    if result.labels_ignored:
        out.note(
            f"{result.labels_ignored:,} labels differ from the stored label for their id and "
            "were left out (store.label_updates: keep_first)"
        )
    if result.unmatched_labels:
        out.note(
            f"{result.unmatched_labels:,} labels have no matching prediction yet; they are "
            "kept and will join when the predictions arrive"
        )
    for f in result.files:
        if f.nonfinite_values:
            counts = ", ".join(f"{k}: {v:,}" for k, v in f.nonfinite_values.items())
            out.note(f"{f.path}: NaN/inf feature values (kept as data): {counts}")
        if f.label_time_from == "ingest_time":
            out.note(
                f"{f.path}: no label time column: each label's time is the ingest time "
                "(set schema.label_timestamp to read it from the file)"
            )
        if f.missing_optional_columns:
            out.note(
                f"{f.path}: optional columns absent, stored as null: "
                + ", ".join(f.missing_optional_columns)
            )
        if f.ignored_columns:
            out.note(
                f"{f.path}: columns not in the config, not stored: " + _listed(f.ignored_columns)
            )


def _listed(names: Sequence[str], limit: int = 20) -> str:
    """At most ``limit`` names, then how many more (a wide file has thousands).

    >>> _listed(["a", "b", "c"], limit=2)
    'a, b … and 1 more'
    """
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} … and {len(names) - limit:,} more"
