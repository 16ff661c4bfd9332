"""Seed 003 §4.8, §4.11–4.20: documents and segments of a dataset (dataset = volume, segment = chunk).

In seed 003's family (envelope, Bearer auth). Ids as the seed types them: dataset ids in their uuid
spelling (``seed003.to_uuid``), document ids are uuids already, a segment's uuid is the first 128 bits
of its chunk id, resolved within its document. A segment's ``status`` is its document's stage (a chunk
in Milvus whose document is being re-indexed is ``indexing``; one of a failed document is ``error``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ingestflow.api import presenters, seed003
from ingestflow.api.schemas.common import Keyword, Page
from ingestflow.api.schemas.documents import (
    DocumentPage, DocumentPublic, DocumentRename, EnabledUpdate, SegmentCreate, SegmentPage, SegmentPublic,
    SegmentUpdate,
)
from ingestflow.errors import NotFound
from ingestflow.records import DocStage
from ingestflow.services import documents as svc

router = APIRouter(prefix="/datasets/{dataset_id}/documents", tags=["seed 003: documents and segments"],
                   responses=seed003.ERRORS)
E = seed003.Seed003Envelope
MAX_PAGE_SIZE = 50
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
SEGMENT_STATUS = {DocStage.COMPLETED: "completed", "error": "error", "waiting": "waiting"}


def _vid(dataset_id: str) -> str:
    return seed003.from_uuid(dataset_id, "dataset_id")


def _did(document_id: str) -> str:
    return seed003.check_uuid(document_id, "document_id")


def _doc(doc: Any) -> dict[str, Any]:
    public = presenters.document_public(doc).model_dump()
    return {**public, "dataset_id": seed003.to_uuid(public["dataset_id"])}


def _seg(segment: svc.Segment, stage: str) -> dict[str, Any]:
    public = presenters.segment_public(*segment).model_dump()
    status = SEGMENT_STATUS.get(stage, "indexing")
    return {**public, "id": seed003.segment_uuid(public["id"]), "dataset_id": seed003.to_uuid(public["dataset_id"]),
            "status": status, "enabled": bool(public["enabled"]) and status == "completed"}


def _chunk(caller: Any, volume_id: str, doc_id: str, segment_id: str) -> str:
    """The chunk id a segment uuid names within its document (not_found otherwise)."""
    wanted = seed003.check_uuid(segment_id, "segment_id")
    for chunk_id in svc.segment_ids(caller, volume_id, doc_id):
        if seed003.segment_uuid(chunk_id) == wanted:
            return chunk_id
    raise NotFound("该文档片段不存在")


@router.get("", response_model=E[DocumentPage])
def list_documents(dataset_id: str, caller: seed003.BearerCaller, search_word: Keyword = "", current_page: Page = 1,
                   page_size: PageSize = 20) -> dict:
    """§4.8: a page of the dataset's documents (name contains ``search_word``)."""
    docs, total = svc.list_documents(caller, _vid(dataset_id), search_word.strip(), current_page, page_size)
    return seed003.ok({"list": [_doc(d) for d in docs],
                       "paginator": presenters.paginator(current_page, page_size, total).model_dump()})


