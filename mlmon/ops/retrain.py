"""``mlmon retrain``: evaluate the triggers; when one fires, train on the recent labelled logs
and register a candidate (see :mod:`mlmon.lifecycle.retrain` for the rules).

This module reads the store, the registry and ``retrain.base_data``, and writes the new
version; the decisions and the training are :mod:`mlmon.lifecycle.retrain`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.config.contract import dump_contract
from mlmon.errors import DataError, MlmonError
from mlmon.lifecycle import model as lm
from mlmon.lifecycle import retrain as lr
from mlmon.lifecycle import triggers
from mlmon.lifecycle.retrain import RetrainResult
from mlmon.lifecycle.triggers import Trigger
from mlmon.ops.window import When, resolve
from mlmon.registry import Registry, open_registry
from mlmon.registry.artifact import load_model, save_model


def run(
    config: Config,
    *,
    until: When = None,
    dry_run: bool = False,
    check: bool = False,
    force: str | None = None,
) -> RetrainResult:
    """Evaluate the triggers on the windows ending at ``until`` (None: now; ``"latest"``:
    the end of the day of the store's newest row); unless ``dry_run`` or ``check``, retrain
    when one fires (or when ``force`` gives a reason) and register the candidate.

    The status is ``finding`` when ``check`` finds retraining due. A run on the same rows
    with the same config as an existing version registers nothing (``already``)."""
    _, end = resolve(config, None, until)
    registry = open_registry(config)
    triggers = tuple(evaluate_triggers(config, registry, end))
    result = RetrainResult(triggers, force, dry_run, check)
    if dry_run or check or not result.triggered:
        return result
    since = end - dt.timedelta(seconds=config.retrain.window)
    data = training_data(config, since, end)
    digest, config_digest = data.digest(), _config_digest(config)
    if force is None:
        existing = (
            (version, registry.metadata(version)) for version in reversed(registry.versions())
        )
        already = lr.already_trained(existing, digest, config_digest)
        if already is not None:  # a repeated run: the model would be the same
            return RetrainResult(triggers, force, dry_run, check, already=already)
    production = registry.aliases().get("production")
    previous = (
        None
        if production is None
        else load_model(registry.artifact_path(production), config.retrain.trusted_types)
    )
    trained = lr.train(config, data, previous, since, end, digest)
    metadata = lr.version_metadata(
        config,
        trained,
        parent=production,
        triggers=triggers,
        forced=force,
        config_digest=config_digest,
        now=dt.datetime.now(dt.UTC),
    )
    contract = lr.training_contract(config, trained)
    contract_text = dump_contract(
        contract,
        f"mlmon data contract of the training rows of a {config.model.name} version (its "
        "features).\nmlmon promote checks the serving data against it; written by mlmon "
        "retrain, checked by its SHA-256 in metadata.json: do not edit.",
    ).encode()
    metadata["contract"] = {
        "file": lr.CONTRACT,
        "sha256": hashlib.sha256(contract_text).hexdigest(),
        "columns": len(contract.columns),
    }
    with tempfile.TemporaryDirectory() as tmp:
        artifact = Path(tmp) / lr.ARTIFACT
        save_model(trained.model, artifact)
        profile_path = Path(tmp) / lr.PROFILE
        profile_path.write_text(json.dumps(lr.training_profile(config, trained.train).to_dict()))
        contract_path = Path(tmp) / lr.CONTRACT
        contract_path.write_bytes(contract_text)
        version = registry.register(
            artifact,
            metadata,
            extra_files={lr.PROFILE: profile_path, lr.CONTRACT: contract_path},
            alias="candidate",
            reason=force or "; ".join(t.reason for t in triggers if t.fired),
        )
    return RetrainResult(
        triggers,
        force,
        dry_run,
        check,
        version=version,
        training=trained.training,
        holdout_metrics=trained.holdout_metrics,
    )


def evaluate_triggers(config: Config, registry: Registry, until: dt.datetime) -> list[Trigger]:
    """Every configured trigger, fired or not, with its reason."""
    configured = config.retrain.triggers
    out = []
    if configured.schedule is not None:
        production = registry.aliases().get("production")
        created = None if production is None else registry.metadata(production).get("created_at")
        out.append(
            triggers.schedule_trigger(
                registry.model,
                production,
                created,
                configured.schedule.max_age,
                dt.datetime.now(dt.UTC),
            )
        )
    if configured.performance is not None:
        out.append(_performance(config, until))
    if configured.drift is not None:
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
    base = _base_data(config) if config.retrain.base_data is not None and with_base else None
    return lr.labelled_dataset(config, frame, base, since, until)


def _base_data(config: Config) -> pl.DataFrame:
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


def _performance(config: Config, until: dt.datetime) -> Trigger:
    from mlmon.performance.windows import compute_metrics

    p = config.retrain.triggers.performance
    assert p is not None
    since = until - dt.timedelta(seconds=p.window)
    try:
        window = compute_metrics(config, since, until, window="all").windows[0]
    except DataError as exc:
        return triggers.performance_trigger(p, since, exc.message)
    return triggers.performance_trigger(p, since, window)


def _drift(config: Config, until: dt.datetime) -> Trigger:
    from mlmon.ops.drift import compute_drift

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
        return triggers.drift_trigger(d, exc.message)
    return triggers.drift_trigger(d, result)


def _config_digest(config: Config) -> str | None:
    if config.source is None or not config.source.is_file():
        return None
    return hashlib.sha256(config.source.read_bytes()).hexdigest()
