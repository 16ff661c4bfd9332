"""Search volumes: semantic (dense cosine), full_text (BM25) or hybrid (fusion of both).

Every hit carries one 0–1 score (defined in ``indexers.fusion``): cosine; BM25 over the query's
best BM25; or the fused score. ``score_threshold`` applies to it in every mode; ``vector_threshold``
drops candidates whose cosine is below it before fusion (seed 004's ``vector_similarity_threshold``).

Several volumes: both legs merge over all volumes before normalising and fusing, so one
volume's hits compete with another's on equal terms.
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
from ingestflow.indexers.fusion import Fusion, candidates, cosine_score, normalise_bm25, rrf, weighted
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
    """One volume to search, with what must never come back from it (disabled documents and segments)
    and its own hybrid fusion (None = the default), used when the request names none."""

    volume: SearchVolume
    exclude_doc_ids: Sequence[str] = ()
    exclude_chunk_ids: Sequence[str] = ()
    fusion: Fusion | None = None


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
                   flt: ChunkFilter | None = None, clause: MilvusExpr | None = None,
                   fusion: Fusion | None = None) -> list[SearchHit]:
    """Top-``k`` chunks over several volumes, each with its 0–1 score; ``flt`` and ``clause`` restrict
    every volume; ``fusion`` says how hybrid combines its legs for every volume, else each target's
    own (else the default). A candidate is fused by its volume's setting; all are 0–1."""
    check_request(query, mode, k, rrf_k)
    fusions = {t.volume.id: fusion or t.fusion or Fusion() for t in targets}
    base = flt or ChunkFilter()
    fetch = k if mode != "hybrid" else candidates(k)
    dense: dict[Key, float] = {}
    sparse: dict[Key, float] = {}  # raw BM25 until normalised
    raws: dict[Key, tuple[Any, dict]] = {}
    legs: list[tuple[Any, Any, ChunkFilter, list[float] | None]] = []
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
        vector = None
        if mode in ("semantic", "hybrid"):
            if volume.embedding_model not in vectors:
                vectors[volume.embedding_model] = embedder_for(volume).embed_query(query)
            vector = vectors[volume.embedding_model]
            _collect(dense, raws, volume, store.search(mode="semantic", query_text=query, query_vector=vector,
                                                       limit=fetch, flt=vflt), cosine_score)
        if mode in ("full_text", "hybrid"):
            _collect(sparse, raws, volume, store.search(mode="full_text", query_text=query, query_vector=None,
                                                        limit=fetch, flt=vflt), float)
        legs.append((volume, store, vflt, vector))
    dense_ranked = _ranked(dense)
    sparse_ranked = _ranked(sparse)
    if mode == "hybrid":
        for volume, store, vflt, vector in legs:  # complete each weighted candidate's missing leg
            if fusions[volume.id].method != "weighted":
                continue
            mine = [key for key in raws if key[0] == volume.id]
            _complete(dense, raws, volume, store, vflt, query, vector, "semantic",
                      [key for key in mine if key not in dense], cosine_score)
            _complete(sparse, raws, volume, store, vflt, query, None, "full_text",
                      [key for key in mine if key not in sparse], float)
    if vector_threshold is not None and mode != "full_text":
        # seed 004's vector_similarity_threshold: the dense leg's cosine, before fusion
        kept = {key for key, cos in dense.items() if cos >= vector_threshold}
        dense = {key: cos for key, cos in dense.items() if key in kept}
        if mode == "hybrid":
            sparse = {key: s for key, s in sparse.items() if key in kept}
            dense_ranked = [key for key in dense_ranked if key in kept]
            sparse_ranked = [key for key in sparse_ranked if key in kept]
    if mode == "semantic":
        scores = dense
    elif mode == "full_text":
        scores = normalise_bm25(sparse)
    else:
        scores = _fuse(dense, sparse, dense_ranked[:fetch], sparse_ranked[:fetch], rrf_k, fusions)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if score_threshold is not None:
        ranked = [(key, score) for key, score in ranked if score >= score_threshold]
    return [_hit(score, *raws[key]) for key, score in ranked[:k]]


Key = tuple[str, str]  # (volume id, chunk id): ids from different volumes never merge


def _fuse(dense: dict[Key, float], sparse: dict[Key, float], dense_ranked: list[Key], sparse_ranked: list[Key],
          rrf_k: int, fusions: dict[str, Fusion]) -> dict[Key, float]:
    """Hybrid scores: each candidate fused by its own volume's method and weight."""
    by_rrf = rrf(dense_ranked, sparse_ranked, rrf_k) if any(f.method == "rrf" for f in fusions.values()) else {}
    bm25 = normalise_bm25(sparse)
    scores: dict[Key, float] = {}
    for key in {*dense, *sparse}:
        chosen = fusions[key[0]]
        if chosen.method == "rrf":
            if key in by_rrf:
                scores[key] = by_rrf[key]
        else:
            scores[key] = weighted({key: dense.get(key, 0.0)}, {key: bm25.get(key, 0.0)}, chosen.dense_weight)[key]
    return scores


def _collect(into: dict[Key, float], raws: dict[Key, tuple[Any, dict]], volume: Any, hits: list[dict],
             score: Any) -> None:
    for hit in hits:
        key = (volume.id, hit["id"])
        into[key] = score(hit["distance"])
        raws.setdefault(key, (volume, hit))


def _complete(into: dict[Key, float], raws: dict[Key, tuple[Any, dict]], volume: Any, store: Any,
              vflt: ChunkFilter, query: str, vector: list[float] | None, leg: str, missing: list[Key],
              score: Any) -> None:
    """Score ``missing`` candidates on ``leg`` with a search restricted to their ids; ids the leg cannot
    match (no query term in the chunk) score 0."""
    if not missing:
        return
    ids = [chunk_id for _vol, chunk_id in missing]
    restricted = ChunkFilter(**{**vflt.__dict__, "chunk_ids": ids})
    _collect(into, raws, volume, store.search(mode=leg, query_text=query, query_vector=vector, limit=len(ids),
                                              flt=restricted), score)
    for key in missing:
        into.setdefault(key, 0.0)


def _ranked(scores: dict[Key, float]) -> list[Key]:
    return sorted(scores, key=lambda key: (-scores[key], key))


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
