"""Seed 003 document and segment request models (dataset = volume)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DocumentRename(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=100)


class EnabledUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str = Field(..., min_length=1, max_length=20000)
    keywords: list[str] | None = Field(None, max_length=64)


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str | None = Field(None, min_length=1, max_length=20000)
    keywords: list[str] | None = Field(None, max_length=64)


class Paginator(BaseModel):
    """Seed 003's paginator."""

    current_page: int
    page_size: int
    total_page: int
    total_record: int


class DocumentPublic(BaseModel):
    """Seed 003 §4.8/§4.10/§4.13 fields of a document."""

    id: str
    dataset_id: str
    name: str
    uri: str
    extension: str
    mime_type: str
    size: int
    position: int
    segment_count: int
    completed_segment_count: int
    character_count: int
    hit_count: int
    enabled: bool
    disabled_at: int
    status: str
    error: str
    task_id: str
    processing_started_at: int
    parsing_completed_at: int
    splitting_completed_at: int
    completed_at: int
    stopped_at: int
    updated_at: int
    created_at: int


class SegmentPublic(BaseModel):
    """Seed 003 §4.15/§4.20 fields of a segment."""

    id: str
    document_id: str | None
    dataset_id: str | None
    position: int
    page: int | None
    content: str
    keywords: list[str]
    character_count: int
    token_count: int
    hit_count: int
    hash: str
    enabled: bool
    disabled_at: int
    status: str
    error: str
    manual: bool
    updated_at: int
    created_at: int


class DocumentPage(BaseModel):
    list: list[DocumentPublic]
    paginator: Paginator


class SegmentPage(BaseModel):
    list: list[SegmentPublic]
    paginator: Paginator
