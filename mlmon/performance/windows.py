"""Window metrics over the store: the ``mlmon metrics`` operation.

Reads only the columns it needs (predictions joined with labels) for ``[since, until)``,
splits the rows into tumbling UTC windows (and, with ``by``, by the serving model version),
and computes operational metrics for every window and quality metrics for windows with at
least ``metrics.min_labelled`` labelled rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import polars as pl

from mlmon.config import Config
from mlmon.config.metric_names import directions, quality_names
from mlmon.errors import ConfigError, DataError, UsageError
from mlmon.outcome import StatusExit
from mlmon.performance import calibrations
from mlmon.performance.binary import binary_metrics
from mlmon.performance.cbpe import Calibration, MulticlassCalibration
from mlmon.performance.estimate import Estimate
from mlmon.performance.multiclass import multiclass_metrics
from mlmon.performance.operational import operational_metrics
from mlmon.performance.outcome import PRED, PROBA, SCORE, Y, outcome
from mlmon.performance.regression import regression_metrics
from mlmon.performance.thresholds import Breach, evaluate
from mlmon.store.cache import EntryCache
from mlmon.store.scan import missing_feature_flag, read_window
from mlmon.timewindow import WINDOW_STEPS, iso_utc

_ERROR = "__error"
_KEY, _MISSING, _LAG = "__w", "__missing", "__lag_h"


@dataclass(frozen=True)
class WindowReport:
    """One window (and model version, with ``--by``)."""

    start: dt.datetime
    end: dt.datetime
    by: str | None
    n: int
    labelled: int
    label_lag_median_hours: float | None
    status: str
    metrics: Mapping[str, Estimate]
    breaches: tuple[Breach, ...] = ()
    estimated: Mapping[str, Estimate] | None = None
    """CBPE estimates of the quality metrics from every row's score (None: not estimated)."""
    verdict: str | None = None
    """What the window's quality verdict rests on: ``labels``, ``estimates`` (too few labels,
    and ``metrics.estimate.use_estimates`` judged the thresholds on the CBPE estimates), or
    None (no quality verdict: ``insufficient_data``)."""

    @property
    def label_coverage(self) -> float | None:
        return self.labelled / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "by": self.by,
            "n": self.n,
            "labelled": self.labelled,
            "label_coverage": self.label_coverage,
            "label_lag_median_hours": self.label_lag_median_hours,
            "status": self.status,
            "verdict": self.verdict,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "estimated": None
            if self.estimated is None
            else {k: v.to_dict() for k, v in self.estimated.items()},
            "breaches": [b.to_dict() for b in self.breaches],
        }


