"""Search volumes: semantic (dense cosine), full_text (BM25) or hybrid (RRF of both).

Scores: semantic = cosine similarity clipped to [0, 1] (seed 003's normalised score);
full_text = BM25 score (≥ 0, unbounded); hybrid = RRF score (sum of 1/(rrf_k + rank)).
``score_threshold`` applies to the strategy's own score; ``vector_threshold`` drops dense
candidates below a cosine before they are fused (seed 004's ``vector_similarity_threshold``).

Several volumes: semantic lists merge by cosine, BM25 lists by BM25 score, and hybrid fuses
the two merged lists by rank, so one volume's hits compete with another's on equal terms.
Disabled documents and segments (catalog state) are excluded server-side in every search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ingestflow.indexers.embedding import load_embedder
from ingestflow.indexers.filter_expr import MilvusExpr
from ingestflow.indexers.milvus_store import ChunkFilter, VolumeStore
from ingestflow.catalog import kb, ops
from ingestflow.errors import ValidationFailed
from ingestflow.records import mime_type_for
from ingestflow.settings import get_settings

STRATEGIES = ("semantic", "full_text", "hybrid")
MAX_K = 1000


@dataclass
class SearchHit:
    """One retrieved chunk with its document."""

    chunk_id: str
    content: str
    score: float
    position: int
    page: int | None
    volume_id: str
    document: dict[str, Any]
    token_count: int = 0
    char_count: int = 0
    content_hash: str = field(default="", repr=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def volume_store(volume) -> VolumeStore:  # noqa: ANN001
    """The Milvus collection of a catalog volume."""
    settings = get_settings()
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    return VolumeStore(settings.resolved_milvus_uri, volume.collection, volume.embedding_dim, token)


def search(query: str, volume_id: str, *, mode: str = "hybrid", k: int = 5, score_threshold: float | None = None,
           tenant_code: str | None = None, org_code: str | None = None, uri_prefix: str | None = None,
           file_types: list[int] | None = None, doc_ids: list[str] | None = None,
           exclude_doc_ids: list[str] | None = None, rrf_k: int = 60, clause: MilvusExpr | None = None,
           vector_threshold: float | None = None) -> list[SearchHit]:
    """Top-``k`` chunks of one volume for ``query``."""
    return search_volumes(query, [volume_id], mode=mode, k=k, score_threshold=score_threshold,
                          vector_threshold=vector_threshold, rrf_k=rrf_k, clause=clause,
                          flt=ChunkFilter(tenant_code=tenant_code, org_code=org_code, uri_prefix=uri_prefix,
                                          file_types=file_types, doc_ids=doc_ids, exclude_doc_ids=exclude_doc_ids))


def search_volumes(query: str, volume_ids: Sequence[str], *, mode: str = "hybrid", k: int = 5,
                   score_threshold: float | None = None, vector_threshold: float | None = None, rrf_k: int = 60,
                   flt: ChunkFilter | None = None, clause: MilvusExpr | None = None) -> list[SearchHit]:
    """Top-``k`` chunks over several volumes; ``flt`` and ``clause`` restrict every volume."""
    if not query or not query.strip():
        raise ValidationFailed("query must not be empty")
    if mode not in STRATEGIES:
        raise ValidationFailed(f"unknown retrieval strategy {mode!r}: use one of {', '.join(STRATEGIES)}")
    if not 1 <= k <= MAX_K:
        raise ValidationFailed(f"k must be between 1 and {MAX_K}")
    if rrf_k < 1:
        raise ValidationFailed("rrf_k must be at least 1")
    if not volume_ids:
        raise ValidationFailed("give at least one volume")
    base = flt or ChunkFilter()
    fetch = k if mode != "hybrid" else max(k * 2, 20)
    dense: list[tuple[float, Any, dict]] = []
    sparse: list[tuple[float, Any, dict]] = []
    vectors: dict[str, list[float]] = {}
    for volume in [ops.get_volume(v) for v in dict.fromkeys(volume_ids)]:
        store = volume_store(volume)
        if not store.client.has_collection(volume.collection):
            continue
        off_docs, off_chunks = kb.disabled(volume.id)
        vflt = ChunkFilter(**{**base.__dict__, "clause": clause,
                              "exclude_doc_ids": sorted({*(base.exclude_doc_ids or []), *off_docs}) or None,
                              "exclude_chunk_ids": sorted({*(base.exclude_chunk_ids or []), *off_chunks}) or None})
        if mode in ("semantic", "hybrid"):
            if volume.embedding_model not in vectors:
                embedder = load_embedder(volume.embedding_model, get_settings().embedding_threads)
                vectors[volume.embedding_model] = embedder.embed_query(query)
            for hit in store.search(mode="semantic", query_text=query, query_vector=vectors[volume.embedding_model],
                                    limit=fetch, flt=vflt):
                dense.append((min(1.0, max(0.0, hit["distance"])), volume, hit))
        if mode in ("full_text", "hybrid"):
            for hit in store.search(mode="full_text", query_text=query, query_vector=None, limit=fetch, flt=vflt):
                sparse.append((hit["distance"], volume, hit))
    dense.sort(key=lambda t: -t[0])
    sparse.sort(key=lambda t: -t[0])
    if vector_threshold is not None:
        dense = [t for t in dense if t[0] >= vector_threshold]
    if mode == "semantic":
        ranked = dense
    elif mode == "full_text":
        ranked = sparse
    else:
        ranked = _rrf(dense[:fetch], sparse[:fetch], rrf_k)
    if score_threshold is not None:
        ranked = [t for t in ranked if t[0] >= score_threshold]
    ranked = ranked[:k]
    names = kb.document_names(t[2].get("doc_id", "") for t in ranked)
    return [_hit(score, volume, raw, names) for score, volume, raw in ranked]


def _rrf(dense: list, sparse: list, rrf_k: int) -> list[tuple[float, Any, dict]]:
    """Reciprocal-rank fusion of two ranked lists (rank 1 = best)."""
    fused: dict[str, list] = {}
    for ranked in (dense, sparse):
        for rank, (_score, volume, hit) in enumerate(ranked, start=1):
            entry = fused.setdefault(hit["id"], [0.0, volume, hit])
            entry[0] += 1.0 / (rrf_k + rank)
    return sorted((tuple(v) for v in fused.values()), key=lambda t: -t[0])


def _hit(score: float, volume, hit: dict, names: dict[str, str]) -> SearchHit:  # noqa: ANN001
    doc_id = hit.get("doc_id", "")
    name = names.get(doc_id) or hit.get("doc_name", "")
    source_name = hit.get("doc_name", "") or name
    return SearchHit(
        chunk_id=hit["id"], content=hit.get("text", ""), score=round(float(score), 6),
        position=int(hit.get("position", 0)), page=int(hit["page"]) if hit.get("page") else None,
        volume_id=hit.get("volume_id") or volume.id,
        document={"id": doc_id, "name": name, "extension": PurePosixPath(source_name).suffix.lstrip("."),
                  "mime_type": mime_type_for(source_name), "uri": hit.get("uri", "")},
        token_count=int(hit.get("token_count") or 0), char_count=int(hit.get("char_count") or len(hit.get("text", ""))),
        content_hash=hit.get("content_hash", ""),
    )
