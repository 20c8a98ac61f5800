"""Profiling the two sides of ``mlmon drift``: the columns each side can give, the
reference's profile (a registered version's, the cached one, or built from the data) and the
current data's on the reference's bins.

The reference's profile is cached by the content it was computed from (:func:`profile_key`) in
an :class:`~mlmon.store.cache.EntryCache` the operation names (``<store>/_cache/profiles``).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

import polars as pl

from mlmon.config.base import short
from mlmon.config.drift import DriftSection
from mlmon.datadrift.profile import PROFILE_FORMAT, Profile, profile
from mlmon.datadrift.roles import Roles
from mlmon.errors import DataError
from mlmon.store.cache import EntryCache
from mlmon.store.datasets import Source


def profiles(
    reference: Source,
    current: Source,
    ref_present: Present,
    cur_frame: Present,
    registered: Profile | None,
    numerical: list[str],
    categorical: list[str],
    settings: DriftSection,
    cache: EntryCache | None,
    row_sample: tuple[list[str], int] | None,
) -> tuple[Profile, bool, str | None, Profile]:
    """The reference's profile (cached, registered or built) and the current data's, on the
    reference's bins; (reference, cached, cache warning, current)."""
    cache_warning = None
    if registered is not None:
        ref_profile, cached = registered, True
        ref_present.problems = {
            c: "not in the training data"
            for c in numerical + categorical
            if c not in registered.columns
        }
    else:
        ref_profile, cached, cache_warning = reference_profile(
            reference, ref_present, numerical, categorical, settings, cache, row_sample
        )
    if ref_profile.rows == 0:
        raise DataError(
            f"the reference ({reference.description}) holds no rows",
            hint="fix drift.reference or --reference",
        )
    cur_profile = cur_frame.profile(numerical, categorical, settings, row_sample, ref_profile)
    if cur_profile.rows == 0:
        raise DataError(
            f"the current data ({current.description}) holds no rows",
            hint="widen --since/--until, or use --until latest for old logs",
        )
    return ref_profile, cached, cache_warning, cur_profile


@dataclass
class Present:
    """One side's frame of the columns it can give (:func:`present_columns`)."""

    frame: pl.LazyFrame
    present: set[str]
    """The wanted columns the frame gives."""
    problems: dict[str, str]
    """Why each of the others cannot be profiled."""

    def profile(
        self,
        numerical: list[str],
        categorical: list[str],
        s: DriftSection,
        row_sample: tuple[list[str], int] | None,
        reference: Profile | None = None,
    ) -> Profile:
        """The profile of the columns this frame can give (on ``reference``'s bins)."""
        return profile(
            self.frame,
            [c for c in numerical if c in self.present],
            [c for c in categorical if c in self.present],
            bins=s.bins,
            sample_rows=s.sample_rows,
            max_categories=s.max_categories,
            reference=reference,
            row_sample=row_sample,
        )


def present_columns(frame: pl.LazyFrame, roles: Roles, wanted: list[str]) -> Present:
    """``frame`` with the derived columns added and the ``wanted`` columns it can give; the
    others with the reason they cannot be profiled."""
    schema = frame.collect_schema()
    derived = {n: e.alias(n) for n, e in roles.derived.items()}
    usable: dict[str, pl.Expr] = {}
    problems: dict[str, str] = {}
    for name in wanted:
        if name in derived:
            try:
                frame.select(derived[name]).collect_schema()
            except pl.exceptions.PolarsError as exc:
                problems[name] = f"cannot be derived ({exc})"
                continue
            usable[name] = derived[name]
        elif name not in schema:
            problems[name] = "missing from the data"
        elif name in roles.numerical or roles.prediction.get(name) == "numerical":
            dtype = schema[name]
            if not (dtype.is_numeric() or dtype == pl.Null):
                problems[name] = f"holds {dtype} values, not numbers"
                continue
            usable[name] = pl.col(name)
        else:
            usable[name] = pl.col(name)
    return Present(frame.select(list(usable.values())), set(usable), problems)


def reference_profile(
    source: Source,
    present: Present,
    numerical: list[str],
    categorical: list[str],
    settings: DriftSection,
    cache: EntryCache | None,
    row_sample: tuple[list[str], int] | None,
) -> tuple[Profile, bool, str | None]:
    """The reference's profile (and row sample), from the cache when it holds them: the
    profile as the entry, the rows as its ``.rows.parquet`` companion
    (:class:`~mlmon.store.cache.EntryCache`: concurrent runs each publish a whole entry).

    The cache is disposable: an entry that is missing (a run lost the race to a writer, or
    removed it) is a miss, one that is damaged in any way is rebuilt, and one that cannot be
    written is skipped. The third value says so (a warning for the user), else None."""
    key = profile_key(source, numerical, categorical, settings, row_sample)
    if cache is None:
        return present.profile(numerical, categorical, settings, row_sample), False, None
    problem = None
    try:
        cached = _read_cached(cache, key, row_sample is not None)
        if cached is not None:
            return cached, True, None
    except (Exception, pl.exceptions.PanicException) as exc:  # any damage: rebuild it
        reason = short(f"{type(exc).__name__}: {exc}")
        problem = f"rebuilt the damaged profile cache entry {cache.path(key)} ({reason})"
    built = present.profile(numerical, categorical, settings, row_sample)
    try:
        _write_cached(cache, key, built)
    except (OSError, pl.exceptions.PolarsError) as exc:
        reason = getattr(exc, "strerror", None) or short(str(exc))
        warning = (
            f"cannot cache the reference profile in {cache.directory} ({reason}); the reference "
            "is profiled again on every run"
        )
        return built, False, warning
    return built, False, problem


_ROWS = ".rows.parquet"


def _read_cached(cache: EntryCache, key: str, with_rows: bool) -> Profile | None:
    """The cached profile; None for a miss; raises for a damaged entry."""
    data = cache.read(key)
    if data is None:
        return None
    cached = Profile.from_dict(data)
    if with_rows:
        rows = cache.read_companion(key, _ROWS)
        if rows is None:
            return None  # the profile without its rows: a miss
        cached.row_sample = pl.read_parquet(io.BytesIO(rows))
    return cached


def _write_cached(cache: EntryCache, key: str, built: Profile) -> None:
    companions = {}
    if built.row_sample is not None:
        buffer = io.BytesIO()
        built.row_sample.write_parquet(buffer)
        companions[_ROWS] = buffer.getvalue()
    cache.write(key, built.to_dict(), companions)


def profile_key(
    source: Source,
    numerical: list[str],
    categorical: list[str],
    s: DriftSection,
    row_sample: tuple[list[str], int] | None,
) -> str:
    text = json.dumps(
        {
            "profile_format": PROFILE_FORMAT,
            "cache_format": 2,  # 2: the profile with its checksum (1 had none)
            "row_sample": row_sample,
            "source": source.key(),
            "numerical": numerical,
            "categorical": categorical,
            "bins": s.bins,
            "sample_rows": s.sample_rows,
            "max_categories": s.max_categories,
            "low_confidence": s.prediction.low_confidence,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]
