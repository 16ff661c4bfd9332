"""``POST /search``, seed 003 hit testing and recent queries, seed 004 vector-DB search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks

from ingestflow.api import presenters
from ingestflow.api.deps import CallerDep
from ingestflow.api.envelope import ERRORS, Envelope, ok
from ingestflow.api.schemas.common import parse_id
from ingestflow.api.schemas.search import (
    DatasetDetail, HitTestItem, HitTestRequest, RecentQuery, SearchRequest, SearchResponse, VectorDbRequest,
    VectorDbResponse,
)
from ingestflow.catalog.knowledge import record_search
from ingestflow.errors import ValidationFailed
from ingestflow.services import documents, search as search_service
from ingestflow.services.search import SearchRequest as Search

router = APIRouter(tags=["search"], responses=ERRORS)


def _recorder(background: BackgroundTasks) -> Any:
    """Hits and the query are recorded after the response is sent."""
    return lambda *args: background.add_task(record_search, *args)


@router.post("/search", response_model=Envelope[SearchResponse])
def search(body: SearchRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Top-k chunks of one or more volumes (semantic | full_text | hybrid)."""
    filters = body.filters
    hits = search_service.search(caller, Search(
        query=body.query, volume_ids=body.volumes(), mode=body.retrieval_strategy, k=body.k, score=body.score,
        rrf_k=body.rrf_k, fusion=presenters.fusion_of(body.fusion),
        tenant_code=body.tenant_code or None, org_code=body.org_code or None,
        uri_prefix=filters.uri_prefix if filters else None, file_types=filters.file_types if filters else None,
        document_ids=filters.document_ids if filters else None, filter_expr=body.filter_expr), _recorder(background))
    results = [presenters.hit_public(h) for h in hits]
    return ok({"query": body.query, "retrieval_strategy": body.retrieval_strategy, "results": results,
               "total": len(results)})


@router.post("/vector_db_service/search_from_vector_db", response_model=Envelope[VectorDbResponse])
def search_from_vector_db(body: VectorDbRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Seed 004: ``use_hybrid`` picks hybrid (else semantic); thresholds on the cosine and on the fused 0–1 score."""
    if body.collection_type.upper() != "DOC":
        raise ValidationFailed(f"collection_type {body.collection_type!r} is not supported: ingestflow serves DOC")
    volumes = [*([body.volume_id] if body.volume_id else []), *(body.volume_ids or [])]
    volumes = list(dict.fromkeys(volumes)) or search_service.all_volume_ids()
    if not volumes:
        return ok({"entities": [[]]})
    hits = search_service.search(caller, Search(
        query=body.query, volume_ids=volumes, mode="hybrid" if body.use_hybrid else "semantic", k=body.limit,
        vector_threshold=body.vector_similarity_threshold,
        score=body.rrf_similarity_threshold if body.use_hybrid else body.vector_similarity_threshold,
        tenant_code=body.tenant_code or None, org_code=body.org_code or None, filter_expr=body.filter_expr,
        source="App"),
        _recorder(background))
    return ok({"entities": [[presenters.vector_db_entity(h) for h in hits]]})


@router.post("/datasets/{dataset_id}/hit", response_model=Envelope[list[HitTestItem]])
def hit_test(dataset_id: str, body: HitTestRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Seed 003 §4.6 hit testing on one volume; recorded as a "Hit Testing" query."""
    hits = search_service.search(caller, Search(
        query=body.query, volume_ids=[parse_id(dataset_id, "dataset_id")], mode=body.retrieval_strategy, k=body.k,
        score=body.score, source="Hit Testing"), _recorder(background))
    return ok(presenters.hit_test_items(hits, body.retrieval_strategy))


@router.get("/datasets/{dataset_id}", response_model=Envelope[DatasetDetail])
def dataset_detail(dataset_id: str, caller: CallerDep) -> dict:
    """Seed 003 §4.5: the volume with its document, character and hit counts (a tenant key: its own)."""
    volume, stats = documents.volume_detail(caller, parse_id(dataset_id, "dataset_id"))
    return ok({"id": volume.id, "name": volume.name, "icon": "", "description": volume.description, **stats,
               "related_app_count": 0, "updated_at": volume.updated_at, "created_at": volume.created_at})


@router.get("/datasets/{dataset_id}/queries", response_model=Envelope[list[RecentQuery]])
def recent_queries(dataset_id: str, caller: CallerDep) -> dict:
    """Seed 003 §4.7: the volume's 10 latest queries, newest first (a tenant key sees its own)."""
    rows = documents.recent_queries(caller, parse_id(dataset_id, "dataset_id"))
    return ok([{"id": q.id, "dataset_id": q.volume_id, "query": q.query, "source": q.source,
                "created_at": int(q.created_at)} for q in rows])
