"""Data drift: profiles the reference (cached) and the current data, compares every column,
applies the corrected decision rule, and gives the verdicts. The operation
(:mod:`mlmon.ops.drift`) adds concept drift and owns the caches and state; the retrain
trigger calls :func:`compute_drift` directly."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from mlmon.config import Config
from mlmon.config.drift import CATEGORICAL_METHODS, NUMERICAL_METHODS, DriftSection
from mlmon.datadrift import sources
from mlmon.datadrift.compare import Comparison, Settings, compare
from mlmon.datadrift.profile import Profile, profile
from mlmon.datadrift.profiling import present_columns, profiles
from mlmon.datadrift.result import (
    ConceptVerdict,
    CurrentSide,
    DriftResult,
    DriftSettings,
    ReferenceSide,
    renamed,
)
from mlmon.datadrift.roles import resolve
from mlmon.datadrift.rules import decide
from mlmon.errors import ConfigError, UsageError
from mlmon.store.cache import EntryCache
from mlmon.store.datasets import Source, file_source, store_window
from mlmon.store.scan import reading
from mlmon.timewindow import WINDOW_STEPS, iso_utc

Concept = Callable[[Source, Source], ConceptVerdict | None]
"""The concept section of a run, from its reference and current sides (the operation's; the
data-drift comparison alone has none)."""


def compute_drift(
    config: Config | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    reference_path: Path | None = None,
    registered: tuple[Source, Profile] | None = None,
    current_path: Path | None = None,
    method: str | None = None,
    fail_on: str = "dataset",
    cache: EntryCache | None = None,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    concept: Concept | None = None,
) -> DriftResult:
    """Drift of the current data against the reference (see the module docstring). Only the
    feature ``columns`` are compared when given, never those in ``exclude``; a name that is
    not a feature (or, without a config, not a column of the reference) is a UsageError.
    The reference is ``registered`` (a registered version's training-data profile, which the
    operation reads from the registry), else the ``reference_path`` file, else the
    ``drift.reference`` window of the store.
    ``cache``: where the reference's profile is kept between runs (None: profile it again);
    ``concept``: gives the result's concept section from the two sides (None: no section)."""
    settings = config.drift if config is not None else DriftSection()
    modules = ["scipy.special"]
    if settings.multivariate.enabled:
        modules += ["sklearn.ensemble", "sklearn.model_selection"]
    loader = _preload(modules)
    try:
        return _compute_drift(
            config,
            settings,
            loader,
            since=since,
            until=until,
            reference_path=reference_path,
            registered=registered,
            current_path=current_path,
            method=method,
            fail_on=fail_on,
            cache=cache,
            columns=list(columns) if columns is not None else None,
            exclude=list(exclude),
            concept=concept,
        )
    finally:
        loader.join()


def _preload(modules: list[str]) -> threading.Thread:
    """Import ``modules`` in a background thread while the profiling passes run.

    scipy.special and scikit-learn's estimators take about as long to import as profiling a
    million rows (bench/RESULTS.md).
    (scipy.stats, slower still, is left to the few statistics that need it: see
    mlmon.datadrift.stats.)
    Polars releases the GIL while it scans, so the imports overlap the scan instead of adding
    to it. The caller joins the thread before it uses the modules. An import that fails here
    fails again, with its real error, where it is used.
    """

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                return  # raised again, to the user, by the import at the point of use

    thread = threading.Thread(target=load, name="mlmon-preload", daemon=True)
    thread.start()
    return thread


def _compute_drift(
    config: Config | None,
    settings: DriftSection,
    loader: threading.Thread,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    reference_path: Path | None,
    registered: tuple[Source, Profile] | None,
    current_path: Path | None,
    method: str | None,
    fail_on: str,
    cache: EntryCache | None,
    columns: list[str] | None,
    exclude: list[str],
    concept: Concept | None,
) -> DriftResult:
    if registered is not None:
        reference = registered[0]
    else:
        reference = _reference_source(config, settings, reference_path)
    current = _current_source(config, settings, since, until, current_path)
    roles = resolve(
        config,
        reference,
        current.frame,
        min_rows=settings.min_rows,
        columns=columns,
        exclude=exclude,
    )
    compared = roles.numerical + roles.categorical
    numerical = roles.numerical + [c for c, k in roles.prediction.items() if k == "numerical"]
    categorical = roles.categorical + [c for c, k in roles.prediction.items() if k == "categorical"]
    ref_present = present_columns(reference.frame, roles, numerical + categorical)
    cur_frame = present_columns(current.frame, roles, numerical + categorical)
    # The multivariate check's rows are sampled in the same passes as the profiles.
    joint = [
        c
        for c in roles.numerical + roles.categorical
        if c in ref_present.present and c in cur_frame.present
    ]
    row_sample = (
        (joint, settings.multivariate.sample_rows) if settings.multivariate.enabled else None
    )
    with reading([*reference.files, *current.files]):  # a damaged store file: named, exit 4
        ref_profile, cached, cache_warning, cur_profile = profiles(
            reference,
            current,
            ref_present,
            cur_frame,
            None if registered is None else registered[1],
            numerical,
            categorical,
            settings,
            cache,
            row_sample,
        )
    problems = {
        "reference": ref_present.problems,
        "current data": cur_frame.problems,
    }
    loader.join()  # the statistics' modules, imported while the data was profiled
    comparisons = {
        c: _compare(c, kind, ref_profile, cur_profile, settings, method, problems)
        for c, kind in [(c, "numerical") for c in numerical]
        + [(c, "categorical") for c in categorical]
    }
    label = _label_drift(config, reference, current, settings) if config is not None else None
    decided = decide(
        [*comparisons.values(), *([label] if label is not None else [])],
        alpha=settings.alpha,
        correction=settings.correction,
        significance=settings.significance,
        effect=settings.effect,
    )
    comparisons = dict(zip(comparisons, decided, strict=False))
    label = decided[-1] if label is not None else None
    concept_section = concept(reference, current) if concept is not None else None
    multivariate = None
    if settings.multivariate.enabled:
        from mlmon.datadrift import multivariate as domain  # scikit-learn: when enabled

        multivariate = domain.section(
            ref_profile.row_sample, cur_profile.row_sample, joint, roles.numerical, settings
        )
    return DriftResult(
        concept=concept_section,
        multivariate=multivariate,
        label=label,
        reference=ReferenceSide(
            source=reference.description,
            rows=ref_profile.rows,
            profile_cached=cached,
            profile_cache_warning=cache_warning,
            profile_key=reference.key(),
        ),
        current=CurrentSide(
            source=current.description,
            rows=cur_profile.rows,
            since=iso_utc(current.since),
            until=iso_utc(current.until),
        ),
        columns=tuple(comparisons[c] for c in compared),
        prediction=tuple(renamed(comparisons[c]) for c in roles.prediction),
        settings=DriftSettings(
            alpha=settings.alpha,
            correction=settings.correction,
            significance=settings.significance,
            effect=settings.effect,
            dataset_share=settings.dataset_share,
            min_rows=settings.min_rows,
            js_base=settings.js_base,
            method=method,
            columns=columns,
            exclude=exclude,
        ),
        fail_on=fail_on,
        roles_inferred=roles.to_dict(),
    )


