"""Search request models: ``POST /search``, seed 003 hit testing (seed 004: ``vector_db.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from ingestflow.api.schemas.common import IdStr, Int64

Strategy = Literal["semantic", "full_text", "hybrid"]


class SearchFilters(BaseModel):
    """Metadata filters; every value is escaped into the Milvus expression."""

    model_config = ConfigDict(extra="forbid")

    uri_prefix: str | None = Field(None, max_length=4096)
    file_types: list[Int64] | None = Field(None, max_length=64)
    document_ids: list[str] | None = Field(None, max_length=1024)


class FusionParams(BaseModel):
    """How hybrid mode fuses its legs (see README "POST /search")."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["weighted", "rrf"] = "weighted"
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="w in w·cos + (1−w)·bm25_norm.")


class SearchRequest(BaseModel):
    """``POST /search``."""

    model_config = ConfigDict(extra="ignore")

    query: str = Field(..., min_length=1, max_length=2000)
    volume_id: IdStr | None = None
    volume_ids: list[IdStr] | None = Field(None, max_length=64)
    retrieval_strategy: Strategy = "hybrid"
    k: int = Field(10, ge=1, le=1000, validation_alias=AliasChoices("k", "top_k"))
    score: float | None = Field(None, description="Threshold on the hit's 0–1 relevance score.")
    rrf_k: int = Field(60, ge=1, le=100000)
    fusion: FusionParams | None = None
    tenant_code: str | None = None
    org_code: str | None = None
    filters: SearchFilters | None = None
    filter_expr: str | None = Field(None, description="Filter in the filter_expr grammar (see README).")

    def volumes(self) -> list[str]:
        return list(dict.fromkeys([*([self.volume_id] if self.volume_id else []), *(self.volume_ids or [])]))



    model_config = ConfigDict(extra="ignore")

    query: str = Field(..., min_length=1, max_length=2000)


class HitDocumentPublic(BaseModel):
    id: str
    name: str
    extension: str
    mime_type: str
    uri: str


class SearchHitPublic(BaseModel):
    """One result of ``POST /search``."""

    chunk_id: str
    content: str
    score: float
    position: int
    page: int | None
    volume_id: str
    document: HitDocumentPublic


class SearchResponse(BaseModel):
    query: str
    retrieval_strategy: str
    results: list[SearchHitPublic]
    total: int


class HitTestDocument(BaseModel):
    id: str
    name: str
    extension: str
    mime_type: str


class HitTestItem(BaseModel):
    """Seed 003 §4.6: a hit segment (``hit_count`` includes this query)."""

    id: str
    document: HitTestDocument
    dataset_id: str
    score: float
    position: int
    content: str
    keywords: list[str]
    character_count: int
    token_count: int
    hit_count: int
    enabled: bool
    disabled_at: int
    status: str
    error: str
    retrieval_strategy: str
    updated_at: int
    created_at: int


