"""``mlmon retrain``, the pure part: trigger decisions, training and evaluation on given rows,
the candidate's lineage, and the result. :mod:`mlmon.ops.retrain` reads the store and the
registry, calls these, and registers the candidate.

The triggers' decisions are in :mod:`mlmon.lifecycle.triggers`.

Training uses the labelled logs of ``[until - retrain.window, until)`` (plus
``retrain.base_data``), oldest first; the latest ``retrain.holdout`` share is held out. The new
model and the production model are both evaluated on those holdout rows. The version is
registered with the ``candidate`` alias, its lineage, the drift profile of its training
data (``reference_profile.json``) and the data contract of its training rows
(``contract.yaml``, which ``mlmon promote`` checks the serving data against: see
:mod:`mlmon.lifecycle.skew`).
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl

from mlmon._version import __version__
from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.lifecycle import model as lm
from mlmon.lifecycle.triggers import Trigger
from mlmon.outcome import StatusExit
from mlmon.performance.estimate import Estimate
from mlmon.timewindow import iso_utc

if TYPE_CHECKING:
    from mlmon.config.contract import Contract
    from mlmon.datadrift.profile import Profile

ARTIFACT = "model.skops"
PROFILE = "reference_profile.json"
CONTRACT = "contract.yaml"
_STAMP = "__mlmon_timestamp"


@dataclass(frozen=True)
class TrainingWindow:
    """What a candidate was trained on (its ``training`` lineage in ``metadata.json``)."""

    since: str
    until: str
    rows: int
    train_rows: int
    holdout_rows: int
    holdout_since: str | None
    """The first holdout row's time: promote compares the models on the rows from here."""
    digest: str
    base_data: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "rows": self.rows,
            "train_rows": self.train_rows,
            "holdout_rows": self.holdout_rows,
            "holdout_since": self.holdout_since,
            "digest": self.digest,
            "base_data": self.base_data,
        }


@dataclass(frozen=True)
class HoldoutMetrics:
    """The candidate's and the production model's metrics on the same holdout rows."""

    candidate: Mapping[str, Estimate]
    production: Mapping[str, Estimate] | None
    """None without a production version."""

    def to_dict(self) -> dict[str, dict[str, Any] | None]:
        return {
            "candidate": _plain(self.candidate),
            "production": None if self.production is None else _plain(self.production),
        }


