"""Seed 003 §4.1–4.10 request bodies (``/datasets``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingestflow.api.schemas.documents import Paginator


class DatasetCreate(BaseModel):
    """§4.2 / §4.3: name (≤ 100, unique), icon URL, description (≤ 2000; generated when empty)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., max_length=100)
    icon: str = Field("", max_length=2000)
    description: str | None = Field(None, max_length=2000)


class HitRequest(BaseModel):
    """§4.6: ``k`` 0–10 required; ``score`` 0–1 against the 0–1 relevance score of every strategy."""

    model_config = ConfigDict(extra="ignore")

    query: str = Field(..., min_length=1, max_length=200)
    retrieval_strategy: Literal["full_text", "semantic", "hybrid"] = "semantic"
    k: int = Field(..., ge=0, le=10)
    score: float = Field(0.0, ge=0, le=1)


class DocumentsCreate(BaseModel):
    """§4.9: upload file ids (≤ 10) and how to process them (``rule`` is checked by the chunker)."""

    model_config = ConfigDict(extra="ignore")

    upload_file_ids: list[str] = Field(..., min_length=1, max_length=10)
    process_type: Literal["automatic", "custom"]
    rule: dict[str, Any] | None = None


class DatasetPublic(BaseModel):
    """§4.1 list item."""

    id: str
    name: str
    icon: str
    description: str
    document_count: int
    character_count: int
    related_app_count: int
    updated_at: int
    created_at: int


class DatasetDetail(DatasetPublic):
    """§4.5."""

    hit_count: int


class DatasetPage(BaseModel):
    list: list[DatasetPublic]
    paginator: Paginator


class DatasetCreated(BaseModel):
    id: str


class UploadFilePublic(BaseModel):
    """§3.1."""

    id: str
    account_id: str
    name: str
    key: str
    size: int
    extension: str
    mime_type: str
    created_at: int


class ImageUrl(BaseModel):
    """§3.2."""

    image_url: str


class NewDocument(BaseModel):
    id: str
    name: str
    status: str
    created_at: int


class DocumentsAdded(BaseModel):
    """§4.9."""

    documents: list[NewDocument]
    batch: str


class BatchDocument(BaseModel):
    """§4.10: one document of a batch."""

    id: str
    name: str
    size: int
    extension: str
    mime_type: str
    position: int
    segment_count: int
    completed_segment_count: int
    error: str
    status: str
    processing_started_at: int
    parsing_completed_at: int
    splitting_completed_at: int
    completed_at: int
    stopped_at: int
    created_at: int


class RecentQuery(BaseModel):
    """§4.7."""

    id: str
    dataset_id: str
    query: str
    source: str
    created_at: int