# --------------------------------------------------------------------------------------------


def _reference_source(config: Config | None, settings: DriftSection, path: Path | None) -> Source:
    if path is not None:
        return file_source(path)
    if config is None or settings.reference is None:
        where = f"{config.source}: " if config is not None and config.source else ""
        raise ConfigError(
            f"{where}drift.reference is not set, and no --reference was given",
            hint="set drift.reference: {since, until} (a window of the store) or pass "
            "--reference FILE",
        )
    return store_window(config, settings.reference.since, settings.reference.until)


def _current_source(
    config: Config | None,
    settings: DriftSection,
    since: dt.datetime | None,
    until: dt.datetime | None,
    path: Path | None,
) -> Source:
    if path is not None:
        return file_source(path)
    if config is None:
        raise UsageError("no current data", hint="pass --current FILE (or a config with a store)")
    if until is None:
        raise UsageError("no --until for the current window", hint="pass --until (or latest)")
    if since is None:
        since = until - WINDOW_STEPS[settings.window or "1d"]
    if since >= until:
        raise UsageError(
            f"--since {iso_utc(since)} is not before --until {iso_utc(until)}",
            hint="swap them, or give a duration such as --since 7d",
        )
    return store_window(config, since, until)


def _compare(
    column: str,
    kind: str,
    ref: Profile,
    cur: Profile,
    s: DriftSection,
    method_override: str | None,
    problems: dict[str, dict[str, str]],
) -> Comparison:
    rule = s.columns.get(column)
    per_kind = s.numerical if kind == "numerical" else s.categorical
    method = method_override or (rule.method if rule and rule.method else None) or per_kind.method
    valid = NUMERICAL_METHODS if kind == "numerical" else CATEGORICAL_METHODS
    if method not in valid:
        method = "auto"  # --method for the other kind: that kind keeps its own rule
    threshold = rule.threshold if rule and rule.threshold is not None else per_kind.threshold
    settings = Settings(
        method=method,
        threshold=threshold,
        min_rows=s.min_rows,
        js_base=s.js_base,
        missing_threshold=s.missing.threshold if s.missing.enabled else None,
        new_category_threshold=s.new_categories.threshold if s.new_categories.enabled else None,
    )
    r, c = ref.columns.get(column), cur.columns.get(column)
    if r is None or c is None:
        side = "reference" if r is None else "current data"
        why = problems[side].get(column, "cannot be profiled")
        return _missing_column(column, kind, method, f"in the {side}: {why}")
    return compare(column, r, c, settings)


def _missing_column(column: str, kind: str, method: str, reason: str) -> Comparison:
    return Comparison(
        column=column,
        kind=kind,
        method=method,
        status="skipped",
        reason=reason,
        n_reference=0,
        n_current=0,
        null_share_reference=None,
        null_share_current=None,
        new_category_share=None,
        signals=(),
    )


def _label_drift(
    config: Config, reference: Source, current: Source, s: DriftSection
) -> Comparison | None:
    """Prior shift: the labels' distribution, where both sides have labels. Rows without a
    label are left out (coverage grows as labels arrive; that is not drift)."""
    ref, cur = sources.labels(config, reference), sources.labels(config, current)
    if ref is None or cur is None:
        return None
    name = config.schema_.label
    numerical = config.model.task == "regression"
    if not numerical:
        ref, cur = (
            ref.select(pl.col(name).cast(pl.String)),
            cur.select(pl.col(name).cast(pl.String)),
        )
    kwargs: dict[str, Any] = {
        "bins": s.bins,
        "sample_rows": s.sample_rows,
        "max_categories": s.max_categories,
    }
    num, cat = ([name], []) if numerical else ([], [name])
    ref_profile = profile(ref, num, cat, **kwargs)
    cur_profile = profile(cur, num, cat, reference=ref_profile, **kwargs)
    rule = s.numerical if numerical else s.categorical
    settings = Settings(
        method=rule.method,
        threshold=rule.threshold,
        min_rows=s.min_rows,
        js_base=s.js_base,
        missing_threshold=None,
        new_category_threshold=s.new_categories.threshold if s.new_categories.enabled else None,
    )
    return compare(name, ref_profile.columns[name], cur_profile.columns[name], settings)
