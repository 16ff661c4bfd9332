"""``POST /search`` (seed 003 hit testing: ``datasets.py``; seed 004 search: ``vector_db.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks

from ingestflow.api import presenters
from ingestflow.api.deps import CallerDep
from ingestflow.api.envelope import ERRORS, Envelope, ok
from ingestflow.api.schemas.search import (
    SearchRequest, SearchResponse,
)
from ingestflow.catalog.knowledge import record_search
from ingestflow.services import search as search_service
from ingestflow.services.search import SearchRequest as Search

router = APIRouter(tags=["seed 002: search"], responses=ERRORS)


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


