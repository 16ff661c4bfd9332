"""Load-task request/response models (seed 002 §数据载入)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingestflow.api.schemas.common import IdStr
from ingestflow.records import LoadIntervalType


class LoadModeConfig(BaseModel):
    load_interval_type: LoadIntervalType = Field(
        ..., description="0 unknown, 1 daily, 2 hourly, 3 minute, 4 once, 5/6/7 = 5/10/30 min, 8–11 = 2/4/6/12 h")
    interval: int = Field(0, ge=0, le=100000, description="Multiplier of the unit (0 = 1).")


class CommonFileTaskConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    load_mode_config: LoadModeConfig
    uris: list[str] = Field(..., description="Source uris to load (files or directories); [] = everything.")


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="allow")

    common_file_task_config: CommonFileTaskConfig


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source_connector_id: int
    volume_id: IdStr
    source_config: SourceConfig
    config_type: int = 1
    name: str = Field("", max_length=255)
    process_config: dict[str, Any] | None = None
    tenant_code: str = Field("", max_length=128)
    org_code: str = Field("", max_length=128)

    @field_validator("process_config")
    @classmethod
    def _valid_process_config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Seed 003's processing rules are checked up front (bad chunk size, overlap, regex …)."""
        from ingestflow.indexers.chunking import ChunkRules
        from ingestflow.errors import ValidationFailed
        from ingestflow.settings import get_settings

        try:
            ChunkRules.from_process_config(value, get_settings())
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
        return value


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: IdStr
    load_mode_config: LoadModeConfig | None = None
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
