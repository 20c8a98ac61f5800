"""Data health: the cheap checks of ``mlmon check`` (issue 16) that catch silent failures.
Pure: counts and shares in, verdicts with their evidence out.

This module imports nothing, so that the alerts can name check's findings without loading
polars (a rollback's alerts stay light)."""

FINDINGS = (
    "no_data",
    "stale_data",
    "volume_anomaly",
    "feature_anomaly",
    "contract_violation",
    "prediction_anomaly",
)
"""The findings ``mlmon check`` reports (each goes to the alert rules by this name)."""
