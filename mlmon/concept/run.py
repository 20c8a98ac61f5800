"""The ``concept`` section of ``mlmon drift``: change detectors over the labelled rows' errors
in time order, and the error of the current rows against the reference's — net of covariate
shift where CBPE is calibrated.

The stream: for classification the misclassification indicator, for regression the absolute
error, of every labelled prediction in the current window, ordered by prediction time.

**State.** A cron run (``--until`` now or ``latest``) continues the detectors' saved stream in
``<store>/_state/concept/<model>/<version>/``, feeding them only the rows newer than the last
one they read; a run over an explicit range, or one starting before the saved stream's first
row, is stateless: fresh detectors read its rows, and the saved stream is not touched (the rule
and the file's content: :mod:`mlmon.concept.state`). A stateful run shows the stream's change
points whose time falls in its window, so repeating it repeats its report. A change point's
error before and after are those of the detector's stream's segments on each side of it, so it
reads the same in every run that shows it. A label that arrives after the detectors have read
past its prediction's time counts in the error comparison, not in the stream.

**Comparison.** Where CBPE has a calibration (``metrics.estimate``: a classifier's scores or
class probabilities, calibrated on its labelled reference), the realized error of the current
rows is compared with the error CBPE expects of the same rows
(:func:`mlmon.concept.expected.compare_with_expected`): a population that moved to where the
model is less sure raises the error without any concept drift. Elsewhere (regression, no
calibration, files), the current error is compared with the reference's.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from mlmon.concept import state
from mlmon.concept.comparison import ConceptComparison, compare
from mlmon.concept.detectors import DETECTORS, Detector
from mlmon.concept.stream import (
    ChangePoint,
    SavedPoint,
    Segments,
    as_datetime64,
    change_points,
    increased,
    trace,
)
from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.performance.outcome import outcome
from mlmon.store.timestamps import parse_timestamps
from mlmon.timewindow import iso_utc

if TYPE_CHECKING:
    from mlmon.config.drift import DriftSection
    from mlmon.store.datasets import Source

_TS, _ERR = "__ts", "__err"


@dataclass(frozen=True)
class StateReset:
    """``--reset-concept-state``: the directory of the model's saved streams and how many
    files were removed from it."""

    directory: str
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "files": self.files}


@dataclass(frozen=True)
class DetectorReport:
    """One detector's run: its verdict (``drifted``, ``ok`` or ``insufficient_data``, with
    why), the rows it read now, those since its last change point, its warm-up and the change
    points shown."""

    detector: str
    params: dict[str, Any]
    status: str
    reason: str | None
    rows_read: int
    since_reset: int
    warm_up: int
    warning: bool
    change_points: list[ChangePoint]

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "params": self.params,
            "status": self.status,
            "reason": self.reason,
            "rows_read": self.rows_read,
            "since_reset": self.since_reset,
            "warm_up": self.warm_up,
            "warning": self.warning,
            "change_points": [p.to_dict() for p in self.change_points],
        }


@dataclass(frozen=True)
class ConceptSection:
    """The ``concept`` section of ``mlmon drift`` (see the module docstring). ``status``:
    ``drifted``, ``ok``, ``insufficient_data`` or ``skipped`` (no labelled rows), with
    ``reason``; ``state``: the saved stream's directory when the run continued it."""

    stream: str
    """``misclassification`` or ``absolute_error``."""
    mode: str
    """``stateful`` or ``stateless``, and why (``mode_reason``)."""
    mode_reason: str
    state_reset: StateReset | None
    n_labelled: int
    error: float | None
    comparison: ConceptComparison | None
    status: str
    drifted: bool
    reason: str | None
    detectors: list[DetectorReport]
    state: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "state_reset": None if self.state_reset is None else self.state_reset.to_dict(),
            "n_labelled": self.n_labelled,
            "error": self.error,
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "status": self.status,
            "drifted": self.drifted,
            "reason": self.reason,
            "detectors": [d.to_dict() for d in self.detectors],
            "state": self.state,
        }


def concept_drift(
    config: Config,
    reference: Source | None,
    current: Source,
    settings: DriftSection,
    *,
    present: bool = False,
    reset: bool = False,
    version: Callable[[], str],
) -> ConceptSection | None:
    """The ``concept`` section (None when disabled). ``present``: the window ends at the
    present (``--until`` now or ``latest``), so it may continue the saved stream;
    ``reset``: discard the saved stream first; ``version``: the model version whose stream
    a store window continues (asked only when it may: the operation reads it from the
    registry)."""
    c = settings.concept
    reset_report = None
    if reset:
        removed = state.reset(config)
        reset_report = StateReset(str(state.state_root(config)), len(removed))
    if not c.enabled:
        return None
    regression = config.model.task == "regression"
    stream = "absolute_error" if regression else "misclassification"
    errors, times = labelled_errors(config, current)
    ref_errors = labelled_errors(config, reference)[0] if reference is not None else None
    comparison = compare(config, ref_errors, current, errors, settings)
    detectors = c.detector_params(config.model.task)
    directory = state.state_dir(config, version()) if current.store and c.persist else None
    origin = (
        state.stream_origin(directory, detectors) if directory is not None and present else None
    )
    stateful, mode_reason = state.continues_stream(
        store=current.store, persist=c.persist, present=present, since=current.since, first=origin
    )
    section = functools.partial(
        ConceptSection,
        stream=stream,
        mode="stateful" if stateful else "stateless",
        mode_reason=mode_reason,
        state_reset=reset_report,
        n_labelled=len(errors),
        error=float(errors.mean()) if len(errors) else None,
        comparison=comparison,
    )
    if len(errors) == 0:
        return section(
            status="skipped",
            drifted=False,
            reason="no labelled predictions in the current window",
            detectors=[],
            state=None,
        )
    state_dir = directory if stateful else None
    grew = functools.partial(
        increased,
        threshold=c.mae_increase if regression else c.error_rate_increase,
        relative=regression,
    )
    span = None if regression else 1.0  # a 0/1 indicator moves by 1 at most
    reports = [
        _run_detector(name, params or {}, errors, times, current, state_dir, grew, span)
        for name, params in detectors.items()
    ]
    drifted = any(r.status == "drifted" for r in reports) or (
        comparison is not None and comparison.drifted
    )
    decided = any(r.status != "insufficient_data" for r in reports) or (
        comparison is not None and comparison.plain.reason is None
    )
    status = "drifted" if drifted else "ok" if decided else "insufficient_data"
    return section(
        status=status,
        drifted=drifted,
        reason=None if decided else "fewer labelled rows than the detectors' warm-up",
        detectors=reports,
        state=None if state_dir is None else str(state_dir),
    )


