"""``mlmon metrics``: realized (and estimated) quality and operational health per window."""

from __future__ import annotations

from mlmon.config import Config
from mlmon.errors import UsageError
from mlmon.ops.arguments import check_choice
from mlmon.ops.window import When, resolve
from mlmon.performance.windows import MetricsResult, compute_metrics
from mlmon.store.cache import store_cache
from mlmon.timewindow import WINDOW_STEPS

WINDOWS = (*WINDOW_STEPS, "all")
FAIL_ON = ("latest", "any")


def run(
    config: Config,
    *,
    since: When = None,
    until: When = None,
    window: str | None = None,
    by: str | None = None,
    confidence: float | None = None,
    fail_on: str = "latest",
) -> MetricsResult:
    """Metrics per ``window`` (default ``metrics.window``) of ``[since, until)``, judged
    against ``metrics.thresholds`` and the ``metrics.baseline`` they may be relative to.

    ``since`` None is the start of the store; ``until`` None is now, ``"latest"`` the end of
    the day of the newest row. ``by="model_version"`` splits each window by serving version.
    ``fail_on``: ``latest`` — the newest window decides the status; ``any`` — every window.
    CBPE's calibration is cached in the store (``_cache/calibrations``)."""
    check_choice(window, WINDOWS, "--window")
    check_choice(fail_on, FAIL_ON, "--fail-on")
    if confidence is not None and not 0 < confidence < 1:
        raise UsageError(
            f"--confidence: {confidence} is not between 0 and 1", hint="pass e.g. 0.95"
        )
    start, end = resolve(config, since, until)
    b = config.metrics.baseline
    return compute_metrics(
        config,
        start,
        end,
        window=window,
        by=by,
        confidence=confidence,
        fail_on=fail_on,
        baseline_window=(b.since, b.until) if b is not None else None,
        cache=store_cache(config.store.path, "calibrations"),
    )
