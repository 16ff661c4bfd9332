"""Search for the API: the caller's tenant scope, filters, recording hits and recent queries.

Tenant scope: an admin key searches what the body asks for (``tenant_code``/``org_code`` as
filters, empty = no filter); a tenant-bound key always searches its own tenant (and org, when
the key names one) — the body's codes and the ``filter_expr`` can only narrow that further.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import BackgroundTasks

from ingestflow.api.deps import Caller
from ingestflow.indexers.filter_expr import compile_filter
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.indexers.search import SearchHit, search_volumes
from ingestflow.catalog import kb, ops
from ingestflow.errors import ValidationFailed


def scope(caller: Caller, tenant_code: str | None, org_code: str | None) -> tuple[str | None, str | None]:
    """(tenant, org) filters to apply: the key's binding wins over anything the request says."""
    if caller.is_admin:
        return tenant_code or None, org_code or None
    return caller.tenant_code, caller.org_code if caller.org_code is not None else (org_code or None)


def run(caller: Caller, background: BackgroundTasks, *, query: str, volume_ids: Sequence[str], mode: str, k: int,
        score: float | None = None, vector_threshold: float | None = None, rrf_k: int = 60,
        tenant_code: str | None = None, org_code: str | None = None, uri_prefix: str | None = None,
        file_types: Sequence[int] | None = None, document_ids: Sequence[str] | None = None,
        filter_expr: str | None = None, source: str = "API") -> list[SearchHit]:
    """Search, then (after the response) count hits and record the query per volume."""
    if not volume_ids:
        raise ValidationFailed("volume_id or volume_ids: give at least one volume")
    clause = compile_filter(filter_expr)
    tenant, org = scope(caller, tenant_code, org_code)
    flt = ChunkFilter(tenant_code=tenant, org_code=org, uri_prefix=uri_prefix or None,
                      file_types=list(file_types) if file_types else None,
                      doc_ids=list(document_ids) if document_ids else None)
    hits = search_volumes(query, volume_ids, mode=mode, k=k, score_threshold=score,
                          vector_threshold=vector_threshold, rrf_k=rrf_k, flt=flt, clause=clause)
    background.add_task(kb.record_search, list(volume_ids), query, source,
                        [(h.chunk_id, h.volume_id, h.document["id"]) for h in hits], caller.tenant_code)
    return hits


def all_volume_ids() -> list[str]:
    """Every volume (seed 004 searches the whole store when no volume is named)."""
    return [v.id for v in ops.list_volumes()]


def public_hit(hit: SearchHit) -> dict[str, Any]:
    """The contract's result shape."""
    return {"chunk_id": hit.chunk_id, "content": hit.content, "score": hit.score, "position": hit.position,
            "page": hit.page, "volume_id": hit.volume_id, "document": dict(hit.document)}


def hit_test_results(hits: list[SearchHit], mode: str) -> list[dict[str, Any]]:
    """Seed 003 §4.6 segment dicts (hit_count includes this query)."""
    states = kb.segment_states(h.chunk_id for h in hits)
    out = []
    for h in hits:
        state = states.get(h.chunk_id)
        doc = {k: h.document[k] for k in ("id", "name", "extension", "mime_type")}
        out.append({
            "id": h.chunk_id, "document": doc, "dataset_id": h.volume_id, "score": h.score,
            "position": h.position, "content": h.content, "keywords": list(state.keywords or []) if state else [],
            "character_count": h.char_count, "token_count": h.token_count,
            "hit_count": (state.hit_count if state else 0) + 1, "enabled": True,
            "disabled_at": 0, "status": "completed", "error": "", "retrieval_strategy": mode,
            "updated_at": state.updated_at if state else 0, "created_at": state.created_at if state else 0,
        })
    return out


def vector_db_entity(hit: SearchHit) -> dict[str, Any]:
    """Seed 004 entity of a DOC collection."""
    return {"id": hit.chunk_id, "content": hit.content, "doc_id": hit.document["id"], "doc_name": hit.document["name"],
            "source": hit.document["uri"], "score": hit.score, "position": hit.position, "page": hit.page,
            "volume_id": hit.volume_id}
