"""Seed 003 §4.1–4.10 request bodies (``/datasets``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
