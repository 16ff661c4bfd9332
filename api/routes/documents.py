"""Seed 003 §4.8–4.20: documents and segments of a dataset (dataset = volume, segment = chunk)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ingestflow.api import presenters
from ingestflow.api.deps import CallerDep
from ingestflow.api.envelope import ERRORS, Envelope, ok
from ingestflow.api.schemas.common import Keyword, Page, parse_id
from ingestflow.api.schemas.documents import (
    DocumentPage, DocumentPublic, DocumentRename, EnabledUpdate, SegmentCreate, SegmentPage, SegmentPublic,
    SegmentUpdate,
)
from ingestflow.services import documents as svc

router = APIRouter(prefix="/datasets/{dataset_id}/documents", tags=["seed 003: documents and segments"],
                   responses=ERRORS)
MAX_PAGE_SIZE = 50
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


def _vid(dataset_id: str) -> str:
    return parse_id(dataset_id, "dataset_id")


@router.get("", response_model=Envelope[DocumentPage])
def list_documents(dataset_id: str, caller: CallerDep, search_word: Keyword = "", current_page: Page = 1,
                   page_size: PageSize = 20) -> dict:
    """A page of the dataset's documents (name contains ``search_word``)."""
    docs, total = svc.list_documents(caller, _vid(dataset_id), search_word.strip(), current_page, page_size)
    return ok({"list": [presenters.document_public(d) for d in docs],
               "paginator": presenters.paginator(current_page, page_size, total)})


@router.get("/{document_id}", response_model=Envelope[DocumentPublic])
def get_document(dataset_id: str, document_id: str, caller: CallerDep) -> dict:
    """One document: stage, error, stage timestamps, counts."""
    return ok(presenters.document_public(svc.get_document(caller, _vid(dataset_id), document_id)))


@router.post("/{document_id}/name", response_model=Envelope[dict[str, Any]])
def rename_document(dataset_id: str, document_id: str, body: DocumentRename, caller: CallerDep) -> dict:
    """Give the document a display name (the source file keeps its own)."""
    svc.rename_document(caller, _vid(dataset_id), document_id, body.name.strip())
    return ok({})


@router.post("/{document_id}/enabled", response_model=Envelope[dict[str, Any]])
def set_document_enabled(dataset_id: str, document_id: str, body: EnabledUpdate, caller: CallerDep) -> dict:
    """Hide the document from every search, or restore it (only when completed)."""
    svc.set_document_enabled(caller, _vid(dataset_id), document_id, body.enabled)
    return ok({})


@router.post("/{document_id}/delete", response_model=Envelope[dict[str, Any]])
def delete_document(dataset_id: str, document_id: str, caller: CallerDep) -> dict:
    """Delete the document's chunks and rows."""
    svc.delete_document(caller, _vid(dataset_id), document_id)
    return ok({})


@router.get("/{document_id}/segments", response_model=Envelope[SegmentPage])
def list_segments(dataset_id: str, document_id: str, caller: CallerDep, search_word: Keyword = "",
                  current_page: Page = 1, page_size: PageSize = 20) -> dict:
    """A page of the document's segments in position order (content contains ``search_word``)."""
    rows, total = svc.list_segments(caller, _vid(dataset_id), document_id, search_word.strip(), current_page,
                                    page_size)
    return ok({"list": [presenters.segment_public(*r) for r in rows],
               "paginator": presenters.paginator(current_page, page_size, total)})


@router.post("/{document_id}/segments", response_model=Envelope[SegmentPublic])
def add_segment(dataset_id: str, document_id: str, body: SegmentCreate, caller: CallerDep) -> dict:
    """Add a segment at the end of the document (embedded on a worker before this answers)."""
    return ok(presenters.segment_public(*svc.add_segment(caller, _vid(dataset_id), document_id, body.content,
                                                         body.keywords)))


@router.get("/{document_id}/segments/{segment_id}", response_model=Envelope[SegmentPublic])
def get_segment(dataset_id: str, document_id: str, segment_id: str, caller: CallerDep) -> dict:
    """One segment."""
    return ok(presenters.segment_public(*svc.get_segment(caller, _vid(dataset_id), document_id, segment_id)))


@router.post("/{document_id}/segments/{segment_id}", response_model=Envelope[SegmentPublic])
def update_segment(dataset_id: str, document_id: str, segment_id: str, body: SegmentUpdate,
                   caller: CallerDep) -> dict:
    """Edit content (re-embedded, same id) and/or keywords."""
    return ok(presenters.segment_public(*svc.update_segment(caller, _vid(dataset_id), document_id, segment_id,
                                                            body.content, body.keywords)))


@router.post("/{document_id}/segments/{segment_id}/enabled", response_model=Envelope[dict[str, Any]])
def set_segment_enabled(dataset_id: str, document_id: str, segment_id: str, body: EnabledUpdate,
                        caller: CallerDep) -> dict:
    """Hide or restore one segment."""
    svc.set_segment_enabled(caller, _vid(dataset_id), document_id, segment_id, body.enabled)
    return ok({})


@router.post("/{document_id}/segments/{segment_id}/delete", response_model=Envelope[dict[str, Any]])
def delete_segment(dataset_id: str, document_id: str, segment_id: str, caller: CallerDep) -> dict:
    """Delete one segment."""
    svc.delete_segment(caller, _vid(dataset_id), document_id, segment_id)
    return ok({})
