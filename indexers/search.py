"""Search a volume: semantic (dense cosine), full_text (BM25) or hybrid (RRF of both).

Scores: semantic = cosine similarity clipped to [0, 1] (seed 003's normalised score);
full_text = BM25 score (≥ 0, unbounded); hybrid = RRF score (sum of 1/(k + rank)).
A ``score_threshold`` applies to the strategy's own score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from indexers.embedding import load_embedder
from indexers.milvus_store import ChunkFilter, VolumeStore
from ingestflow.catalog import ops
from ingestflow.errors import ValidationFailed
from ingestflow.records import mime_type_for
from ingestflow.settings import get_settings

STRATEGIES = ("semantic", "full_text", "hybrid")


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def search(query: str, volume_id: str, *, mode: str = "hybrid", k: int = 5, score_threshold: float | None = None,
           tenant_code: str | None = None, org_code: str | None = None, uri_prefix: str | None = None,
           file_types: list[int] | None = None, doc_ids: list[str] | None = None,
           exclude_doc_ids: list[str] | None = None, rrf_k: int = 60) -> list[SearchHit]:
    """Top-``k`` chunks of a volume for ``query``."""
    if not query or not query.strip():
        raise ValidationFailed("query must not be empty")
    if mode not in STRATEGIES:
        raise ValidationFailed(f"unknown retrieval strategy {mode!r}: use one of {', '.join(STRATEGIES)}")
    if not 1 <= k <= 1000:
        raise ValidationFailed("k must be between 1 and 1000")
    settings = get_settings()
    volume = ops.get_volume(volume_id)
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    store = VolumeStore(settings.resolved_milvus_uri, volume.collection, volume.embedding_dim, token)
    if not store.client.has_collection(volume.collection):
        return []
    vector = None
    if mode in ("semantic", "hybrid"):
        vector = load_embedder(volume.embedding_model, settings.embedding_threads).embed_query(query)
    flt = ChunkFilter(tenant_code=tenant_code, org_code=org_code, uri_prefix=uri_prefix, file_types=file_types,
                      doc_ids=doc_ids, exclude_doc_ids=exclude_doc_ids)
    raw = store.search(mode=mode, query_text=query, query_vector=vector, limit=k, flt=flt, rrf_k=rrf_k)
    hits = []
    for hit in raw:
        score = hit["distance"]
        if mode == "semantic":
            score = min(1.0, max(0.0, score))
        if score_threshold is not None and score < score_threshold:
            continue
        name = hit.get("doc_name", "")
        hits.append(SearchHit(
            chunk_id=hit["id"], content=hit.get("text", ""), score=round(float(score), 6),
            position=int(hit.get("position", 0)), page=int(hit["page"]) or None if hit.get("page") else None,
            volume_id=hit.get("volume_id", volume.id),
            document={"id": hit.get("doc_id"), "name": name, "extension": PurePosixPath(name).suffix.lstrip("."),
                      "mime_type": mime_type_for(name), "uri": hit.get("uri", "")},
        ))
    return hits
