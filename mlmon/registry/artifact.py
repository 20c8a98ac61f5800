"""Model artifacts: written with skops, loaded trusting an explicit set of types only.

skops stores an estimator as a zip of its parameters and arrays and, on load, refuses any type
the caller has not named as trusted, unlike pickle, which runs whatever the file says. What
is trusted matters: skops *calls* some of the names a file gives (``ConstructorFromReduceNode``
calls ``<module>.<name>(*args)``), so trusting a function, or every name under ``numpy.`` or
``sklearn.``, lets a crafted file call ``numpy.testing._private.utils.runstring`` — an
``exec``. mlmon therefore trusts, beyond skops' own defaults (builtins' containers, numpy
dtypes, ufuncs and array types, scikit-learn's public estimators and its loss and link
objects):

- **scikit-learn estimator classes**: a name that is a class defined in ``sklearn.*`` under
  exactly that name and a subclass of ``sklearn.base.BaseEstimator`` (private ones included,
  such as a pipeline's internals). Calling such a class only stores its parameters;
- :data:`MODEL_TYPES`: the few non-estimator names real scikit-learn models need — the tree
  structures of forests and gradient boosting, ``functools.partial`` (whose function is itself
  checked), and ``sklearn.utils.validation.check_array``, the one function histogram gradient
  boosting keeps (inside a ``FunctionTransformer``); it only validates an array;
- ``retrain.trusted_types``: names the user lists, each exactly.

Anything else is refused with exit 5, naming the types, before skops constructs anything.
Only names under ``sklearn.`` are imported to be checked; no other module a file names is
imported. The registry checks the file's SHA-256 before this module ever opens it.

What this does not prevent: skops warns that the node arrays of trees
(``sklearn.tree._tree.Tree``, ``TreePredictor``) are indexed without bounds checks, so a
crafted file could crash ``predict`` (a segmentation fault); it cannot run code through them.
Keep the registry writable only by those who may deploy models.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlmon.errors import RegistryError

MODEL_TYPES = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "functools.partial",
        "sklearn.utils.validation.check_array",
    }
)
"""Names real models need that skops does not trust by default (see the module docstring)."""

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def save_model(model: Any, path: Path) -> None:
    """Write ``model`` to ``path`` with skops (exit 5 naming the file when it cannot)."""
    import skops.io as sio

    try:
        sio.dump(model, path)
    except OSError as exc:
        raise RegistryError(
            f"cannot write the model artifact {path} ({exc.strerror or exc})",
            hint="check the free space and file-size limits (ulimit -f) of its directory",
        ) from exc


def load_model(path: Path, extra_trusted: Sequence[str] = ()) -> Any:
    """The model in ``path``, refusing types outside the trust policy (exit 5)."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several types for a damaged zip
        raise RegistryError(
            f"{path}: not a readable skops artifact ({exc})", hint="register the model again"
        ) from exc
    refused = [t for t in untrusted if not trusted(t, extra_trusted)]
    if refused:
        raise RegistryError(
            f"{path} contains types mlmon does not trust: {', '.join(refused)}",
            hint="mlmon trusts scikit-learn's estimator classes only, never functions; if the "
            "types are yours and safe, list them in retrain.trusted_types",
        )
    return sio.load(path, trusted=untrusted)


def trusted(name: str, extra: Sequence[str] = ()) -> bool:
    """Whether an artifact may contain the type ``name`` (beyond skops' defaults).

    >>> trusted("sklearn.ensemble._hist_gradient_boosting.binning._BinMapper")
    True
    >>> trusted("numpy.testing._private.utils.runstring"), trusted("sklearn.utils.Bunch")
    (False, False)
    """
    return name in MODEL_TYPES or name in extra or _sklearn_estimator_class(name)


def _sklearn_estimator_class(name: str) -> bool:
    """``name`` is a class defined in scikit-learn under exactly that name, and an estimator."""
    if not name.startswith("sklearn.") or not _DOTTED.match(name):
        return False  # checked before any import: no other module is imported for a file
    module, _, attr = name.rpartition(".")
    if any(part.startswith(("test", "conftest")) for part in module.split(".")):
        return False  # scikit-learn's own test suites are not imported for a file either
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return False
    from sklearn.base import BaseEstimator

    return (
        isinstance(obj, type)
        and f"{obj.__module__}.{obj.__qualname__}" == name
        and issubclass(obj, BaseEstimator)
    )
