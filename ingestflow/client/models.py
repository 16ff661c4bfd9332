"""Typed results of the client: one pydantic model per response shape.

Models accept fields they do not know (``extra="allow"``), so a newer server does not break an
older client; every documented field is typed.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


def _config_fields() -> tuple[str, ...]:
    """The body fields that hold a connector's config, one per registered kind ("s3", "oss", …)."""
    from ingestflow.connectors.registry import CONNECTOR_REGISTRY

    return tuple(entry.config_field for entry in CONNECTOR_REGISTRY.values())


CONFIG_FIELDS = _config_fields()
TERMINAL_RUN_STATUSES = frozenset({"completed", "failed", "skipped", "cancelled", "crashed"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Page(_Model, Generic[T]):
    """One page of a list endpoint: ``items`` and the ``total`` over all pages."""

    items: list[T]
    total: int


class Paginator(_Model):
    """Seed 003's paginator."""

    current_page: int = 1
    page_size: int = 20
    total_page: int = 0
    total_record: int = 0


class PaginatedList(_Model, Generic[T]):
    """Seed 003's paged list: ``list`` (here ``items``) and ``paginator``."""

    items: list[T] = Field(default_factory=list, alias="list")
    paginator: Paginator = Field(default_factory=Paginator)


class Connector(_Model):
    """A connector as listed; ``config`` is its kind's config with secrets shown as ``"******"``."""

    id: int
    source_type: int
    name: str
    status: str = ""
    created_at: int = 0
    updated_at: int = 0
    username: str = ""
    related_task_ids: list[str] = Field(default_factory=list)
    usage_type: list[Any] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Connector:
        """The API puts the config under the kind's field (``s3``, ``local`` …); gather it in ``config``."""
        data = dict(data)
        config = next((data.pop(f) for f in CONFIG_FIELDS if isinstance(data.get(f), dict)), {})
        return cls.model_validate({**data, "config": config})


class Validation(_Model):
    """Result of ``POST /connectors/validate``."""

    valid: bool
    reason: str = ""
    code: str = ""


class SourceFile(_Model):
    """A file of a connector's source (``GET /connectors/files/list``)."""

    uri: str
    filename: str
    size: int = 0
    type: int = 0


class UploadResult(_Model):
    """Result of ``POST /connectors/upload`` (with a volume: ``file_id`` and ``task_id`` of the load)."""

    success: bool = True
    file_id: str | None = None
    task_id: str | None = None
    message: str = ""
    connector_id: int | None = None
    files: list[dict[str, Any]] = Field(default_factory=list)
    results: list[dict[str, Any]] = Field(default_factory=list)


class Volume(_Model):
    """A volume: one Milvus collection and embedding model."""

    id: str
    name: str
    description: str = ""
    embedding_model: str = ""
    embedding_dim: int = 0
    collection: str = ""
    tenant_code: str = ""
    org_code: str = ""
    created_at: int = 0
    updated_at: int = 0


class Task(_Model):
    """A load task (seed 002); ``status`` 1 running, 2 pausing, 3 paused, 4 completed."""

    id: str
    source_connector_id: int
    source_connector_type: int = 0
    volume_id: str
    volume_name: str = ""
    name: str = ""
    status: int = 0
    creator: str = ""
    source_config: dict[str, Any] = Field(default_factory=dict)
    start_at: int = 0
    end_at: int = 0
    created_at: int = 0
    updated_at: int = 0
    deployment_id: str | None = None  # GET /task/get only
    deployment_url: str | None = None  # its Prefect UI page (None: no UI configured, or from /task/list)

    @property
    def load_interval_type(self) -> int:
        cfg = self.source_config.get("common_file_task_config", {})
        return int(cfg.get("load_mode_config", {}).get("load_interval_type", 0))


class TaskFile(_Model):
    """A file of a load task; ``status`` 1 waiting … 4 failed, 5 success."""

    id: str
    name: str
    type: int = 0
    status: int = 0
    size: int = 0
    reason: str = ""
    path: str = ""
    stage: str = ""
    segment_count: int = 0
    start_time: int = 0
    end_time: int = 0
    update_time: int = 0


class TaskFiles(_Model):
    """``GET /task/files``: a page of files and the task's totals."""

    total: int
    total_success: int = 0
    total_failed: int = 0
    files: list[TaskFile] = Field(default_factory=list)


class LoadRun(_Model):
    """One execution of a load task, with what it did."""

    id: str
    task_id: str
    flow_run_id: str | None = None
    status: str
    started_at: float = 0
    ended_at: float | None = None
    files_listed: int = 0
    files_added: int = 0
    files_changed: int = 0
    files_deleted: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_succeeded: int = 0
    chunks_written: int = 0
    bytes_read: int = 0
    error: str = ""
    prefect_url: str | None = None  # the flow run's Prefect UI page (None: no UI configured)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES


class RetryResult(_Model):
    """``POST /task/retry``: the files re-queued and the Prefect flow run started (None: nothing failed)."""

    file_ids: list[str] = Field(default_factory=list)
    flow_run_id: str | None = None


class HitDocument(_Model):
    id: str
    name: str = ""
    extension: str = ""
    mime_type: str = ""
    uri: str = ""


class SearchHit(_Model):
    """One search result: a chunk with its score and document."""

    chunk_id: str = ""
    content: str = ""
    score: float = 0.0
    position: int = 0
    page: int | None = None
    volume_id: str = ""
    document: HitDocument | None = None


class SearchResult(_Model):
    """``POST /search``: the hits, best first."""

    query: str = ""
    retrieval_strategy: str = ""
    results: list[SearchHit] = Field(default_factory=list)
    total: int = 0


class Document(_Model):
    """A document of a volume (seed 003 §4.8/4.13)."""

    id: str
    name: str = ""
    character_count: int = 0
    hit_count: int = 0
    position: int = 0
    enabled: bool = True
    disabled_at: int = 0
    status: str = ""
    error: str = ""
    segment_count: int = 0
    updated_at: int = 0
    created_at: int = 0


class Segment(_Model):
    """A segment (chunk) of a document (seed 003 §4.15/4.20)."""

    id: str
    document_id: str = ""
    dataset_id: str = ""
    position: int = 0
    content: str = ""
    keywords: list[str] = Field(default_factory=list)
    character_count: int = 0
    token_count: int = 0
    hit_count: int = 0
    enabled: bool = True
    disabled_at: int = 0
    status: str = ""
    error: str = ""
    hash: str = ""
    updated_at: int = 0
    created_at: int = 0
