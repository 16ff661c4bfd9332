"""Load-task request/response models (seed 002 §数据载入)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingestflow.api.schemas.common import IdStr, IntId
from ingestflow.taskconfig import LoadMode, ProcessConfig, SourceConfig


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source_connector_id: IntId
    volume_id: IdStr
    source_config: SourceConfig
    config_type: int = 1
    name: str = Field("", max_length=255)
    process_config: ProcessConfig | None = None
    tenant_code: str = Field("", max_length=128)
    org_code: str = Field("", max_length=128)

    @field_validator("process_config")
    @classmethod
    def _valid_process_config(cls, value: ProcessConfig | None) -> ProcessConfig | None:
        """Seed 003's processing rules are checked up front (bad chunk size, overlap, regex …)."""
        from ingestflow.errors import ValidationFailed
        from ingestflow.indexers.chunking import ChunkRules
        from ingestflow.settings import get_settings

        try:
            ChunkRules.from_process_config(value.dump() if value else None, get_settings())
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
        return value


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: IdStr
    load_mode_config: LoadMode | None = None
    uris: list[str] | None = None
    name: str | None = Field(None, max_length=255)


class TaskRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: IdStr


class TaskDelete(TaskRef):
    keep_chunks: bool = False


class TaskRetry(TaskRef):
    ids: list[IdStr] = Field(default_factory=list, description="Failed file ids; [] = all failed files.")


class TaskPublic(BaseModel):
    id: str
    source_connector_id: int
    source_connector_type: int
    volume_id: str
    volume_name: str
    name: str
    status: int
    creator: str
    source_config: dict[str, Any]
    start_at: int
    end_at: int
    created_at: int
    updated_at: int


class TaskFilePublic(BaseModel):
    id: str
    name: str
    type: int
    status: int
    size: int
    update_time: int
    other_metadata: str
    reason: str
    user: str
    start_time: int
    end_time: int
    path: str
    stage: str
    segment_count: int
    worker: str = Field("", description="host/Prefect worker of the file's last fetch + parse attempt")
    attempts: int = Field(0, description="fetch + parse attempts of the file, across runs")


class LoadRunPublic(BaseModel):
    id: str
    task_id: str
    flow_run_id: str | None
    status: str
    started_at: float
    ended_at: float | None
    files_listed: int
    files_added: int
    files_changed: int
    files_deleted: int
    files_skipped: int
    files_failed: int
    files_succeeded: int
    chunks_written: int
    bytes_read: int
    error: str
    prefect_url: str | None = Field(None, description="The run's page in the Prefect UI (null: no UI configured).")


class TaskCreated(BaseModel):
    task_id: str


class TaskList(BaseModel):
    tasks: list[TaskPublic]
    total: int


class TaskDetail(TaskPublic):
    deployment_id: str | None = Field(None, description="The task's Prefect deployment.")
    deployment_url: str | None = Field(None, description="Its page in the Prefect UI (`PREFECT_UI_URL`, else the "
                                                         "API's base; null when none is configured).")


class TaskOne(BaseModel):
    task: TaskDetail


class TaskStatusOut(BaseModel):
    status: int


class RunStarted(BaseModel):
    task_id: str
    flow_run_id: str


class RetryStarted(BaseModel):
    file_ids: list[str]
    flow_run_id: str | None


class TaskFilesPage(BaseModel):
    total: int
    total_success: int
    total_failed: int
    files: list[TaskFilePublic]


class RunList(BaseModel):
    runs: list[LoadRunPublic]
    total: int
    deployment_id: str | None
    deployment_url: str | None = Field(None, description="The deployment's page in the Prefect UI (null: none).")
