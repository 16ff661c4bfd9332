"""Seed 004 request and response models (``/vector_db_service/…``, ``/chat_service`` uploads)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingestflow.api.schemas.common import IdStr


class Codes(BaseModel):
    """``tenant_code`` / ``org_code``: optional isolation codes of every seed 004 call."""

    model_config = ConfigDict(extra="ignore")

    tenant_code: str | None = Field(None, max_length=128)
    org_code: str | None = Field(None, max_length=128)


class VectorDbSearch(Codes):
    """``POST /vector_db_service/search_from_vector_db``."""

    query: str = Field(..., min_length=1, max_length=2000)
    collection_type: Literal["DOC", "QA"] = Field(..., description="DOC: documents; QA: question-answer pairs.")
    filter_expr: str | None = Field(None, description="Filter in the filter_expr grammar (see README).")
    limit: int = Field(5, ge=1, le=1000)
    use_hybrid: bool = False
    vector_similarity_threshold: float | None = Field(None, ge=0, le=1, description="Minimum cosine (0–1).")
    rrf_similarity_threshold: float | None = Field(None, ge=0, le=1,
                                                   description="Minimum fused 0–1 score (use_hybrid).")
    volume_id: IdStr | None = Field(None, description="ingestflow extension (DOC): the volume(s) to search; "
                                                      "default every volume but the QA collection.")
    volume_ids: list[IdStr] | None = Field(None, max_length=64)

    @field_validator("collection_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class DocEntity(BaseModel):
    """A hit of the DOC collection (a chunk with its document)."""

    id: str
    content: str
    doc_id: str
    doc_name: str
    source: str
    score: float
    position: int
    page: int | None
    volume_id: str


class QaEntity(BaseModel):
    """A hit of the QA collection, as in the seed's example."""

    question: str
    answer: str
    source: str
    score: float


class VectorDbResult(BaseModel):
    entities: list[list[DocEntity | QaEntity]]


class DelCollection(Codes):
    """``POST /vector_db_service/del_collection``: codes filter what goes; none = all global data."""


class AddDocument(Codes):
    """``POST /vector_db_service/add_document``."""

    doc_url: str = Field(..., min_length=1, max_length=8192)
    doc_name: str = Field(..., min_length=1, max_length=255)


class AddMultiDocument(Codes):
    """``POST /vector_db_service/add_multi_document``: ``doc_names[i]`` names ``multi_doc_urls[i]``."""

    multi_doc_urls: list[str] = Field(..., min_length=1, max_length=100)
    doc_names: list[str] = Field(..., min_length=1, max_length=100)


class DelDocument(Codes):
    """``POST /vector_db_service/del_document``."""

    doc_name: list[str] = Field(..., min_length=1, max_length=1000)


class AddQa(Codes):
    """``POST /vector_db_service/add_qa``: one pair, or lists of equal length; a string ``source`` is reused."""

    question: str | list[str]
    answer: str | list[str]
    source: str | list[str] | None = None

    def pairs(self) -> list[tuple[str, str, str]]:
        """(question, answer, source) per pair; ValueError saying what does not match."""
        questions = [self.question] if isinstance(self.question, str) else list(self.question)
        answers = [self.answer] if isinstance(self.answer, str) else list(self.answer)
        if not questions:
            raise ValueError("question: give at least one question")
        if len(questions) != len(answers):
            raise ValueError(f"question ({len(questions)}) and answer ({len(answers)}) must have the same length")
        if isinstance(self.source, list):
            if len(self.source) != len(questions):
                raise ValueError(f"source ({len(self.source)}) must be a string or have one entry per question "
                                 f"({len(questions)})")
            sources = list(self.source)
        else:
            sources = [self.source or ""] * len(questions)
        for i, (q, a) in enumerate(zip(questions, answers, strict=True)):
            if not q.strip() or not a.strip():
                raise ValueError(f"{'question' if not q.strip() else 'answer'}[{i}] is empty")
            if len(q) > 2000 or len(a) > 6000:
                raise ValueError(f"pair {i}: question ≤ 2000 and answer ≤ 6000 characters")
        return list(zip(questions, answers, sources, strict=True))


class DelQa(Codes):
    """``POST /vector_db_service/del_qa``."""

    question: list[str] = Field(..., min_length=1, max_length=10000)
