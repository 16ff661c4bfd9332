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
