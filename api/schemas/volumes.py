"""Volume request/response models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ingestflow.api.schemas.common import IdStr
from ingestflow.api.schemas.search import FusionParams


class VolumeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=255)
    description: str = ""
    embedding_model: str | None = Field(None, description="Default: the server's INGESTFLOW_EMBEDDING_MODEL.")
    tenant_code: str = ""
    org_code: str = ""
    fusion: FusionParams | None = Field(None, description="Hybrid fusion for searches that name none; "
                                        "default: the server's (weighted, see README).")


class VolumeUpdate(BaseModel):
    """``POST /volumes/update``: only the fields sent change; ``fusion: null`` restores the server default."""

    model_config = ConfigDict(extra="ignore")

    volume_id: IdStr
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = None
    fusion: FusionParams | None = None


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
    fusion: FusionParams | None = Field(None, description="The volume's own hybrid fusion; null = the server default.")
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
