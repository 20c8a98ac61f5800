"""CBPE's calibration: fitted on the labelled reference (or taken from the cache), and the
estimates it gives a window.

The cache: the calibrations are kept by the labelled reference they come from, in the
store's ``calibrations`` cache (:func:`mlmon.store.cache.store_cache`, which the operations
pass in; this module builds no path and writes no file itself).

Fitting takes ten held-out isotonic fits plus one on the whole reference, and a cron job running
``mlmon metrics`` every few minutes would redo it each time on the same reference. The cache key
is the reference's definition (window, task, the columns read) and content: the prediction files
of the window's days and every label file, each with its size (committed store files never
change; new predictions or labels change the list), so a label that arrives for the reference
window refits. A damaged or unreadable entry is refitted and replaced; one that cannot be
written is skipped (the cache is an optimisation).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from mlmon.config import Config
from mlmon.performance.cbpe import (
    Calibration,
    CalibrationRefused,
    MulticlassCalibration,
    estimate_multiclass,
    fit_calibration,
    fit_multiclass_calibration,
)
from mlmon.performance.estimate import Estimate
from mlmon.performance.outcome import PRED, PROBA, SCORE, Y
from mlmon.store.cache import EntryCache
from mlmon.store.layout import StoreLayout
from mlmon.timewindow import iso_utc

CACHE_FORMAT = 2
"""2: entries are :class:`~mlmon.store.cache.EntryCache` documents (with a checksum)."""


def cache_key(config: Config, since: dt.datetime, until: dt.datetime) -> str:
    """The key of the calibration fitted on the labelled predictions of ``[since, until)``."""
    layout = StoreLayout(config.store.path)
    s = config.schema_
    text = json.dumps(
        {
            "format": CACHE_FORMAT,
            "window": [since.isoformat(), until.isoformat()],
            "task": config.model.task,
            "classes": list(config.model.classes or ()),
            "columns": [s.id, s.timestamp, s.prediction, s.score, s.label, s.probabilities],
            "predictions": layout.listing(layout.files("predictions", since.date(), until.date())),
            "labels": layout.listing(layout.files("labels")),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_cached(
    cache: EntryCache, key: str
) -> tuple[Calibration | MulticlassCalibration, int] | None:
    """The cached calibration and the number of labelled rows it was fitted on, or None
    (a miss, or an entry damaged in any way or from another version: it is refitted)."""
    try:
        data = cache.read(key)
        if data is None:
            return None
        kind = MulticlassCalibration if data["kind"] == "multiclass" else Calibration
        return kind.from_state(data["calibration"]), int(data["rows"])
    except Exception:  # damaged: refitted and replaced, as a cache miss
        return None


def save(
    cache: EntryCache, key: str, calibration: Calibration | MulticlassCalibration, rows: int
) -> None:
    data: dict[str, Any] = {
        "kind": "multiclass" if isinstance(calibration, MulticlassCalibration) else "binary",
        "rows": rows,
        "calibration": calibration.state(),
    }
    # a read-only store: the cache is an optimisation, the fit is refitted next run
    with contextlib.suppress(OSError):
        cache.write(key, data, {})


def fit_on_reference(
    config: Config,
    window: tuple[dt.datetime, dt.datetime] | None,
    load: Callable[[dt.datetime, dt.datetime], pl.DataFrame],
    cache: EntryCache | None,
) -> tuple[Calibration | MulticlassCalibration | None, dict[str, Any] | None]:
    """The calibration CBPE uses, fitted on the labelled reference ``window`` (read with
    ``load``: the metrics frame of a window, with the ``Y``/``SCORE``/probability columns)
    or taken from ``cache``, and what to report about it (or why there are no estimates)."""
    e = config.metrics.estimate
    if not e.enabled:
        return None, None
    task, s = config.model.task, config.schema_
    k = len(config.model.classes or ())
    if task == "regression" or (task == "binary_classification" and s.score is None):
        return None, {"reason": "estimates need a classifier's scores or class probabilities"}
    if task == "multiclass_classification" and len(s.probabilities or {}) != k:
        return None, {"reason": "estimates need schema.probabilities for every class"}
    if window is None:
        return None, {"reason": "no labelled reference: set metrics.estimate.reference"}
    where = {"reference": {"since": iso_utc(window[0]), "until": iso_utc(window[1])}}
    key = cache_key(config, *window) if cache is not None else ""
    cached = load_cached(cache, key) if cache is not None else None
    if cached is not None:
        return cached[0], _fitted(where, cached[0], cached[1])
    frame = load(*window)
    calibration: Calibration | MulticlassCalibration
    try:
        if task == "multiclass_classification":
            names = [f"{PROBA}{i}" for i in range(k)]
            frame = frame.drop_nulls([Y, *names])
            calibration = fit_multiclass_calibration(
                frame[Y].to_numpy().astype(int), frame.select(names).to_numpy()
            )
        else:
            frame = frame.drop_nulls([Y, SCORE])
            calibration = fit_calibration(frame[Y].to_numpy(), frame[SCORE].to_numpy())
    except CalibrationRefused as exc:
        return None, where | {"reason": str(exc)}
    if cache is not None:
        save(cache, key, calibration, frame.height)
    return calibration, _fitted(where, calibration, frame.height)


def _fitted(
    where: dict[str, Any], calibration: Calibration | MulticlassCalibration, rows: int
) -> dict[str, Any]:
    return where | {
        "method": "cbpe",
        "labelled_reference_rows": rows,
        "calibration": calibration.to_dict(),
        "reason": None,
    }


def estimate_window(
    calibration: Calibration | MulticlassCalibration, part: pl.DataFrame, confidence: float
) -> dict[str, Estimate]:
    """CBPE's estimates for one window's rows (the metrics frame's columns)."""
    if isinstance(calibration, MulticlassCalibration):
        names = [f"{PROBA}{i}" for i in range(len(calibration.classes))]
        rows = part.select(*names, PRED).drop_nulls()
        proba = rows.select(names).to_numpy().astype(float)
        pred = rows[PRED].to_numpy().astype(int)
        return estimate_multiclass(calibration.apply(proba), proba, pred, confidence)
    rows = part.select(SCORE, PRED).drop_nulls()
    scores = rows[SCORE].to_numpy().astype(float)
    return calibration.estimate(scores, rows[PRED].to_numpy().astype(int), confidence)


def error_probabilities(
    calibration: Calibration | MulticlassCalibration, part: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """For the labelled rows of a window (the metrics frame's columns) that have a score (or
    class probabilities): whether the prediction was wrong (0/1) and the probability CBPE
    gives it of being wrong — 1 - p̂ where the positive class was predicted, p̂ where the
    negative one was; multiclass 1 - p̂(ŷ), the calibrated probability of the predicted
    class. Read by concept drift (:mod:`mlmon.concept.expected`) to tell covariate shift
    from a changed relation between inputs and labels."""
    if isinstance(calibration, MulticlassCalibration):
        names = [f"{PROBA}{i}" for i in range(len(calibration.classes))]
        rows = part.select(*names, PRED, Y).drop_nulls()
        pred = rows[PRED].to_numpy().astype(int)
        p = calibration.apply(rows.select(names).to_numpy().astype(float))
        expected = 1.0 - p[np.arange(len(pred)), pred]
    else:
        rows = part.select(SCORE, PRED, Y).drop_nulls()
        pred = rows[PRED].to_numpy().astype(int)
        p = calibration.apply(rows[SCORE].to_numpy().astype(float))
        expected = np.where(pred == 1, 1.0 - p, p)
    realized = (pred != rows[Y].to_numpy().astype(int)).astype(float)
    return realized, np.asarray(expected, dtype=float)
