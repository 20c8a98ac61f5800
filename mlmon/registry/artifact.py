"""Model artifacts: written with skops, loaded trusting only scikit-learn's own types.

skops stores an estimator as a zip of its parameters and arrays, and refuses on load any
type the caller has not named as trusted, unlike pickle, which runs whatever the file says.
mlmon trusts the types defined in scikit-learn (and numpy's), plus ``functools.partial``
(which scikit-learn's validators use), plus ``retrain.trusted_types`` from the config; an
artifact needing anything else is refused (exit 5). The registry checks the file's SHA-256
before this module ever opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlmon.errors import RegistryError

TRUSTED_PREFIXES = ("sklearn.", "numpy.")
TRUSTED_EXACT = ("functools.partial",)


def save_model(model: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(model, path)


def load_model(path: Path, extra_trusted: Sequence[str] = ()) -> Any:
    """The model in ``path``, refusing types outside the trust policy (exit 5)."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several types for a damaged zip
        raise RegistryError(
            f"{path}: not a readable skops artifact ({exc})", hint="register the model again"
        ) from exc
    refused = [
        t
        for t in untrusted
        if not t.startswith(TRUSTED_PREFIXES) and t not in TRUSTED_EXACT and t not in extra_trusted
    ]
    if refused:
        raise RegistryError(
            f"{path} contains types mlmon does not trust: {', '.join(refused)}",
            hint="if they are yours and safe, list them in retrain.trusted_types",
        )
    return sio.load(path, trusted=untrusted)
