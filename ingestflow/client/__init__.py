"""Python client of the ingestflow HTTP API, blocking and asyncio, from one implementation.

    from ingestflow.client import IngestflowClient, AsyncIngestflowClient, NotFoundError

Endpoints are written once as sans-IO operations (``_core``, ``_endpoints``, ``_query``); the two
clients differ only in how they send a request and sleep.
"""

from ingestflow.client._endpoints import SOURCE_TYPES
from ingestflow.client.async_ import AsyncIngestflowClient
from ingestflow.client.errors import (
    AuthenticationError, BadRequestError, ConflictError, IngestflowAPIError, IngestflowConnectionError,
    IngestflowError, IngestflowTimeoutError, NotFoundError, PayloadTooLargeError, PermissionDeniedError, ServerError,
)
from ingestflow.client.models import (
    Connector, Document, LoadRun, Page, PaginatedList, RetryResult, SearchHit, SearchResult, Segment, SourceFile,
    Task, TaskFile, TaskFiles, UploadResult, Validation, Volume,
)
from ingestflow.client.sync import IngestflowClient

__all__ = [
    "SOURCE_TYPES", "AsyncIngestflowClient", "AuthenticationError", "BadRequestError", "ConflictError", "Connector",
    "Document", "IngestflowAPIError", "IngestflowClient", "IngestflowConnectionError", "IngestflowError",
    "IngestflowTimeoutError", "LoadRun", "NotFoundError", "Page", "PaginatedList", "PayloadTooLargeError", "PermissionDeniedError",
    "RetryResult", "SearchHit", "SearchResult", "Segment", "ServerError", "SourceFile", "Task", "TaskFile",
    "TaskFiles", "UploadResult", "Validation", "Volume",
]