def labelled_errors(config: Config, source: Source) -> tuple[np.ndarray, np.ndarray]:
    """The errors of the source's labelled predictions and their times (datetime64[us], UTC),
    ordered by time. Empty when the source has no labels or no predictions."""
    s = config.schema_
    o = outcome(config)
    if source.store:
        from mlmon.datadrift.sources import ROW_PREDICTION, ROW_TIME, labelled_rows

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


def _run_detector(
    name: str,
    params: dict[str, Any],
    errors: np.ndarray,
    times: np.ndarray,
    current: Source,
    state_dir: Path | None,
    grew: Callable[[float, float], bool],
    span: float | None,
) -> DetectorReport:
    """One detector's report: continuing its saved stream when ``state_dir`` is given, else
    a fresh detector over the window's rows. ``span``: how far the stream's values can lie
    apart (1 for the misclassification indicator, None for absolute errors), which sets the
    warm-up."""
    cls = DETECTORS[name]
    if state_dir is None:
        detector, segments, since_reset, fresh = _advance(cls, params, errors, times, None)
        points: list[ChangePoint] = change_points(segments, name, grew)
    else:
        path = state_dir / f"{name}.json"
        # two drift runs at once would each continue the stream from the same state
        with state.lock_for(path):
            detector, segments, since_reset, fresh = _advance(
                cls, params, errors, times, path, current.since
            )
        points = change_points(segments, name, grew, current.since, current.until)
    drifted = any(p.finding for p in points)
    warm_up = detector.warm_up if span is None else detector.warm_up_within(span)
    reason = None
    if drifted:
        status = "drifted"
    elif not points and since_reset < warm_up:
        status = "insufficient_data"
        reason = "fewer rows since its last change point than its warm-up"
    else:
        status = "ok"
    return DetectorReport(
        detector=name,
        params=detector.params,
        status=status,
        reason=reason,
        rows_read=len(fresh),
        since_reset=since_reset,
        warm_up=warm_up,
        warning=bool(detector.warning_detected),
        change_points=points,
    )


def _advance(
    cls: type[Detector],
    params: dict[str, Any],
    errors: np.ndarray,
    times: np.ndarray,
    path: Path | None,
    origin: dt.datetime | None = None,
) -> tuple[Detector, Segments, int, np.ndarray]:
    """Continue the detector's stream (from ``path``'s state, when given; else a fresh one)
    with the rows newer than it has read, save the state, and return the detector, the
    stream's segments, the values read since its last change point and the rows read now."""
    saved = state.load(path, params) if path is not None else None
    detector, high_water, since_reset = cls(**params), None, 0
    segments = Segments()
    first: dt.datetime | None = None
    if saved is not None:
        detector = cls.from_state(saved["detector"])
        high_water = state.parse(saved["high_water"])
        segments = Segments(
            [
                SavedPoint(state.parse(t), state.parse_or_none(w), int(n), float(total))
                for t, w, n, total in saved["change_points"]
            ],
            int(saved["open"][0]),
            float(saved["open"][1]),
        )
        since_reset = int(saved["since_reset"])
        first = state.parse_or_none(saved.get("first_read"))
        origin = state.parse_or_none(saved.get("origin"))
    # only rows newer than the last one read: the stream moves forward in time, never back
    start = (
        0 if high_water is None else int(np.searchsorted(times, as_datetime64(high_water), "right"))
    )
    fresh = errors[start:]
    t = trace(detector, fresh)
    moments = [
        (_datetime(times[start + i]), None if w is None else _datetime(times[start + w]))
        for i, w in zip(t.drifts, t.warnings, strict=True)
    ]
    segments.extend(fresh, t.drifts, moments)
    since_reset = len(fresh) - t.drifts[-1] - 1 if t.drifts else since_reset + len(fresh)
    if first is None and len(fresh):
        first = _datetime(times[start])
    if path is not None and len(fresh):
        document = {
            "format": state.STATE_FORMAT,
            "detector": detector.state(),
            "params": params,
            "origin": iso_utc(origin or first),
            "first_read": iso_utc(first),
            "high_water": iso_utc(_datetime(times[-1])),
            "since_reset": since_reset,
            "change_points": [
                [iso_utc(p.timestamp), iso_utc(p.warning_since), p.before_n, p.before_sum]
                for p in segments.points
            ],
            "open": [segments.open_n, segments.open_sum],
        }
        state.save(path, document)
    return detector, segments, since_reset, fresh


def _datetime(t: np.datetime64) -> dt.datetime:
    micros = int(t.astype("datetime64[us]").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


__all__ = ["ConceptSection", "DetectorReport", "StateReset", "concept_drift", "labelled_errors"]
