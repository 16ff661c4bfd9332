"""Volume request/response models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ingestflow.api.schemas.common import IdStr


class VolumeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    description: str = ""
    embedding_model: str | None = Field(None, description="Default: the server's INGESTFLOW_EMBEDDING_MODEL.")
    tenant_code: str = ""
    org_code: str = ""


class VolumeDelete(BaseModel):
    volume_id: IdStr


class VolumePublic(BaseModel):
    id: str
    name: str
    description: str
    embedding_model: str
    embedding_dim: int
    collection: str
    tenant_code: str
    org_code: str
    created_at: int
    updated_at: int


class VolumeCreated(BaseModel):
    volume_id: str
    volume: VolumePublic


class VolumeList(BaseModel):
    volumes: list[VolumePublic]
    total: int


class VolumeOne(BaseModel):
    volume: VolumePublic
