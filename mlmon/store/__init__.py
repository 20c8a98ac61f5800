"""The Parquet log store: ingest (validated, deduplicated, atomic) and lazy windowed reads.

Nothing is imported here: a module that needs only the layout (:mod:`mlmon.store.layout`)
does not pay for ingest's polars and numpy. Import from the modules themselves.
"""
