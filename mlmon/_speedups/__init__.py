"""Speed code in one place, each fast path beside a pure reference that gives the same results.

=====================================  ==========================================  ===========
fast path                              pure reference                              chosen
=====================================  ==========================================  ===========
``_accumulate.c``: the drift profile's ``accumulate.reference`` (numpy)            at import,
per-value loop (C extension, optional                                              if built
at install)
``adwin_kernel``: ADWIN's update loop  ``mlmon.concept.detectors.adwin.ADWIN``     per stream,
compiled with numba                    (its ``update``, pure Python)               if numba
                                                                                   imports
=====================================  ==========================================  ===========

``jit`` is the numba helper of the compiled loops. Each pair gives the same results to the
last bit (``tests/unit/test_speedups.py`` compares them on random and edge-case inputs); the
reference runs wherever the fast path cannot be built or imported, and :func:`unavailable`
says which ones, for ``mlmon --debug``. Nothing here changes the host process or imports
numba at import; measured timings are in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

AdwinFeed = Callable[[Any, "np.ndarray"], list[int]]


def adwin_feed() -> AdwinFeed | None:
    """The compiled ADWIN loop (``adwin_kernel.feed``), or None where numba does not import:
    then ``ADWIN.feed`` runs its pure-Python ``update``. Imports numba on first use."""
    try:
        from mlmon._speedups import adwin_kernel
    except ImportError:
        return None
    return adwin_kernel.feed


def unavailable() -> list[str]:
    """The fast paths this installation lacks, each as a sentence naming the reference that
    runs instead (empty when every fast path is there). Does not import numba."""
    from mlmon._speedups import accumulate

    notes = []
    if not accumulate.COMPILED:
        notes.append(
            "the compiled drift accumulator (mlmon._speedups._accumulate) was not built at "
            "install (no C compiler?): using its pure numpy reference"
        )
    if importlib.util.find_spec("numba") is None:
        notes.append("numba is not installed: ADWIN runs its pure-Python reference loop")
    return notes
