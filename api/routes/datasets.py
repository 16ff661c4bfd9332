"""Seed 003 §4.1–4.7, §4.9–4.10: datasets, hit testing, recent queries, documents from upload files.

A dataset IS a volume (one catalog record, one Milvus collection), so seed 002's ``/volumes`` and
these routes show the same things; ids are the volume's snowflake in its uuid spelling (``seed003``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from starlette.concurrency import run_in_threadpool

from ingestflow.api import presenters, seed003
from ingestflow.api.schemas.common import Keyword, Page
from ingestflow.api.routes.volumes import embedding_dimension
from ingestflow.api.schemas.datasets import (
    BatchDocument, DatasetCreate, DatasetCreated, DatasetDetail, DatasetPage, DocumentsAdded, DocumentsCreate,
    HitRequest, RecentQuery,
)
from ingestflow.api.schemas.search import HitTestItem
from ingestflow.catalog import catalog
from ingestflow.catalog.knowledge import record_search
from ingestflow.errors import ValidationFailed
from ingestflow.services import datasets as svc
from ingestflow.services import documents
from ingestflow.services import search as search_service
from ingestflow.services.search import SearchRequest as Search

router = APIRouter(prefix="/datasets", tags=["seed 003: datasets"], responses=seed003.ERRORS)
E = seed003.Seed003Envelope


def vid(dataset_id: str) -> str:
    """The volume id a dataset id names (its uuid spelling or the snowflake itself)."""
    return seed003.from_uuid(dataset_id, "dataset_id")


def _public(volume) -> dict:  # noqa: ANN001
    return {"id": seed003.to_uuid(volume.id), "name": volume.name, "icon": volume.icon or "",
            "description": volume.description, "updated_at": volume.updated_at, "created_at": volume.created_at}


@router.get("", response_model=E[DatasetPage])
def list_datasets(caller: seed003.BearerCaller, search_word: Keyword = "",
                  current_page: Page = 1,
                  page_size: Annotated[int, Query(ge=1, le=50)] = 20) -> dict:
    """§4.1: a page of datasets whose name contains ``search_word`` (oldest first), with their counts."""
    with catalog() as c:
        if caller.is_admin:
            volumes, total = c.volumes.list(keyword=search_word.strip(), page=current_page, page_size=page_size)
        else:  # tenant keys: filter before paging so the counts are the tenant's own
            mine = [v for v in c.volumes.all() if svc.visible(caller, v) and search_word.strip() in v.name]
            total, start = len(mine), (current_page - 1) * page_size
            volumes = mine[start:start + page_size]
        items = []
        for v in volumes:
            stats = c.documents.stats(v.id)
            items.append({**_public(v), "document_count": stats["document_count"],
                          "character_count": stats["character_count"], "related_app_count": 0})
    return seed003.ok({"list": items, "paginator": presenters.paginator(current_page, page_size, total).model_dump()})


@router.post("", response_model=E[DatasetCreated])
def create_dataset(body: DatasetCreate, caller: seed003.BearerCaller) -> dict:
    """§4.2: a new dataset (a volume with the server's embedding model)."""
    volume = svc.create_dataset(caller, body.name, body.icon, body.description, embedding_dimension)
    return seed003.ok({"id": seed003.to_uuid(volume.id)}, "创建知识库成功")


@router.get("/{dataset_id}", response_model=E[DatasetDetail])
def dataset_detail(dataset_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.5: the dataset with its document, character and hit counts (a tenant key: its own documents)."""
    volume, stats = documents.volume_detail(caller, vid(dataset_id))
    return seed003.ok({**_public(volume), **stats, "related_app_count": 0})


@router.post("/{dataset_id}", response_model=E[dict])
def update_dataset(dataset_id: str, body: DatasetCreate, caller: seed003.BearerCaller) -> dict:
    """§4.3: new name / icon / description (an empty description is generated again)."""
    svc.update_dataset(caller, vid(dataset_id), body.name, body.icon, body.description)
    return seed003.ok({}, "更新知识库成功")


@router.post("/{dataset_id}/delete", response_model=E[dict])
def delete_dataset(dataset_id: str, caller: seed003.BearerCaller, background: BackgroundTasks) -> dict:
    """§4.4: the records go now (documents, segments, queries, tasks); deployments, the collection with its
    chunks and the stored files go in the background."""
    background.add_task(svc.delete_dataset(caller, vid(dataset_id)))
    return seed003.ok({}, "删除知识库成功")


@router.post("/{dataset_id}/hit", response_model=E[list[HitTestItem]])
def hit_test(dataset_id: str, body: HitRequest, caller: seed003.BearerCaller, background: BackgroundTasks) -> dict:
    """§4.6: hit testing, recorded as a "Hit Testing" query; ``score`` filters the 0–1 relevance score."""
    volume_id = vid(dataset_id)
    if body.k == 0:
        documents.volume_detail(caller, volume_id)  # an unknown dataset is still not_found
        return seed003.ok([])
    hits = search_service.search(caller, Search(
        query=body.query, volume_ids=[volume_id], mode=body.retrieval_strategy, k=body.k,
        score=body.score or None, source="Hit Testing"),
        lambda *args: background.add_task(record_search, *args))
    items = []
    for item in presenters.hit_test_items(hits, body.retrieval_strategy):
        row = item.model_dump()
        row["id"] = seed003.segment_uuid(row["id"])
        row["dataset_id"] = seed003.to_uuid(row["dataset_id"])
        items.append(row)
    return seed003.ok(items)


@router.get("/{dataset_id}/queries", response_model=E[list[RecentQuery]])
def recent_queries(dataset_id: str, caller: seed003.BearerCaller) -> dict:
    """§4.7: the dataset's 10 latest queries, newest first (a tenant key sees its own)."""
    rows = documents.recent_queries(caller, vid(dataset_id))
    return seed003.ok([{"id": seed003.to_uuid(q.id), "dataset_id": seed003.to_uuid(q.volume_id), "query": q.query,
                        "source": q.source, "created_at": int(q.created_at)} for q in rows])


@router.post("/{dataset_id}/documents", response_model=E[DocumentsAdded])
async def add_documents(dataset_id: str, body: DocumentsCreate, caller: seed003.BearerCaller) -> dict:
    """§4.9: upload files become documents of the dataset, loaded by Prefect (status ``waiting`` now)."""
    volume_id = vid(dataset_id)
    ids = [seed003.from_uuid(i, "upload_file_ids") for i in body.upload_file_ids]
    process = svc.check_process(body.process_type, body.rule)
    added = await run_in_threadpool(svc.add_documents, caller, volume_id, ids, process,
                                    caller.tenant_code or "admin")
    return seed003.ok({"documents": added.documents, "batch": added.batch})


@router.get("/{dataset_id}/documents/batch/{batch}", response_model=E[list[BatchDocument]])
def batch_progress(dataset_id: str, batch: str, caller: seed003.BearerCaller) -> dict:
    """§4.10: per document of the batch its stage, stage timestamps (0 until reached) and segment counts."""
    if not batch.isdigit() or len(batch) != 20:
        raise ValidationFailed(f"batch: {batch!r} is not a batch id (%Y%m%d%H%M%S + 6 digits)")
    keys = ("id", "name", "size", "extension", "mime_type", "position", "segment_count", "completed_segment_count",
            "error", "status", "processing_started_at", "parsing_completed_at", "splitting_completed_at",
            "completed_at", "stopped_at", "created_at")
    out = []
    for doc in svc.batch_documents(caller, vid(dataset_id), batch):
        public = presenters.document_public(doc).model_dump()
        out.append({k: public[k] for k in keys})
    return seed003.ok(out)