@dataclass(frozen=True)
class RetrainResult(StatusExit):
    """The result of ``mlmon retrain``; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "retrain"

    triggers: tuple[Trigger, ...]
    forced: str | None
    dry_run: bool
    check: bool
    version: str | None = None
    training: TrainingWindow | None = None
    holdout_metrics: HoldoutMetrics | None = None
    """None when nothing was trained."""
    already: str | None = None
    """A version already trained on the same rows with the same config (nothing new done)."""

    @property
    def triggered(self) -> bool:
        return self.forced is not None or any(t.fired for t in self.triggers)

    @property
    def status(self) -> str:
        return "finding" if self.check and self.triggered else "ok"

    @property
    def alerts(self) -> bool:
        """A dry run or ``--check`` tells the sinks nothing."""
        return not (self.dry_run or self.check)

    def to_dict(self) -> dict[str, Any]:
        return {
            "triggered": self.triggered,
            "forced": self.forced,
            "dry_run": self.dry_run or self.check,
            "triggers": [t.to_dict() for t in self.triggers],
            "version": self.version,
            "already_trained": self.already,
            "training": None if self.training is None else self.training.to_dict(),
            "holdout_metrics": (
                None if self.holdout_metrics is None else self.holdout_metrics.to_dict()
            ),
        }


# -- triggers ---------------------------------------------------------------------------------


# -- training ---------------------------------------------------------------------------------


def labelled_dataset(
    config: Config,
    frame: pl.DataFrame,
    base: pl.DataFrame | None,
    since: dt.datetime,
    until: dt.datetime,
) -> lm.Dataset:
    """The training rows: ``base`` (``retrain.base_data``, if any) then the labelled rows of
    ``frame`` (the window's timestamp, feature and label columns), oldest first. Timestamps
    are kept only without ``base`` (whose rows have none)."""
    s = config.schema_
    features = [*s.features.numerical, *s.features.categorical]
    frame = frame.filter(pl.col(s.label).is_not_null()).sort(s.timestamp, maintain_order=True)
    parts = [frame.select(*features, s.label)]
    if base is not None:
        parts.insert(0, base)
    labelled = pl.concat(parts, how="vertical_relaxed")
    if labelled.height < 2:
        raise DataError(
            f"only {labelled.height:,} labelled row(s) between {iso_utc(since)} and "
            f"{iso_utc(until)}",
            hint="widen retrain.window, ingest labels, or add retrain.base_data",
        )
    return lm.Dataset(
        labelled.select(features),
        lm.target(config, labelled[s.label]),
        None if base is not None else frame[s.timestamp],
    )


def already_trained(
    versions: Iterable[tuple[str, Mapping[str, Any]]], digest: str, config_digest: str | None
) -> str | None:
    """The first of ``versions`` (name, metadata) trained on rows with ``digest`` under a
    config with ``config_digest``: retraining would make the same model."""
    for version, meta in versions:
        training = meta.get("training")
        if (
            isinstance(training, dict)
            and training.get("digest") == digest
            and meta.get("config_digest") == config_digest
        ):
            return version
    return None


@dataclass(frozen=True)
class Trained:
    """A fitted candidate, the rows it was trained on, and both models' holdout metrics."""

    model: Any
    train: lm.Dataset
    training: TrainingWindow
    holdout_metrics: HoldoutMetrics


def train(
    config: Config,
    data: lm.Dataset,
    production_model: Any | None,
    since: dt.datetime,
    until: dt.datetime,
    digest: str,
) -> Trained:
    """Fit a candidate on all but the latest ``retrain.holdout`` share of ``data`` (the rows
    of ``[since, until)``, whose :meth:`~mlmon.lifecycle.model.Dataset.digest` is ``digest``)
    and evaluate it, and ``production_model`` if any, on that share."""
    train_rows, holdout = data.split(config.retrain.holdout)
    fitted = lm.fit(config, train_rows)
    confidence = config.metrics.confidence
    candidate = lm.evaluate(config, fitted, holdout, confidence)
    production = (
        None
        if production_model is None
        else lm.evaluate(config, production_model, holdout, confidence)
    )
    base = config.retrain.base_data
    training = TrainingWindow(
        since=_iso(since),
        until=_iso(until),
        rows=data.rows,
        train_rows=train_rows.rows,
        holdout_rows=holdout.rows,
        holdout_since=_first(holdout.timestamps),
        digest=digest,
        base_data=str(base) if base else None,
    )
    return Trained(fitted, train_rows, training, HoldoutMetrics(candidate, production))


def version_metadata(
    config: Config,
    trained: Trained,
    *,
    parent: str | None,
    triggers: Iterable[Trigger],
    forced: str | None,
    config_digest: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The candidate's ``metadata.json``: its lineage (DESIGN.md §6)."""
    holdout = trained.holdout_metrics.to_dict()
    return {
        "created_at": _iso(now),
        "task": config.model.task,
        "classes": list(config.model.classes) if config.model.classes else None,
        "features": {
            "numerical": list(config.schema_.features.numerical),
            "categorical": list(config.schema_.features.categorical),
        },
        "estimator": {
            "class": config.retrain.estimator.class_ or lm.DEFAULTS[config.model.task],
            "params": config.retrain.estimator.params,
            "function": config.retrain.estimator.function,
            "seed": config.retrain.seed,
        },
        "training": trained.training.to_dict(),
        "holdout_metrics": holdout["candidate"],
        "production_holdout_metrics": holdout["production"],
        "parent_version": parent,
        "trigger": {"fired": [t.to_dict() for t in triggers if t.fired], "forced": forced},
        "config_digest": config_digest,
        "versions": _library_versions(),
    }


def training_profile(config: Config, train: lm.Dataset) -> Profile:
    """The drift reference profile of the training rows (``reference_profile.json``)."""
    from mlmon.datadrift.profile import profile

    f = config.schema_.features
    d = config.drift
    return profile(
        train.features.lazy(),
        list(f.numerical),
        list(f.categorical),
        bins=d.bins,
        sample_rows=d.sample_rows,
        max_categories=d.max_categories,
    )


def training_contract(config: Config, trained: Trained) -> Contract:
    """The data contract of the rows the candidate was trained on (``contract.yaml``), with
    ``check``'s tolerances and window.

    Its features only: the outputs logged in the training window are the model of that time's,
    not this version's, so a contract of them would say nothing about it (and ``promote``
    checks features only, :mod:`mlmon.lifecycle.skew`). Rows from ``retrain.base_data`` have
    no timestamps: the distinct-value floor is then learned from all rows as one window."""
    from mlmon.config.contract import column_kinds
    from mlmon.health.infer import infer_contract

    f = config.schema_.features
    features = {*f.numerical, *f.categorical}
    kinds = {n: k for n, k in column_kinds(config).items() if n in features}
    train = trained.train
    stamps = (
        pl.lit(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
        if train.timestamps is None
        else pl.lit(train.timestamps)
    )
    c = config.check
    w = trained.training
    base = f" and retrain.base_data {w.base_data}" if w.base_data else ""
    return infer_contract(
        train.features.lazy().with_columns(stamps.alias(_STAMP)),
        kinds,
        timestamp=_STAMP,
        every=c.window,
        tolerance=c.tolerance,
        class_tolerance=c.class_tolerance,
        prediction=None,
        sentinels=c.sentinels,
        model=config.model.name,
        source=f"the {train.rows:,} training rows of {w.since} .. {w.until}{base}",
    )


def _iso(t: dt.datetime) -> str:
    text = iso_utc(t)
    assert text is not None  # only None is written as None
    return text


def _first(timestamps: pl.Series | None) -> str | None:
    """The earliest timestamp, ISO-formatted (None without timestamps)."""
    if timestamps is None:
        return None
    first = timestamps.min()
    assert isinstance(first, dt.datetime)
    return _iso(first)


def _plain(metrics: Mapping[str, Estimate]) -> dict[str, Any]:
    return {k: v.to_dict() for k, v in metrics.items()}


def _library_versions() -> dict[str, str]:
    import numpy
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "mlmon": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "polars": pl.__version__,
        "skops": skops.__version__,
        "platform": sys.platform,
    }
