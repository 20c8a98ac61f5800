"""The ``concept`` section of ``mlmon drift``: change detectors over the labelled rows' errors
in time order, with state kept between runs, and the error of the current data against the
reference's.

The stream: for classification the misclassification indicator, for regression the absolute
error, of every labelled prediction in the current window, ordered by prediction time.

With a store and ``drift.concept.persist`` (the default), each detector's state is kept in
``<store>/_state/concept/<model>/<version>/<detector>.json`` with the time of the last row
it read and the change points it found. A run feeds only rows newer than that, so
consecutive cron runs continue one stream, and repeating a run repeats its report: the
change points shown are those whose time falls in the window. ``<version>`` is the
registry's production version (``unversioned`` without one), so a new production version
starts a fresh stream. A label that arrives after the detectors have read past its
prediction's time counts in the error comparison, not in the stream.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from mlmon.concept.detectors import DETECTORS, Detector
from mlmon.concept.stream import (
    ChangePoint,
    ErrorComparison,
    as_datetime64,
    compare_absolute_errors,
    compare_error_rates,
    increased,
    segments,
    trace,
)
from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.fsutil import (
    STATE_LOCK_HINT,
    STATE_LOCK_TIMEOUT,
    atomic_write_bytes,
    exclusive_lock,
)
from mlmon.metrics.outcome import outcome
from mlmon.store.validate import parse_timestamps
from mlmon.timewindow import iso_utc

if TYPE_CHECKING:
    from mlmon.config.drift import DriftSection
    from mlmon.drift.sources import Source

STATE_FORMAT = 1
_TS, _ERR = "__ts", "__err"


def concept_drift(
    config: Config,
    reference: Source | None,
    current: Source,
    settings: DriftSection,
) -> dict[str, Any] | None:
    """The ``concept`` section (None when disabled)."""
    c = settings.concept
    if not c.enabled:
        return None
    regression = config.model.task == "regression"
    stream = "absolute_error" if regression else "misclassification"
    errors, times = labelled_errors(config, current)
    comparison = _comparison(config, reference, errors, settings)
    base: dict[str, Any] = {
        "stream": stream,
        "n_labelled": len(errors),
        "error": float(errors.mean()) if len(errors) else None,
        "comparison": None if comparison is None else comparison.to_dict(),
    }
    if len(errors) == 0:
        return base | {
            "status": "skipped",
            "drifted": False,
            "reason": "no labelled predictions in the current window",
            "detectors": [],
            "state": None,
        }
    state_dir = _state_dir(config) if current.store and c.persist else None
    grew = functools.partial(
        increased,
        threshold=c.mae_increase if regression else c.error_rate_increase,
        relative=regression,
    )
    span = None if regression else 1.0  # a 0/1 indicator moves by 1 at most
    reports = [
        _run_detector(name, params or {}, errors, times, current, state_dir, grew, span)
        for name, params in c.detector_params(config.model.task).items()
    ]
    drifted = any(r["status"] == "drifted" for r in reports) or bool(
        comparison is not None and comparison.finding
    )
    decided = any(r["status"] != "insufficient_data" for r in reports) or bool(
        comparison is not None and comparison.reason is None
    )
    status = "drifted" if drifted else "ok" if decided else "insufficient_data"
    return base | {
        "status": status,
        "drifted": drifted,
        "reason": None if decided else "fewer labelled rows than the detectors' warm-up",
        "detectors": reports,
        "state": None if state_dir is None else str(state_dir),
    }


def labelled_errors(config: Config, source: Source) -> tuple[np.ndarray, np.ndarray]:
    """The errors of the source's labelled predictions and their times (datetime64[us], UTC),
    ordered by time. Empty when the source has no labels or no predictions."""
    s = config.schema_
    o = outcome(config)
    if source.store:
        from mlmon.drift.sources import ROW_PREDICTION, ROW_TIME, labelled_rows

        frame = labelled_rows(config, source).select(
            pl.col(ROW_TIME).alias(_TS), pl.col(ROW_PREDICTION).alias("__pred"), o.y.alias("__y")
        )
    else:
        schema = source.frame.collect_schema()
        needed = {s.timestamp, s.label} | {c for c in (s.prediction, s.score) if c is not None}
        if config.model.task == "multiclass_classification" and s.prediction is None:
            needed |= set((s.probabilities or {}).values())
        if not needed <= set(schema):
            return np.empty(0), np.empty(0, dtype="datetime64[us]")
        ts = pl.col(s.timestamp)
        dtype = schema[s.timestamp]
        if dtype == pl.String:  # CSV and JSON Lines: text, read as ingest reads it
            ts = parse_timestamps(ts)
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            ts = ts.dt.replace_time_zone("UTC")  # naive times are UTC (DESIGN.md §1)
        elif not isinstance(dtype, pl.Datetime):
            raise DataError(
                f"{source.description}: column {s.timestamp!r} holds {dtype}, not timestamps",
                hint="give ISO-8601 text or a timestamp column",
            )
        try:
            frame = source.frame.select(
                ts.alias(_TS), o.pred.alias("__pred"), o.y.alias("__y")
            ).collect()
        except pl.exceptions.PolarsError as exc:
            raise DataError(
                f"{source.description}: cannot compare its predictions with its labels ({exc})",
                hint="check the prediction and label columns against model.classes",
            ) from exc
    if config.model.task == "regression":
        err = (pl.col("__pred").cast(pl.Float64) - pl.col("__y").cast(pl.Float64)).abs()
    else:
        err = (pl.col("__pred") != pl.col("__y")).cast(pl.Float64)
    frame = (
        frame.drop_nulls(["__pred", "__y", _TS])
        .select(pl.col(_TS).dt.convert_time_zone("UTC").dt.replace_time_zone(None), err.alias(_ERR))
        # NaN or inf in a regression prediction or label: no error to read (one NaN would
        # poison a detector's running sums, and its saved state, for good)
        .filter(pl.col(_ERR).is_finite())
        .sort(_TS, maintain_order=True)
    )
    times = frame[_TS].cast(pl.Datetime("us")).to_numpy()
    return frame[_ERR].to_numpy().astype(float), times


def _comparison(
    config: Config, reference: Source | None, errors: np.ndarray, settings: DriftSection
) -> ErrorComparison | None:
    if reference is None:
        return None
    ref_errors, _ = labelled_errors(config, reference)
    if len(ref_errors) == 0:
        return None
    c = settings.concept
    if config.model.task == "regression":
        return compare_absolute_errors(
            ref_errors,
            errors,
            alpha=settings.alpha,
            threshold=c.mae_increase,
            confidence=c.confidence,
        )
    return compare_error_rates(
        int(ref_errors.sum()),
        len(ref_errors),
        int(errors.sum()),
        len(errors),
        alpha=settings.alpha,
        threshold=c.error_rate_increase,
        confidence=c.confidence,
    )


def _run_detector(
    name: str,
    params: dict[str, Any],
    errors: np.ndarray,
    times: np.ndarray,
    current: Source,
    state_dir: Path | None,
    grew: Callable[[float, float], bool],
    span: float | None,
) -> dict[str, Any]:
    """One detector's report. ``span``: how far the stream's values can lie apart (1 for the
    misclassification indicator, None for absolute errors), which sets the warm-up."""
    cls = DETECTORS[name]
    path = None if state_dir is None else state_dir / f"{name}.json"
    if path is None:
        detector, history, since_reset, fresh, found, first = _advance(
            cls, params, errors, times, None
        )
    else:
        # two drift runs at once would each continue the stream from the same state
        with exclusive_lock(
            path.with_suffix(".lock"), STATE_LOCK_TIMEOUT, "the concept state", STATE_LOCK_HINT
        ):
            detector, history, since_reset, fresh, found, first = _advance(
                cls, params, errors, times, path
            )
    lo, hi = current.since, current.until
    shown = (
        [(a, b) for a, b in history if (lo is None or a >= lo) and (hi is None or a < hi)]
        if path is not None
        else found
    )
    points: list[ChangePoint] = segments(errors, times, name, shown, grew)
    drifted = any(p.finding for p in points)
    warm_up = detector.warm_up if span is None else detector.warm_up_within(span)
    reason = None
    if drifted:
        status = "drifted"
    elif not points and since_reset < warm_up:
        status = "insufficient_data"
        reason = "fewer rows since its last change point than its warm-up"
    elif first is not None and len(times) and _datetime(times[-1]) < first:
        # the saved stream began after these rows: the detector never read them
        status = "insufficient_data"
        reason = f"its stream began at {iso_utc(first)}, after this window's rows"
    else:
        status = "ok"
    return {
        "detector": name,
        "params": detector.params,
        "status": status,
        "reason": reason,
        "rows_read": len(fresh),
        "since_reset": since_reset,
        "warm_up": warm_up,
        "warning": bool(detector.warning_detected),
        "change_points": [p.to_dict() for p in points],
    }


def _advance(
    cls: type[Detector],
    params: dict[str, Any],
    errors: np.ndarray,
    times: np.ndarray,
    path: Path | None,
) -> tuple[
    Detector,
    list[tuple[dt.datetime, dt.datetime | None]],
    int,
    np.ndarray,
    list[tuple[dt.datetime, dt.datetime | None]],
    dt.datetime | None,
]:
    """Continue the detector's stream (from ``path``'s state, when given) with the rows newer
    than it has read, save the state, and return the detector, every change point so far,
    the values read since its last change point, the rows read now, the new points and the
    time of the first row its stream read."""
    saved = _load(path, params) if path is not None else None
    history: list[tuple[dt.datetime, dt.datetime | None]] = []
    detector, high_water, since_reset = cls(**params), None, 0
    first: dt.datetime | None = None
    if saved is not None:
        detector = cls.from_state(saved["detector"])
        high_water = _parse(saved["high_water"])
        history = [(_parse(t), _parse_or_none(w)) for t, w in saved["change_points"]]
        since_reset = int(saved["since_reset"])
        first = _parse_or_none(saved.get("first_read"))
    start = (
        0 if high_water is None else int(np.searchsorted(times, as_datetime64(high_water), "right"))
    )
    fresh = errors[start:]
    t = trace(detector, fresh)
    found = [
        (_datetime(times[start + i]), None if w is None else _datetime(times[start + w]))
        for i, w in zip(t.drifts, t.warnings, strict=True)
    ]
    history += found
    since_reset = len(fresh) - t.drifts[-1] - 1 if t.drifts else since_reset + len(fresh)
    if first is None and len(fresh):
        first = _datetime(times[start])
    if path is not None and len(fresh):
        document = {
            "format": STATE_FORMAT,
            "detector": detector.state(),
            "params": params,
            "first_read": iso_utc(first),
            "high_water": iso_utc(_datetime(times[-1])),
            "since_reset": since_reset,
            "change_points": [[iso_utc(a), iso_utc(b)] for a, b in history],
        }
        atomic_write_bytes(path, json.dumps(document, indent=1).encode())
    return detector, history, since_reset, fresh, found, first


def _state_dir(config: Config) -> Path:
    from mlmon.errors import RegistryError
    from mlmon.registry import open_registry

    try:
        version = open_registry(config).aliases().get("production", "unversioned")
    except (RegistryError, OSError):
        version = "unversioned"
    return config.store.path / "_state" / "concept" / config.model.name / version


def _load(path: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    """The saved state, or None to start afresh (no file yet, or other parameters)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: unreadable concept-drift state ({exc})",
            hint="delete the file to start the detector's stream afresh",
        ) from exc
    if data.get("format") != STATE_FORMAT or data.get("params") != params:
        return None  # the detector was reconfigured: its old stream no longer applies
    return dict(data)


def _datetime(t: np.datetime64) -> dt.datetime:
    micros = int(t.astype("datetime64[us]").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _parse_or_none(text: str | None) -> dt.datetime | None:
    return None if text is None else _parse(text)


__all__ = ["concept_drift", "labelled_errors"]
