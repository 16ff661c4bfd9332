"""Seed 003 §4.8–4.20: documents and segments of a dataset (dataset = volume, segment = chunk)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ingestflow.api import documents_service as svc
from ingestflow.api.deps import CallerDep
from ingestflow.api.envelope import ok
from ingestflow.api.schemas.common import parse_id
from ingestflow.api.schemas.documents import DocumentRename, EnabledUpdate, SegmentCreate, SegmentUpdate
from ingestflow.catalog import kb

router = APIRouter(prefix="/datasets/{dataset_id}/documents", tags=["documents"])
Page = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=svc.MAX_PAGE_SIZE)]


def _vid(dataset_id: str) -> str:
    return parse_id(dataset_id, "dataset_id")


@router.get("")
def list_documents(dataset_id: str, caller: CallerDep, search_word: str = "", current_page: Page = 1,
                   page_size: PageSize = 20) -> dict:
    volume_id = _vid(dataset_id)
    docs, total = kb.list_documents(volume_id, search_word=search_word.strip(), page=current_page,
                                    page_size=page_size, task_ids=svc.task_scope(caller, volume_id))
    return ok({"list": [svc.document_public(d) for d in docs],
               "paginator": svc.paginator(current_page, page_size, total)})


@router.get("/{document_id}")
def get_document(dataset_id: str, document_id: str, caller: CallerDep) -> dict:
    return ok(svc.document_public(svc.get_document(caller, _vid(dataset_id), document_id)))


@router.post("/{document_id}/name")
def rename_document(dataset_id: str, document_id: str, body: DocumentRename, caller: CallerDep) -> dict:
    volume_id = _vid(dataset_id)
    svc.get_document(caller, volume_id, document_id)
    kb.rename_document(volume_id, document_id, body.name.strip())
    return ok({})


@router.post("/{document_id}/enabled")
def set_document_enabled(dataset_id: str, document_id: str, body: EnabledUpdate, caller: CallerDep) -> dict:
    svc.set_document_enabled(caller, _vid(dataset_id), document_id, body.enabled)
    return ok({})


@router.post("/{document_id}/delete")
def delete_document(dataset_id: str, document_id: str, caller: CallerDep) -> dict:
    svc.delete_document(caller, _vid(dataset_id), document_id)
    return ok({})


@router.get("/{document_id}/segments")
def list_segments(dataset_id: str, document_id: str, caller: CallerDep, search_word: str = "",
                  current_page: Page = 1, page_size: PageSize = 20) -> dict:
    rows, total = svc.list_segments(caller, _vid(dataset_id), document_id, search_word.strip(), current_page,
                                    page_size)
    return ok({"list": rows, "paginator": svc.paginator(current_page, page_size, total)})


@router.post("/{document_id}/segments")
def add_segment(dataset_id: str, document_id: str, body: SegmentCreate, caller: CallerDep) -> dict:
    return ok(svc.add_segment(caller, _vid(dataset_id), document_id, body.content, body.keywords))


@router.get("/{document_id}/segments/{segment_id}")
def get_segment(dataset_id: str, document_id: str, segment_id: str, caller: CallerDep) -> dict:
    return ok(svc.get_segment(caller, _vid(dataset_id), document_id, segment_id))


@router.post("/{document_id}/segments/{segment_id}")
def update_segment(dataset_id: str, document_id: str, segment_id: str, body: SegmentUpdate,
                   caller: CallerDep) -> dict:
    return ok(svc.update_segment(caller, _vid(dataset_id), document_id, segment_id, body.content, body.keywords))


@router.post("/{document_id}/segments/{segment_id}/enabled")
def set_segment_enabled(dataset_id: str, document_id: str, segment_id: str, body: EnabledUpdate,
                        caller: CallerDep) -> dict:
    svc.set_segment_enabled(caller, _vid(dataset_id), document_id, segment_id, body.enabled)
    return ok({})


@router.post("/{document_id}/segments/{segment_id}/delete")
def delete_segment(dataset_id: str, document_id: str, segment_id: str, caller: CallerDep) -> dict:
    svc.delete_segment(caller, _vid(dataset_id), document_id, segment_id)
    return ok({})
