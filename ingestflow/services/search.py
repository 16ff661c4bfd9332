"""Search with the catalog: the caller's tenant scope, disabled state, display names, recorded queries.

Tenant scope: an admin searches what the request asks for (``tenant_code``/``org_code`` as
filters: None = no filter, "" = chunks without a tenant); a tenant-bound caller always searches its
own tenant (and org, when its key names one) — the request's codes and the ``filter_expr`` can
only narrow that further. (The API families send None for an empty code: "no filter" there.)
The API, the CLI and the benchmarks all search through here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ingestflow.catalog import catalog
from ingestflow.catalog.knowledge import record_search
from ingestflow.errors import ValidationFailed
from ingestflow.indexers.filter_expr import compile_filter
from ingestflow.indexers.fusion import Fusion, stored
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.indexers.search import SearchHit, Target, check_request, search_targets
from ingestflow.tenancy import Scope


@dataclass(frozen=True)
class SearchRequest:
    """One search, in every API family's terms."""

    query: str
    volume_ids: Sequence[str]
    mode: str = "hybrid"
    k: int = 10
    score: float | None = None
    vector_threshold: float | None = None
    rrf_k: int = 60
    fusion: Fusion | None = None  # hybrid only; None = each volume's stored setting, else the default
    tenant_code: str | None = None
    org_code: str | None = None
    uri_prefix: str | None = None
    file_types: Sequence[int] | None = None
    document_ids: Sequence[str] | None = None
    filter_expr: str | None = None
    source: str = "API"  # recorded with the query: "API", "App", "Hit Testing", "CLI"


def scoped_codes(scope: Scope, tenant_code: str | None, org_code: str | None) -> tuple[str | None, str | None]:
    """(tenant, org) filters to apply: a tenant-bound caller's binding wins over anything the request says."""
    if scope.is_admin:
        return tenant_code, org_code
    return scope.tenant_code, scope.org_code if scope.org_code is not None else org_code


def search(scope: Scope, request: SearchRequest,
           record: Callable[..., Any] | None = record_search) -> list[SearchHit]:
    """Search the request's volumes; ``record(volume_ids, query, source, hits, tenant)`` counts hits and
    records the query (the API passes a background task; None records nothing)."""
    if not request.volume_ids:
        raise ValidationFailed("volume_id or volume_ids: give at least one volume")
    check_request(request.query, request.mode, request.k, request.rrf_k)
    clause = compile_filter(request.filter_expr)
    tenant, org = scoped_codes(scope, request.tenant_code, request.org_code)
    flt = ChunkFilter(tenant_code=tenant, org_code=org, uri_prefix=request.uri_prefix or None,
                      file_types=list(request.file_types) if request.file_types else None,
                      doc_ids=list(request.document_ids) if request.document_ids else None)
    with catalog() as c:
        targets = []
        for volume_id in dict.fromkeys(request.volume_ids):
            volume = c.volumes.get(volume_id)
            off_docs, off_chunks = c.documents.disabled(volume.id)
            own = stored(volume.fusion_method, volume.fusion_dense_weight)
            targets.append(Target(volume, off_docs, off_chunks, own))
    hits = search_targets(request.query, targets, mode=request.mode, k=request.k, score_threshold=request.score,
                          vector_threshold=request.vector_threshold, rrf_k=request.rrf_k, flt=flt, clause=clause,
                          fusion=request.fusion)
    with catalog() as c:
        names = c.documents.names(h.document["id"] for h in hits)
    hits = [replace(h, document={**h.document, "name": names[h.document["id"]]}) if h.document["id"] in names else h
            for h in hits]
    if record is not None:
        record(list(request.volume_ids), request.query, request.source,
               [(h.chunk_id, h.volume_id, h.document["id"]) for h in hits], scope.tenant_code)
    return hits


def all_volume_ids() -> list[str]:
    """Every volume (seed 004 searches the whole store when no volume is named)."""
    with catalog() as c:
        return [v.id for v in c.volumes.all()]
