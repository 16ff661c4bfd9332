"""ingestflow: connectors → Prefect flows → parse/OCR/chunk/embed → Milvus, with a thin API."""

__version__ = "0.1.0"
