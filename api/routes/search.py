"""``POST /search``, seed 003 hit testing and recent queries, seed 004 vector-DB search."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from ingestflow.api import documents_service, search_service
from ingestflow.api.deps import CallerDep
from ingestflow.api.envelope import ok
from ingestflow.api.schemas.common import parse_id
from ingestflow.api.schemas.search import HitTestRequest, SearchRequest, VectorDbSearchRequest
from ingestflow.catalog import kb, ops
from ingestflow.errors import ValidationFailed

router = APIRouter(tags=["search"])


@router.post("/search")
def search(body: SearchRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Top-k chunks of one or more volumes (semantic | full_text | hybrid)."""
    filters = body.filters
    hits = search_service.run(
        caller, background, query=body.query, volume_ids=body.volumes(), mode=body.retrieval_strategy, k=body.k,
        score=body.score, rrf_k=body.rrf_k, tenant_code=body.tenant_code, org_code=body.org_code,
        uri_prefix=filters.uri_prefix if filters else None, file_types=filters.file_types if filters else None,
        document_ids=filters.document_ids if filters else None, filter_expr=body.filter_expr)
    results = [search_service.public_hit(h) for h in hits]
    return ok({"query": body.query, "retrieval_strategy": body.retrieval_strategy, "results": results,
               "total": len(results)})


@router.post("/vector_db_service/search_from_vector_db")
def search_from_vector_db(body: VectorDbSearchRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Seed 004: ``use_hybrid`` picks hybrid (else semantic); thresholds on cosine and on RRF."""
    if body.collection_type.upper() != "DOC":
        raise ValidationFailed(f"collection_type {body.collection_type!r} is not supported: ingestflow serves DOC")
    volumes = [*([body.volume_id] if body.volume_id else []), *(body.volume_ids or [])]
    volumes = list(dict.fromkeys(volumes)) or search_service.all_volume_ids()
    if not volumes:
        return ok({"entities": [[]]})
    mode = "hybrid" if body.use_hybrid else "semantic"
    hits = search_service.run(
        caller, background, query=body.query, volume_ids=volumes, mode=mode, k=body.limit,
        vector_threshold=body.vector_similarity_threshold,
        score=body.rrf_similarity_threshold if body.use_hybrid else body.vector_similarity_threshold,
        tenant_code=body.tenant_code, org_code=body.org_code, filter_expr=body.filter_expr, source="App")
    return ok({"entities": [[search_service.vector_db_entity(h) for h in hits]]})


@router.post("/datasets/{dataset_id}/hit")
def hit_test(dataset_id: str, body: HitTestRequest, caller: CallerDep, background: BackgroundTasks) -> dict:
    """Seed 003 §4.6 hit testing on one volume; recorded as a "Hit Testing" query."""
    volume_id = parse_id(dataset_id, "dataset_id")
    hits = search_service.run(caller, background, query=body.query, volume_ids=[volume_id],
                              mode=body.retrieval_strategy, k=body.k, score=body.score, source="Hit Testing")
    return ok(search_service.hit_test_results(hits, body.retrieval_strategy))


@router.get("/datasets/{dataset_id}")
def dataset_detail(dataset_id: str, caller: CallerDep) -> dict:
    """Seed 003 §4.5: the volume with its document, character and hit counts (a tenant key: its own)."""
    volume = ops.get_volume(parse_id(dataset_id, "dataset_id"))
    stats = kb.volume_stats(volume.id, documents_service.task_scope(caller, volume.id))
    return ok({"id": volume.id, "name": volume.name, "icon": "", "description": volume.description, **stats,
               "related_app_count": 0, "updated_at": volume.updated_at, "created_at": volume.created_at})


@router.get("/datasets/{dataset_id}/queries")
def recent_queries(dataset_id: str, caller: CallerDep) -> dict:
    """Seed 003 §4.7: the volume's 10 latest queries, newest first (a tenant key sees its own)."""
    volume = ops.get_volume(parse_id(dataset_id, "dataset_id"))
    rows = kb.recent_queries(volume.id, tenant_code=caller.tenant_code)
    return ok([{"id": q.id, "dataset_id": q.volume_id, "query": q.query, "source": q.source,
                "created_at": int(q.created_at)} for q in rows])