@router.get("/{document_id}", response_model=E[DocumentPublic])
def get_document(dataset_id: str, document_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.13: one document: stage, error, stage timestamps, counts."""
    return seed003.ok(_doc(svc.get_document(caller, _vid(dataset_id), _did(document_id))))


@router.post("/{document_id}/name", response_model=E[dict])
def rename_document(dataset_id: str, document_id: str, body: DocumentRename, caller: seed003.BearerCaller) -> dict:
    """§4.11: a display name (the source file keeps its own)."""
    svc.rename_document(caller, _vid(dataset_id), _did(document_id), body.name.strip())
    return seed003.ok({}, "更新文档信息成功")


@router.post("/{document_id}/enabled", response_model=E[dict])
def set_document_enabled(dataset_id: str, document_id: str, body: EnabledUpdate,
                         caller: seed003.BearerCaller) -> dict:
    """§4.12: hide the document from every search, or restore it (only when completed)."""
    svc.set_document_enabled(caller, _vid(dataset_id), _did(document_id), body.enabled)
    return seed003.ok({}, "更改文档启用状态成功")


@router.post("/{document_id}/delete", response_model=E[dict])
def delete_document(dataset_id: str, document_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.14: delete the document's chunks and rows; the next run of its task does not bring it back."""
    svc.delete_document(caller, _vid(dataset_id), _did(document_id))
    return seed003.ok({}, "删除文档成功")


@router.get("/{document_id}/segments", response_model=E[SegmentPage])
def list_segments(dataset_id: str, document_id: str, caller: seed003.BearerCaller, search_word: Keyword = "",
                  current_page: Page = 1, page_size: PageSize = 20) -> dict:
    """§4.15: a page of the document's segments in position order (content contains ``search_word``)."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    stage = svc.get_document(caller, volume_id, doc_id).row.stage
    rows, total = svc.list_segments(caller, volume_id, doc_id, search_word.strip(), current_page, page_size)
    return seed003.ok({"list": [_seg(r, stage) for r in rows],
                       "paginator": presenters.paginator(current_page, page_size, total).model_dump()})


@router.post("/{document_id}/segments", response_model=E[SegmentPublic])
def add_segment(dataset_id: str, document_id: str, body: SegmentCreate, caller: seed003.BearerCaller) -> dict:
    """§4.16: a segment at the end of the document (embedded on a worker before this answers)."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    segment = svc.add_segment(caller, volume_id, doc_id, body.content, body.keywords)
    stage = svc.get_document(caller, volume_id, doc_id).row.stage
    return seed003.ok(_seg(segment, stage), "新增文档片段成功")


@router.get("/{document_id}/segments/{segment_id}", response_model=E[SegmentPublic])
def get_segment(dataset_id: str, document_id: str, segment_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.20: one segment."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    chunk = _chunk(caller, volume_id, doc_id, segment_id)
    stage = svc.get_document(caller, volume_id, doc_id).row.stage
    return seed003.ok(_seg(svc.get_segment(caller, volume_id, doc_id, chunk), stage))


@router.post("/{document_id}/segments/{segment_id}", response_model=E[SegmentPublic])
def update_segment(dataset_id: str, document_id: str, segment_id: str, body: SegmentUpdate,
                   caller: seed003.BearerCaller) -> dict:
    """§4.18: edit content (re-embedded, same id) and/or keywords."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    chunk = _chunk(caller, volume_id, doc_id, segment_id)
    segment = svc.update_segment(caller, volume_id, doc_id, chunk, body.content, body.keywords)
    stage = svc.get_document(caller, volume_id, doc_id).row.stage
    return seed003.ok(_seg(segment, stage), "修改文档片段信息成功")


@router.post("/{document_id}/segments/{segment_id}/enabled", response_model=E[dict])
def set_segment_enabled(dataset_id: str, document_id: str, segment_id: str, body: EnabledUpdate,
                        caller: seed003.BearerCaller) -> dict:
    """§4.19: hide or restore one segment."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    svc.set_segment_enabled(caller, volume_id, doc_id, _chunk(caller, volume_id, doc_id, segment_id), body.enabled)
    return seed003.ok({}, "修改片段状态成功")


@router.post("/{document_id}/segments/{segment_id}/delete", response_model=E[dict])
def delete_segment(dataset_id: str, document_id: str, segment_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.17: delete one segment."""
    volume_id, doc_id = _vid(dataset_id), _did(document_id)
    svc.delete_segment(caller, volume_id, doc_id, _chunk(caller, volume_id, doc_id, segment_id))
    return seed003.ok({}, "删除文档片段成功")
