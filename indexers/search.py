"""Search volumes: semantic (dense cosine), full_text (BM25) or hybrid (RRF of both).

Scores: semantic = cosine similarity clipped to [0, 1] (seed 003's normalised score);
full_text = BM25 score (≥ 0, unbounded); hybrid = RRF score (sum of 1/(rrf_k + rank)).
``score_threshold`` applies to the strategy's own score; ``vector_threshold`` drops dense
candidates below a cosine before they are fused (seed 004's ``vector_similarity_threshold``).

Several volumes: semantic lists merge by cosine, BM25 lists by BM25 score, and hybrid fuses
the two merged lists by rank, so one volume's hits compete with another's on equal terms.
Callers pass what must never come back (disabled documents and segments, catalog state) per
volume; it is excluded server-side in the Milvus filter, so ``k`` results still come back. This
module knows Milvus and the embedders only: ``ingestflow.services.search`` adds the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

from ingestflow.errors import ValidationFailed
from ingestflow.indexers.embedding import embedder_for
from ingestflow.indexers.filter_expr import MilvusExpr
from ingestflow.indexers.milvus_store import ChunkFilter, volume_store
from ingestflow.records import mime_type_for

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


class SearchVolume(Protocol):
    """What search needs of a volume (a catalog ``Volume`` is one)."""

    id: str
    name: str
    collection: str
    embedding_model: str
    embedding_dim: int


@dataclass
class Target:
    """One volume to search, with what must never come back from it (disabled documents and segments)."""

    volume: SearchVolume
    exclude_doc_ids: Sequence[str] = ()
    exclude_chunk_ids: Sequence[str] = ()


def check_request(query: str, mode: str, k: int, rrf_k: int) -> None:
    """ValidationFailed for an empty query, an unknown strategy, or k / rrf_k out of range."""
    if not query or not query.strip():
        raise ValidationFailed("query must not be empty")
    if mode not in STRATEGIES:
        raise ValidationFailed(f"unknown retrieval strategy {mode!r}: use one of {', '.join(STRATEGIES)}")
    if not 1 <= k <= MAX_K:
        raise ValidationFailed(f"k must be between 1 and {MAX_K}")
    if rrf_k < 1:
        raise ValidationFailed("rrf_k must be at least 1")


def search_targets(query: str, targets: Sequence[Target], *, mode: str = "hybrid", k: int = 5,
                   score_threshold: float | None = None, vector_threshold: float | None = None, rrf_k: int = 60,
                   flt: ChunkFilter | None = None, clause: MilvusExpr | None = None) -> list[SearchHit]:
    """Top-``k`` chunks over several volumes; ``flt`` and ``clause`` restrict every volume."""
    check_request(query, mode, k, rrf_k)
    base = flt or ChunkFilter()
    fetch = k if mode != "hybrid" else max(k * 2, 20)
    dense: list[tuple[float, Any, dict]] = []
    sparse: list[tuple[float, Any, dict]] = []
    vectors: dict[str, list[float]] = {}
    for target in targets:
        volume = target.volume
        store = volume_store(volume)
        if not store.exists():
            continue
        vflt = ChunkFilter(**{**base.__dict__, "clause": clause,
                              "exclude_doc_ids": sorted({*(base.exclude_doc_ids or []), *target.exclude_doc_ids}) or None,
                              "exclude_chunk_ids": sorted({*(base.exclude_chunk_ids or []),
                                                           *target.exclude_chunk_ids}) or None})
        if mode in ("semantic", "hybrid"):
            if volume.embedding_model not in vectors:
                vectors[volume.embedding_model] = embedder_for(volume).embed_query(query)
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
    return [_hit(score, volume, raw) for score, volume, raw in ranked[:k]]


def _rrf(dense: list, sparse: list, rrf_k: int) -> list[tuple[float, Any, dict]]:
    """Reciprocal-rank fusion of two ranked lists (rank 1 = best)."""
    fused: dict[str, list] = {}
    for ranked in (dense, sparse):
        for rank, (_score, volume, hit) in enumerate(ranked, start=1):
            entry = fused.setdefault(hit["id"], [0.0, volume, hit])
            entry[0] += 1.0 / (rrf_k + rank)
    return sorted((tuple(v) for v in fused.values()), key=lambda t: -t[0])


def _hit(score: float, volume: SearchVolume, hit: dict) -> SearchHit:
    doc_id = hit.get("doc_id", "")
    name = source_name = hit.get("doc_name", "")
    return SearchHit(
        chunk_id=hit["id"], content=hit.get("text", ""), score=round(float(score), 6),
        position=int(hit.get("position", 0)), page=int(hit["page"]) if hit.get("page") else None,
        volume_id=hit.get("volume_id") or volume.id,
        document={"id": doc_id, "name": name, "extension": PurePosixPath(source_name).suffix.lstrip("."),
                  "mime_type": mime_type_for(source_name), "uri": hit.get("uri", "")},
        token_count=int(hit.get("token_count") or 0), char_count=int(hit.get("char_count") or len(hit.get("text", ""))),
        content_hash=hit.get("content_hash", ""),
    )
