"""The Parquet log store: ingest (validated, deduplicated, atomic) and lazy windowed reads."""

from mlmon.store.ingest import ingest
from mlmon.store.layout import StoreLayout
from mlmon.store.report import FileReport, IngestResult

__all__ = ["FileReport", "IngestResult", "StoreLayout", "ingest"]
