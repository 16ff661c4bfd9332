"""Connector request/response models (seed 002 §连接器)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CONFIG_FIELDS = ("oss", "s3", "dify", "hdfs", "mo", "local", "minio")


class _Configs(BaseModel):
    """One optional config object per kind; the one matching source_type is used."""

    oss: dict[str, Any] | None = Field(None, description="OSS config (source_type 4).")
    s3: dict[str, Any] | None = Field(None, description="S3 config (source_type 5).")
    dify: dict[str, Any] | None = Field(None, description="Dify config (source_type 1).")
    hdfs: dict[str, Any] | None = Field(None, description="HDFS config (source_type 2).")
    mo: dict[str, Any] | None = Field(None, description="MatrixOne config (source_type 3).")
    local: dict[str, Any] | None = Field(None, description="Local directory config (source_type 6).")
    minio: dict[str, Any] | None = Field(None, description="MinIO config (source_type 8).")

    def config_for(self, field: str) -> dict[str, Any] | None:
        return getattr(self, field)


class ConnectorCreate(_Configs):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    source_type: int = Field(..., ge=1, le=8, description="1 DIFY, 2 HDFS, 3 MO, 4 OSS, 5 S3, 6 LOCAL, 8 MINIO")
    usage_type: list[Any] | None = None


class ConnectorValidate(_Configs):
    model_config = ConfigDict(extra="ignore")

    source_type: int | None = Field(None, ge=1, le=8)
    connector_id: int | None = None


class ConnectorUpdate(_Configs):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(None, min_length=1, max_length=255)
    usage_type: list[Any] | None = None


class ConnectorPublic(BaseModel):
    """A connector as listed; its config goes under its kind's field with secrets masked."""

    id: int
    source_type: int
    name: str
    status: str
    created_at: int
    updated_at: int
    username: str
    related_task_ids: list[str]
    usage_type: list[Any]


class SourceFilePublic(BaseModel):
    uri: str
    filename: str
    size: int
    type: int
