"""``mlmon drift``: data, prediction, multivariate and concept drift against a reference.

The operation owns what is kept between runs and where the data comes from: the current
window (``--until latest`` included), the reference profile's cache under
``<store>/_cache/profiles`` and the concept detectors' saved stream under
``<store>/_state/concept`` (:class:`~mlmon.store.layout.StoreLayout` names both), whose
model version it reads from the registry. The data-drift comparison
(:func:`mlmon.datadrift.run.compute_drift`) and the concept section
(:func:`mlmon.concept.run.concept_drift`) are run here, one after the other, on the same two
sides.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from mlmon.config import Config
from mlmon.config.drift import CATEGORICAL_METHODS, NUMERICAL_METHODS
from mlmon.datadrift.profile import Profile
from mlmon.datadrift.result import DriftResult
from mlmon.datadrift.run import Concept
from mlmon.datadrift.run import compute_drift as data_drift
from mlmon.errors import RegistryError
from mlmon.ops.arguments import check_choice
from mlmon.ops.window import When, ends_now, resolve
from mlmon.registry import open_registry
from mlmon.store.cache import EntryCache, store_cache
from mlmon.store.datasets import Source

if TYPE_CHECKING:  # numpy and the detectors: imported when concept drift runs
    from mlmon.concept.run import ConceptSection
METHODS = tuple(dict.fromkeys(NUMERICAL_METHODS + CATEGORICAL_METHODS))
"""Every statistic ``method`` may name (numerical or categorical)."""
FAIL_ON = ("dataset", "column")


def run(
    config: Config | None,
    *,
    since: When = None,
    until: When = None,
    reference: str | Path | None = None,
    reference_version: str | None = None,
    current: str | Path | None = None,
    method: str | None = None,
    fail_on: str = "dataset",
    no_cache: bool = False,
    reset_concept_state: bool = False,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> DriftResult:
    """Drift of the current data against the reference.

    The current data is the ``current`` file, or the store's window ``[since, until)``:
    ``until`` None is now and ``"latest"`` the end of the day of the newest row; ``since``
    None is ``drift.window`` before ``until``. The reference is the ``reference`` file, else
    the training data of ``reference_version`` (``production``, ``3``, ...; default
    ``drift.reference_version``), else the ``drift.reference`` window. Without a ``config``
    both files are needed, and the column roles are inferred from the reference.

    ``method`` overrides every column's statistic of its kind; ``fail_on``: ``dataset`` —
    a finding when the dataset drifts, ``column`` — when any column does. ``columns`` and
    ``exclude`` choose the feature columns compared. The reference's profile is cached in the
    store unless ``no_cache``. A window ending now or at ``latest`` continues the concept
    detectors' saved stream; ``reset_concept_state`` discards it first."""
    check_choice(method, METHODS, "--method")
    check_choice(fail_on, FAIL_ON, "--fail-on")
    start = end = None
    if config is not None and current is None:
        start, end = resolve(config, since, until)
    cache = None if config is None or no_cache else store_cache(config.store.path, "profiles")
    return compute_drift(
        config,
        since=start,
        until=end,
        reference_path=None if reference is None else Path(reference),
        reference_version=reference_version,
        current_path=None if current is None else Path(current),
        method=method,
        fail_on=fail_on,
        cache=cache,
        until_is_present=ends_now(until),
        reset_concept_state=reset_concept_state,
        columns=columns,
        exclude=exclude,
    )


def compute_drift(
    config: Config | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    reference_path: Path | None = None,
    reference_version: str | None = None,
    current_path: Path | None = None,
    method: str | None = None,
    fail_on: str = "dataset",
    cache: EntryCache | None = None,
    until_is_present: bool = False,
    reset_concept_state: bool = False,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> DriftResult:
    """:func:`run` on a resolved window (``since``, ``until``: aware datetimes), with the
    reference profile's ``cache`` (None: none). ``until_is_present``: the window ends at the
    present, so concept drift may continue its saved detector stream
    (:mod:`mlmon.concept.state`); ``reset_concept_state``: discard that stream first."""
    version = reference_version
    if version is None and config is not None and reference_path is None:
        version = config.drift.reference_version
    registered = None
    if version is not None and config is not None and reference_path is None:
        registered = registered_profile(config, version)
    return data_drift(
        config,
        since=since,
        until=until,
        reference_path=reference_path,
        registered=registered,
        current_path=current_path,
        method=method,
        fail_on=fail_on,
        cache=cache,
        columns=columns,
        exclude=exclude,
        concept=(
            None
            if config is None
            else _concept(config, present=until_is_present, reset=reset_concept_state)
        ),
    )


def registered_profile(config: Config, ref: str) -> tuple[Source, Profile]:
    """The drift profile of a registered version's training data (``retrain`` keeps it beside
    the artifact), with an empty frame of its columns' types standing in for the data."""
    registry = open_registry(config)
    version = registry.resolve(ref)
    path = registry.version_dir(version) / "reference_profile.json"
    try:
        profile = Profile.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(
            f"version {version} of {config.model.name!r} has no readable training-data profile "
            f"({path}: {exc})",
            hint="versions registered by mlmon retrain carry one; use a store window or a file",
        ) from exc
    schema = {
        name: pl.Float64() if column.kind == "numerical" else pl.String()
        for name, column in profile.columns.items()
    }
    described = f"model {config.model.name} version {version}" + (
        "" if ref == version else f" ({ref})"
    )
    return Source(
        f"{described} training data", pl.LazyFrame(schema=schema), {"version": version}
    ), profile


def _concept(config: Config, *, present: bool, reset: bool) -> Concept:
    """The concept section of a run on ``config``'s store, from its two sides."""

    def section(reference: Source, current: Source) -> ConceptSection | None:
        from mlmon.concept.run import concept_drift  # numpy and the detectors: when used

        return concept_drift(
            config,
            reference,
            current,
            config.drift,
            present=present,
            reset=reset,
            version=lambda: _production_version(config),
        )

    return section


def _production_version(config: Config) -> str:
    """The version whose stream the concept detectors continue: production's, or
    ``unversioned`` without a registry or a production alias. The registry checks the alias
    names a version (a damaged or hostile one is exit 5, never a path outside the store)."""
    try:
        return open_registry(config).aliases().get("production", "unversioned")
    except OSError:
        return "unversioned"
