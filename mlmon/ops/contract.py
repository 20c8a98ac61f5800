"""``mlmon contract infer``: a reviewable data contract learned from a reference, and the
contract ``mlmon check`` learns (and caches) when none is configured."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from mlmon.config import Config
from mlmon.config.contract import Contract, column_kinds, dump_contract
from mlmon.errors import DataError, UsageError
from mlmon.fsutil import atomic_write_bytes
from mlmon.health.infer import infer_contract
from mlmon.ops.window import When, resolve
from mlmon.outcome import Report
from mlmon.store.cache import cache_key, store_cache
from mlmon.store.datasets import Source, file_source, store_window
from mlmon.store.scan import reading

CACHE_FORMAT = 1
"""Bump when a learned contract's content changes for the same inputs (old entries then
miss and are learned again)."""


@dataclass(frozen=True)
class ContractResult(Report):
    """The contract written by ``mlmon contract infer``."""

    command: ClassVar[str] = "contract"
    contract: Contract
    text: str
    """The YAML, as written (or printed)."""
    output: Path | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": None if self.output is None else str(self.output),
            "source": self.contract.source,
            "columns": len(self.contract.columns),
            "contract": self.contract.model_dump(mode="json", exclude_none=True),
        }


def monitored(config: Config) -> dict[str, str]:
    """The columns a contract constrains by default: the features and the model's outputs
    (latency belongs to ``metrics``; metadata such as a client version changes by design)."""
    s = config.schema_
    outputs = {s.prediction, s.score, *(s.probabilities or {}).values()}
    keep = set(s.features.all) | {n for n in outputs if n is not None}
    return {n: k for n, k in column_kinds(config).items() if n in keep}


def contract_of(config: Config, source: Source, every: str) -> Contract:
    """The contract learned from ``source`` (DataError when it lacks a column or rows)."""
    kinds = monitored(config)
    names = set(source.frame.collect_schema().names())
    missing = [n for n in kinds if n not in names]
    if missing:
        raise DataError(
            f"{source.description}: no column {', '.join(map(repr, missing))}",
            hint="a reference needs every feature and output column of schema",
        )
    c = config.check
    ts = config.schema_.timestamp
    frame = source.frame
    if frame.collect_schema()[ts] == pl.String:  # a CSV or JSON Lines reference
        frame = frame.with_columns(pl.col(ts).str.to_datetime(time_zone="UTC"))
    try:
        with reading(source.files):
            return infer_contract(
                frame,
                kinds,
                timestamp=ts,
                every=every,
                tolerance=c.tolerance,
                class_tolerance=c.class_tolerance,
                prediction=config.schema_.prediction,
                sentinels=c.sentinels,
                model=config.model.name,
                source=source.description,
            )
    except ValueError as exc:
        raise DataError(
            f"{source.description}: {exc}", hint="choose a reference window that holds logs"
        ) from None


def learned_contract(
    config: Config, since: dt.datetime, until: dt.datetime, every: str, notes: list[str]
) -> Contract:
    """The contract of the store window ``[since, until)``, from the cache when the window's
    files and the settings that shape it are unchanged."""
    source = store_window(config, since, until)
    c = config.check
    key = cache_key(
        {
            "format": CACHE_FORMAT,
            "source": source.key(),
            "kinds": monitored(config),
            "every": every,
            "settings": [c.tolerance, c.class_tolerance, c.sentinels],
            "prediction": config.schema_.prediction,
        }
    )
    cache = store_cache(config.store.path, "contracts")
    try:
        entry = cache.read(key)
    except (ValueError, OSError) as exc:
        notes.append(f"the cached contract {key} is unusable ({exc}): learning it again")
        entry = None
    if entry is not None:
        return Contract.model_validate(entry)
    contract = contract_of(config, source, every)
    try:
        cache.write(key, contract.model_dump(mode="json"), {})
    except OSError as exc:
        notes.append(f"could not cache the learned contract ({exc})")
    return contract


def infer(
    config: Config,
    *,
    since: When = None,
    until: When = None,
    reference: Path | None = None,
    reference_version: str | None = None,
    output: Path | None = None,
    force: bool = False,
) -> ContractResult:
    """Learn a contract from the store window ``[since, until)``, from the file
    ``reference``, or from the training data of the registered version (or alias)
    ``reference_version``; write it to ``output`` (refused when it exists, unless ``force``).

    A version registered by ``mlmon retrain`` carries the contract of its training rows
    (features only), which is returned as stored (its SHA-256 checked); an older one is
    learned from its training window in the store (every monitored column of every row of
    the window, labelled or not)."""
    named = [
        flag
        for flag, given in (
            ("--reference", reference is not None),
            ("--reference-version", reference_version is not None),
            ("--since/--until", since is not None or until is not None),
        )
        if given
    ]
    if len(named) > 1:
        raise UsageError(
            f"{' and '.join(named)} all name the reference"
            if len(named) > 2
            else f"{named[0]} and {named[1]} both name the reference",
            hint="give a file, a version or a window, not more than one",
        )
    if output is not None and output.exists() and not force:
        raise UsageError(
            f"{output}: exists; a contract is reviewed by people, so it is not overwritten",
            hint="pass --force to replace it, or choose another --output",
        )
    if reference_version is not None:
        contract, described = _of_version(config, reference_version)
    else:
        if reference is not None:
            source = file_source(reference)
        else:
            if since is None:
                raise UsageError(
                    "contract infer needs the reference: --since (and --until), "
                    "--reference FILE or --reference-version VERSION",
                    hint="e.g. mlmon contract infer --since 2026-10-01 --until 2026-10-08",
                )
            start, end = resolve(config, since, until)
            assert start is not None
            source = store_window(config, start, end)
        contract = contract_of(config, source, config.check.window)
        described = source.description
    header = (
        f"mlmon data contract for {config.model.name}, learned from {described}.\n"
        "Review it and keep it in git; `mlmon check` reads it from check.contract.\n"
        "Shares are the largest allowed (the reference's share plus check.tolerance)."
    )
    text = dump_contract(contract, header)
    if output is not None:
        atomic_write_bytes(output, text.encode())
    return ContractResult(contract, text, output)


def _of_version(config: Config, ref: str) -> tuple[Contract, str]:
    """The training contract of the version ``ref`` and where it came from: stored with it,
    or learned from its training window in the store."""
    from mlmon.ops.promote import stored_contract
    from mlmon.registry import open_registry
    from mlmon.timewindow import parse_iso_utc

    registry = open_registry(config)
    version = registry.resolve(ref)
    stored = stored_contract(config, registry, version)
    if stored is not None:
        return stored, f"the training rows of version {version} ({stored.source})"
    training = registry.metadata(version).get("training")
    window = training if isinstance(training, dict) else {}
    try:
        start, end = (parse_iso_utc(str(window[k])) for k in ("since", "until"))
    except (KeyError, ValueError):
        raise DataError(
            f"version {version} of {config.model.name!r} has no training contract and no "
            "training window (since, until) in its metadata",
            hint="infer one from a window: mlmon contract infer --since ... --until ...",
        ) from None
    source = store_window(config, start, end)
    contract = contract_of(config, source, config.check.window)
    return contract, f"the training window of version {version}: {source.description}"
