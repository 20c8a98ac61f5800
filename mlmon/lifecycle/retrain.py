"""``mlmon retrain``: decide from triggers, train on recent labelled logs, register a candidate.

Triggers (``retrain.triggers``), each reported with whether it fired and why:

- ``schedule``: the production version is older than ``max_age`` (or there is none);
- ``performance``: a metric of the latest ``window`` of labelled logs is below ``min`` (above
  ``max``), computed as ``mlmon metrics`` does, and only with ``metrics.min_labelled`` labels;
- ``drift``: ``mlmon drift`` of the latest ``drift.window`` finds the dataset drifted, or one of
  ``features``.

Training uses the labelled logs of ``[until - retrain.window, until)`` (plus
``retrain.base_data``), oldest first; the latest ``retrain.holdout`` share is held out. The new
model and the production model are both evaluated on those holdout rows. The version is
registered with the ``candidate`` alias, its lineage, and the drift profile of its training
data (``reference_profile.json``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from mlmon._version import __version__
from mlmon.config import Config
from mlmon.errors import DataError, MlmonError, RegistryError
from mlmon.lifecycle import model as lm
from mlmon.performance.estimate import Estimate
from mlmon.registry import Registry, open_registry
from mlmon.registry.artifact import load_model, save_model
from mlmon.timewindow import iso_utc, parse_iso_utc

ARTIFACT = "model.skops"
PROFILE = "reference_profile.json"


@dataclass
class Trigger:
    name: str
    fired: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.name, "fired": self.fired, "reason": self.reason, **self.details}


@dataclass
class RetrainResult:
    """The result of ``mlmon retrain``; :meth:`to_dict` is the JSON contract."""

    triggers: list[Trigger]
    forced: str | None
    dry_run: bool
    check: bool
    version: str | None = None
    training: dict[str, Any] | None = None
    holdout_metrics: dict[str, dict[str, Any] | None] | None = None
    """``candidate`` and ``production`` metrics on the holdout; None when nothing was trained."""
    already: str | None = None
    """A version already trained on the same rows with the same config (nothing new done)."""

    @property
    def triggered(self) -> bool:
        return self.forced is not None or any(t.fired for t in self.triggers)

    @property
    def status(self) -> str:
        return "finding" if self.check and self.triggered else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "triggered": self.triggered,
            "forced": self.forced,
            "dry_run": self.dry_run or self.check,
            "triggers": [t.to_dict() for t in self.triggers],
            "version": self.version,
            "already_trained": self.already,
            "training": self.training,
            "holdout_metrics": self.holdout_metrics,
        }


def retrain(
    config: Config,
    until: dt.datetime,
    *,
    dry_run: bool = False,
    check: bool = False,
    force: str | None = None,
) -> RetrainResult:
    """Evaluate the triggers; unless ``dry_run``/``check``, retrain when one fires (or when
    ``force`` gives a reason) and register the candidate."""
    registry = open_registry(config)
    result = RetrainResult(evaluate_triggers(config, registry, until), force, dry_run, check)
    if dry_run or check or not result.triggered:
        return result
    since = until - dt.timedelta(seconds=config.retrain.window)
    data = training_data(config, since, until)
    digest, config_digest = data.digest(), _config_digest(config)
    if force is None:
        for existing in reversed(registry.versions()):
            meta = registry.metadata(existing)
            training = meta.get("training")
            if (
                isinstance(training, dict)
                and training.get("digest") == digest
                and meta.get("config_digest") == config_digest
            ):
                result.already = existing  # a repeated run: the model would be the same
                return result
    train, holdout = data.split(config.retrain.holdout)
    fitted = lm.fit(config, train)
    confidence = config.metrics.confidence
    candidate_metrics = lm.evaluate(config, fitted, holdout, confidence)
    production = registry.aliases().get("production")
    production_metrics = None
    if production is not None:
        previous = load_model(registry.artifact_path(production), config.retrain.trusted_types)
        production_metrics = lm.evaluate(config, previous, holdout, confidence)
    result.holdout_metrics = {
        "candidate": _plain(candidate_metrics),
        "production": None if production_metrics is None else _plain(production_metrics),
    }
    result.training = {
        "since": iso_utc(since),
        "until": iso_utc(until),
        "rows": data.rows,
        "train_rows": train.rows,
        "holdout_rows": holdout.rows,
        "holdout_since": _first(holdout.timestamps),
        "digest": digest,
        "base_data": str(config.retrain.base_data) if config.retrain.base_data else None,
    }
    fired = [t.to_dict() for t in result.triggers if t.fired]
    metadata = {
        "created_at": iso_utc(dt.datetime.now(dt.UTC)),
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
        "training": result.training,
        "holdout_metrics": result.holdout_metrics["candidate"],
        "production_holdout_metrics": result.holdout_metrics["production"],
        "parent_version": production,
        "trigger": {"fired": fired, "forced": force},
        "config_digest": config_digest,
        "versions": _library_versions(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / ARTIFACT
        save_model(fitted, artifact)
        profile_path = Path(tmp) / PROFILE
        profile_path.write_text(json.dumps(_training_profile(config, train).to_dict()))
        result.version = registry.register(
            artifact,
            metadata,
            extra_files={PROFILE: profile_path},
            alias="candidate",
            reason=force or "; ".join(t.reason for t in result.triggers if t.fired),
        )
    return result


def evaluate_triggers(config: Config, registry: Registry, until: dt.datetime) -> list[Trigger]:
    """Every configured trigger, fired or not, with its reason."""
    triggers = config.retrain.triggers
    out = []
    if triggers.schedule is not None:
        out.append(_schedule(registry, triggers.schedule.max_age))
    if triggers.performance is not None:
        out.append(_performance(config, until))
    if triggers.drift is not None:
        out.append(_drift(config, until))
    return out


def training_data(
    config: Config, since: dt.datetime, until: dt.datetime, with_base: bool = True
) -> lm.Dataset:
    """Labelled rows of the window (plus ``retrain.base_data`` unless ``with_base`` is
    false), oldest first."""
    from mlmon.store.scan import read_window

    s = config.schema_
    features = [*s.features.numerical, *s.features.categorical]
    frame = read_window(config, since, until, select=[s.timestamp, *features])
    frame = frame.filter(pl.col(s.label).is_not_null()).sort(s.timestamp, maintain_order=True)
    parts = [frame.select(*features, s.label)]
    base = config.retrain.base_data is not None and with_base
    if base:
        parts.insert(0, _base_data(config, features))
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
        None if base else frame[s.timestamp],
    )


def _base_data(config: Config, features: list[str]) -> pl.DataFrame:
    path = config.retrain.base_data
    assert path is not None
    try:
        frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
        return frame.select(
            *(pl.col(c).cast(pl.Float64) for c in config.schema_.features.numerical),
            *(pl.col(c).cast(pl.String) for c in config.schema_.features.categorical),
            pl.col(config.schema_.label),
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(
            f"retrain.base_data {path}: cannot read the features and label ({exc})",
            hint="give a Parquet or CSV file with the feature and label columns",
        ) from exc


def _schedule(registry: Registry, max_age: float) -> Trigger:
    production = registry.aliases().get("production")
    if production is None:
        return Trigger("schedule", True, "no production version yet")
    stamp = registry.metadata(production).get("created_at")
    try:
        created = parse_iso_utc(stamp)
    except ValueError:
        raise RegistryError(
            f"version {production} of {registry.model!r}: metadata.json has no valid "
            "created_at, so the schedule trigger cannot tell its age",
            hint="the version is damaged; promote another one",
        ) from None
    # a model's age is wall-clock time, whatever window of old logs --until names
    age = (dt.datetime.now(dt.UTC) - created).total_seconds()
    days = age / 86400
    if age > max_age:
        return Trigger(
            "schedule",
            True,
            f"production version {production} is {days:.1f} days old (max {max_age / 86400:g})",
            {"age_days": days},
        )
    return Trigger(
        "schedule",
        False,
        f"production version {production} is {days:.1f} days old",
        {"age_days": days},
    )


def _performance(config: Config, until: dt.datetime) -> Trigger:
    from mlmon.performance.windows import compute_metrics

    p = config.retrain.triggers.performance
    assert p is not None
    since = until - dt.timedelta(seconds=p.window)
    try:
        window = compute_metrics(config, since, until, window="all").windows[0]
    except DataError as exc:
        return Trigger("performance", False, f"not evaluated: {exc.message}")
    value = window.metrics.get(p.metric)
    if window.status == "insufficient_data" or value is None or value.value is None:
        return Trigger(
            "performance",
            False,
            f"not evaluated: {window.labelled:,} labelled rows since {iso_utc(since)}",
        )
    low = p.min is not None and value.value < p.min
    high = p.max is not None and value.value > p.max
    bound = f"< {p.min}" if low else f"> {p.max}" if high else "within bounds"
    return Trigger(
        "performance",
        low or high,
        f"{p.metric} = {value.value:.4f} {bound} over {window.labelled:,} labelled rows",
        {"metric": p.metric, "value": value.value},
    )


def _drift(config: Config, until: dt.datetime) -> Trigger:
    from mlmon.datadrift.run import compute_drift

    d = config.retrain.triggers.drift
    assert d is not None
    try:
        # the trigger reads the dataset verdict and named columns, not the multivariate check
        # (skip its classifier rather than train it for nothing) nor concept drift (whose
        # detectors' stream belongs to `mlmon drift`)
        off = config.drift.multivariate.model_copy(update={"enabled": False})
        no_concept = config.drift.concept.model_copy(update={"enabled": False})
        univariate = config.model_copy(
            update={
                "drift": config.drift.model_copy(
                    update={"multivariate": off, "concept": no_concept}
                )
            }
        )
        result = compute_drift(univariate, until=until)
    except MlmonError as exc:
        return Trigger("drift", False, f"not evaluated: {exc.message}")
    dataset = result.dataset
    named = [c.column for c in result.columns if c.column in d.features and c.status == "drifted"]
    fired = (d.dataset and dataset["drifted"]) or bool(named)
    reason = (
        f"{dataset['n_drifted']} of {dataset['n_columns']} columns drifted"
        + (f" [{', '.join(dataset['drifted_columns'])}]" if dataset["drifted_columns"] else "")
        + (f"; watched features drifted: {', '.join(named)}" if named else "")
    )
    return Trigger("drift", fired, reason, {"drifted_columns": dataset["drifted_columns"]})


def _training_profile(config: Config, train: lm.Dataset) -> Any:
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


def _first(timestamps: pl.Series | None) -> str | None:
    """The earliest timestamp, ISO-formatted (None without timestamps)."""
    if timestamps is None:
        return None
    first = timestamps.min()
    assert isinstance(first, dt.datetime)
    return iso_utc(first)


def _plain(metrics: dict[str, Estimate]) -> dict[str, Any]:
    return {k: v.to_dict() for k, v in metrics.items()}


def _config_digest(config: Config) -> str | None:
    if config.source is None or not config.source.is_file():
        return None
    return hashlib.sha256(config.source.read_bytes()).hexdigest()


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
