"""The ``check`` section: what ``mlmon check`` watches and how loudly.

Defaults live here. A share bound comes from the data contract (``check.contract``, or one
learned from ``check.reference``); the section sets what the contract does not: the windows,
the sample sizes, the multiple-testing rule and the freshness, volume and ingest bounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from mlmon.config.base import ColumnName, Duration, Section, TimeRange


class FreshnessSection(Section):
    """``check.freshness``: how old the newest row may be."""

    max_age: Duration = 7200.0
    """The newest prediction older than this (at the end of the checked range): stale."""
    max_label_age: Duration | None = None
    """The newest label older than this: stale labels (None: not checked)."""


class VolumeSection(Section):
    """``check.volume``: rows per window against the same window of earlier weeks."""

    enabled: bool = True
    direction: Literal["drop", "spike", "both"] = "drop"
    seasons: int = Field(default=4, ge=1, le=52)
    """How many earlier weeks make a window's history."""
    min_history: int = Field(default=3, ge=1)
    """Fewer earlier weeks in the store: no verdict on the window (insufficient_data)."""
    confidence: float = Field(default=0.99, gt=0, lt=1)
    min_change: float = Field(default=0.2, ge=0)
    """The practical size: the relative change from the expected count that matters."""
    floor: int = Field(default=0, ge=0)
    """A complete window under this many rows is a drop whatever its history."""


class IngestHealthSection(Section):
    """``check.ingest``: the share of rows ingest rejected or skipped as duplicates."""

    max_quarantine_share: float = Field(default=0.01, ge=0, lt=1)
    max_duplicate_share: float = Field(default=0.05, ge=0, lt=1)


class CheckSection(Section):
    """``check``: the health checks of ``mlmon check``."""

    window: Literal["1h", "1d"] = "1h"
    since: Duration = 86400.0
    """The default range: this long back from ``--until``."""
    contract: Path | None = None
    """A data contract (``mlmon contract infer``); without one, learned from ``reference``."""
    reference: TimeRange | None = None
    """The window a contract is learned from when there is no file (default: drift.reference)."""
    min_rows: int = Field(default=50, ge=1)
    """Fewer rows (non-null values) in a window: that check has no verdict there."""
    alpha: float = Field(default=0.01, gt=0, lt=1)
    correction: Literal["bh", "bonferroni", "none"] = "bh"
    tolerance: float = Field(default=0.02, gt=0, le=1)
    """The practical size of a share: a learned contract allows the reference's share plus
    this, and a class share may move this far either way."""
    class_tolerance: float = Field(default=0.1, gt=0, le=1)
    """How far each class's share of the predictions may move from the reference (the
    positive rate of a binary model, the class mix of a multiclass one)."""
    sentinels: dict[ColumnName, tuple[float | str, ...]] = Field(default_factory=dict)
    """Values that stand for "missing" in a column (-1, 999, "unknown"): a hidden null."""
    freshness: FreshnessSection = FreshnessSection()
    volume: VolumeSection = VolumeSection()
    ingest: IngestHealthSection = IngestHealthSection()
