"""Compiling numeric loops with numba, cached on disk where a directory allows it.

numba caches compiled code beside the module (``__pycache__``) or, when that is not writable,
in its user-wide cache directory. With neither (a read-only install run by a user without a
home directory, say) ``njit(cache=True)`` raises instead of compiling; then the function is
compiled in each process, on its first call (a cost ``bench/RESULTS.md`` measures).

The helper of the numba fast paths (:mod:`mlmon._speedups.adwin_kernel`); it imports numba,
so only code that has chosen the compiled path imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``njit(cache=True, **options)``, or ``njit(**options)`` where numba has no writable
    cache directory."""

    def decorate(function: Callable[..., Any]) -> Any:
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError:  # "no locator available": nowhere to write the cache
            return njit(**options)(function)

    return decorate
