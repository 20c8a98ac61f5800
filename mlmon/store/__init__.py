"""The Parquet log store: ingest (validated, deduplicated, atomic) and lazy windowed reads."""

from mlmon.store.ingest import FileReport, IngestResult, ingest
from mlmon.store.layout import StoreLayout

__all__ = ["FileReport", "IngestResult", "StoreLayout", "ingest"]
