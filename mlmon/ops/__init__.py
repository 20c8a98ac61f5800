"""The operations: one module per command, each with ``run(config, **arguments)``.

An operation owns the whole behaviour of its command — resolving the time window
(``latest`` included), the references, baselines, caches and state under the store, the
registry moves — and returns a frozen result (:class:`mlmon.outcome.Outcome`) whose
``to_dict()`` is the command's JSON ``result``. The command line parses, calls one operation,
renders and exits; the Python API (``mlmon.metrics(...)``, ...) is these functions.

Modules are imported by name (``from mlmon.ops import metrics``); nothing is imported here,
so that ``mlmon ingest`` does not pay for scikit-learn.
"""