@dataclass(frozen=True)
class MetricsResult(StatusExit):
    """The result of ``mlmon metrics``; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "metrics"

    since: dt.datetime | None
    until: dt.datetime
    window: str
    by: str | None
    confidence: float
    min_labelled: int
    windows: tuple[WindowReport, ...]
    deciding: tuple[int, ...]
    baseline: Mapping[str, Estimate] | None = None
    estimation: dict[str, Any] | None = None
    """How the estimates were made (calibration), or why there are none."""

    @property
    def estimation_reason(self) -> str | None:
        """Why there are no CBPE estimates (None when there are, or when they are off)."""
        reason = None if self.estimation is None else self.estimation.get("reason")
        return None if reason is None else str(reason)

    @property
    def status(self) -> str:
        """``finding`` if a deciding window breaches a threshold, else ``insufficient_data``
        if a deciding window has too few labels for a quality threshold, else ``ok``."""
        decisive = [self.windows[i] for i in self.deciding]
        if any(w.breaches for w in decisive):
            return "finding"
        if any(w.status == "insufficient_data" for w in decisive):
            return "insufficient_data"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": iso_utc(self.since),
            "until": iso_utc(self.until),
            "window": self.window,
            "by": self.by,
            "confidence": self.confidence,
            "min_labelled": self.min_labelled,
            "deciding_windows": list(self.deciding),
            "baseline": None
            if self.baseline is None
            else {k: v.to_dict() for k, v in self.baseline.items()},
            "estimation": self.estimation,
            "windows": [w.to_dict() for w in self.windows],
        }


def compute_metrics(
    config: Config,
    since: dt.datetime | None,
    until: dt.datetime,
    *,
    window: str | None = None,
    by: str | None = None,
    confidence: float | None = None,
    fail_on: str = "latest",
    baseline_window: tuple[dt.datetime, dt.datetime] | None = None,
    cache: EntryCache | None = None,
) -> MetricsResult:
    """Metrics per window of ``[since, until)``; raises DataError when it holds no rows.
    ``cache``: where CBPE's fitted calibrations are cached (see
    :mod:`mlmon.performance.calibrations`); None fits every time."""
    task = config.model.task
    settings = config.metrics
    window = window or settings.window
    confidence = confidence or settings.confidence
    if by is not None and by != "model_version":
        raise UsageError(
            f"--by {by!r}: only 'model_version' is supported", hint="pass --by model_version"
        )
    if by and config.schema_.model_version is None:
        raise ConfigError(
            "--by model_version needs schema.model_version in the config",
            hint="map the column that holds the serving version",
        )
    frame = _load(config, since, until, window, by)
    if frame.height == 0:
        span = f"{iso_utc(since) or 'the start'} .. {iso_utc(until)}"
        raise DataError(
            f"no predictions in the window {span}",
            hint="widen --since/--until, or use --until latest for old logs",
        )
    baseline = None
    loaded: dict[tuple[dt.datetime, dt.datetime], pl.DataFrame] = {}
    if baseline_window is not None:
        base = loaded[baseline_window] = _load(
            config, baseline_window[0], baseline_window[1], "all", None
        )
        if base.height == 0:
            raise DataError(
                f"the baseline window {iso_utc(baseline_window[0])} .. "
                f"{iso_utc(baseline_window[1])} holds no predictions",
                hint="fix metrics.baseline in the config",
            )
        baseline = _window_report(
            config, base, baseline_window[0], baseline_window[1], None, confidence
        ).metrics
    e = settings.estimate
    reference = (e.reference.since, e.reference.until) if e.reference else baseline_window

    def load_reference(since: dt.datetime, until: dt.datetime) -> pl.DataFrame:
        frame = loaded.get((since, until))
        return frame if frame is not None else _load(config, since, until, "all", None)

    calibration, estimation = calibrations.fit_on_reference(
        config, reference, load_reference, cache
    )
    keys = [_KEY, "__by"] if by else [_KEY]
    groups = sorted(_split(frame, keys), key=lambda kv: tuple(str(k) for k in kv[0]))

    def report_for(group: tuple[tuple[object, ...], pl.DataFrame]) -> WindowReport:
        group_key, part = group
        start = group_key[0] if window != "all" else (since or part[config.schema_.timestamp].min())
        assert isinstance(start, dt.datetime)
        end = until if window == "all" else _window_end(start, window)
        lo = max(start, since) if since else start
        report = _window_report(
            config, part, lo, min(end, until), str(group_key[1]) if by else None, confidence
        )
        estimated = (
            None
            if calibration is None
            else calibrations.estimate_window(calibration, part, confidence)
        )
        # undefined metrics (no quality verdict below min_labelled) breach nothing, unless
        # thresholds apply to the estimates there
        higher = directions(task)
        breaches = evaluate(settings.thresholds, report.metrics, baseline, higher)
        status, verdict = report.status, None
        if status != "insufficient_data":
            verdict = "labels"
        elif estimated is not None and settings.estimate.use_estimates:
            breaches += evaluate(settings.thresholds, estimated, baseline, higher, estimated=True)
            # An estimated verdict is a verdict, when every quality threshold has an estimate
            # to judge (CBPE estimates no log loss, say: a threshold on it leaves no verdict).
            judged = [m for m in settings.thresholds if m in quality_names(task)]
            if judged and all(m in estimated and estimated[m].value is not None for m in judged):
                status, verdict = "ok", "estimates"
        return dataclasses.replace(
            report,
            status=status,
            verdict=verdict,
            breaches=tuple(breaches),
            estimated=None if estimated is None else MappingProxyType(estimated),
        )
        return report

    # Windows are independent and their work is in numpy, scipy and polars, which release the
    # GIL: two threads keep both cores busy. map() keeps the order.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlmon-window") as pool:
        reports = list(pool.map(report_for, groups))
    latest = max(r.start for r in reports)
    deciding = [i for i, r in enumerate(reports) if fail_on == "any" or r.start == latest]
    return MetricsResult(
        since,
        until,
        window,
        by,
        confidence,
        settings.min_labelled,
        tuple(reports),
        tuple(deciding),
        baseline,
        estimation,
    )


def _split(frame: pl.DataFrame, keys: list[str]) -> list[tuple[tuple[object, ...], pl.DataFrame]]:
    """The rows of each window (and version), keeping their order.

    Rows come in the store's order, day partition by day partition, so for daily or weekly
    windows without ``--by`` each window is one run of rows already: slicing those runs copies
    nothing, where grouping would copy every row.
    """
    if keys == [_KEY] and frame[_KEY].is_sorted():
        runs = frame.select(pl.col(_KEY).rle()).unnest(_KEY)
        out: list[tuple[tuple[object, ...], pl.DataFrame]] = []
        offset = 0
        for length, value in runs.iter_rows():
            out.append(((value,), frame.slice(offset, length)))
            offset += length
        return out
    return [(tuple(k), part) for k, part in frame.group_by(keys, maintain_order=True)]


def _window_end(start: dt.datetime, window: str) -> dt.datetime:
    return start + WINDOW_STEPS[window]


def _load(
    config: Config, since: dt.datetime | None, until: dt.datetime, window: str, by: str | None
) -> pl.DataFrame:
    """The columns metrics need, one row per prediction, with the window key and derived
    label/prediction/score columns. Feature columns are reduced to one missing flag while
    scanning, so memory does not grow with the number of features."""
    s = config.schema_
    ts = pl.col(s.timestamp)
    missing = missing_feature_flag(config, since, until)
    o = outcome(config)
    y, pred, proba_cols = o.y, o.pred, o.probabilities
    # First narrow the predictions (features become one flag, the error text a flag), then
    # join the labels: the join then carries a few columns, whatever the number of features.
    narrow = [
        (ts.dt.truncate(window) if window != "all" else pl.lit(0)).alias(_KEY),
        ts,
        missing.alias(_MISSING),
        pred.alias(PRED),
        *proba_cols,
    ]
    if s.score is not None:
        narrow.append(pl.col(s.score).alias(SCORE))
    if s.latency is not None:
        narrow.append(pl.col(s.latency))
    if s.error is not None:
        narrow.append(pl.col(s.error).is_not_null().alias(_ERROR))
    if by:
        narrow.append(pl.col(s.model_version or "").fill_null("(none)").alias("__by"))
    label_ts = pl.col(s.label_timestamp or "label_timestamp")
    frame = read_window(config, since, until, narrow)
    return frame.select(
        pl.exclude(s.label, label_ts.meta.output_name()),
        y.alias(Y),
        ((label_ts - ts).dt.total_seconds() / 3600.0).alias(_LAG),
    )


def _window_report(
    config: Config,
    part: pl.DataFrame,
    start: dt.datetime,
    end: dt.datetime,
    by: str | None,
    confidence: float,
) -> WindowReport:
    s = config.schema_
    n = part.height
    hours = (end - start).total_seconds() / 3600.0
    latency = None if s.latency is None else part[s.latency].drop_nulls().drop_nans().to_numpy()
    errors = None if s.error is None else int(part[_ERROR].sum())
    metrics = operational_metrics(n, hours, latency, errors, int(part[_MISSING].sum()), confidence)
    labelled = int(part[Y].is_not_null().sum())
    lag = part[_LAG].median() if labelled else None  # the lag is null where the label is
    inputs = [c for c in part.columns if c in (SCORE, PRED, Y) or c.startswith(PROBA)]
    usable = part.select(inputs).drop_nulls([c for c in (Y, PRED, SCORE) if c in inputs])
    if config.model.task != "binary_classification":
        # Row order from a streaming scan can vary between runs, and float sums depend on
        # it: sorting by the values the metrics read makes the same data give the same
        # digits. (Binary metrics sum over sorted scores already.)
        usable = usable.sort(inputs)
    quality: dict[str, Estimate]
    status = "ok"
    if labelled < config.metrics.min_labelled:
        status = "insufficient_data"
        reason = f"{labelled} labelled rows < metrics.min_labelled ({config.metrics.min_labelled})"
        quality = {name: Estimate.undefined(reason) for name in quality_names(config.model.task)}
    elif config.model.task == "multiclass_classification":
        classes = config.model.classes or ()
        proba_names = [f"{PROBA}{i}" for i in range(len(classes))]
        has_proba = all(c in usable.columns for c in proba_names)
        if has_proba:
            usable = usable.drop_nulls(proba_names)
        quality = multiclass_metrics(
            usable[Y].to_numpy().astype(int),
            usable[PRED].to_numpy().astype(int),
            usable.select(proba_names).to_numpy() if has_proba else None,
            classes,
            confidence,
        )
    elif config.model.classes is not None:
        y = usable[Y].to_numpy()
        pred = usable[PRED].to_numpy()
        score = usable[SCORE].to_numpy() if SCORE in usable.columns else None
        quality = binary_metrics(y, pred, score, confidence)
    else:
        quality = regression_metrics(usable[Y].to_numpy(), usable[PRED].to_numpy(), confidence)
    return WindowReport(
        start,
        end,
        by,
        n,
        labelled,
        None if lag is None else float(lag),  # type: ignore[arg-type]
        status,
        MappingProxyType({**quality, **metrics}),
    )


def reference_calibration(
    config: Config, cache: EntryCache | None
) -> tuple[Calibration | MulticlassCalibration | None, dict[str, Any] | None]:
    """CBPE's calibration as ``mlmon metrics`` fits it — on ``metrics.estimate.reference``
    (default ``metrics.baseline``), taken from (and saved to) ``cache`` —
    and what :func:`~mlmon.performance.calibrations.fit_on_reference` reports about it. For
    other commands (concept drift) that need the expected error of rows."""
    e, b = config.metrics.estimate, config.metrics.baseline
    window = (e.reference.since, e.reference.until) if e.reference else None
    if window is None and b is not None:
        window = (b.since, b.until)
    return calibrations.fit_on_reference(
        config, window, lambda s, u: _load(config, s, u, "all", None), cache
    )


def window_frame(config: Config, since: dt.datetime | None, until: dt.datetime) -> pl.DataFrame:
    """The metrics frame of ``[since, until)`` as one window: one row per prediction with
    the target, prediction, score and class-probability columns of
    :mod:`mlmon.performance.outcome` (null target where no label has arrived)."""
    return _load(config, since, until, "all", None)
