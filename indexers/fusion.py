"""One 0–1 relevance score per hit, and hybrid fusion of the dense and BM25 legs.

Scores (what every threshold parameter compares with):
- semantic: cosine similarity clipped to [0, 1];
- full_text: BM25 divided by the best BM25 of the same query (the top hit scores 1.0);
- hybrid, ``weighted`` (default): ``w·cos + (1−w)·bm25_norm`` over the union of both legs'
  candidates; a candidate seen by one leg only has its other score completed by the caller (a
  filtered search of that leg restricted to those ids; no BM25 match = 0);
- hybrid, ``rrf``: sum of 1/(rrf_k + rank) divided by its maximum 2/(rrf_k + 1), so 1.0 = ranked
  first by both legs.

Plain RRF gives a weak dense model the same vote as BM25; score fusion lets the stronger leg's
margin count, which is why ``weighted`` is the default (SciFact and bilingual figures: README).
This module is pure (ids and floats); ``indexers.search`` feeds it from Milvus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingestflow.errors import ValidationFailed

METHODS = ("weighted", "rrf")
DEFAULT_METHOD = "weighted"
DEFAULT_DENSE_WEIGHT = 0.5
HYBRID_CANDIDATES = 40  # per leg (or k when larger): the union is what gets fused


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode combines its legs; ``dense_weight`` only matters for ``weighted``."""

    method: str = DEFAULT_METHOD
    dense_weight: float = DEFAULT_DENSE_WEIGHT

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValidationFailed(f"unknown fusion method {self.method!r}: use one of {', '.join(METHODS)}")
        if not 0.0 <= float(self.dense_weight) <= 1.0:
            raise ValidationFailed("fusion dense_weight must be between 0 and 1")


def stored(method: str | None, dense_weight: float | None) -> Fusion | None:
    """A volume's stored setting (either column may be NULL = the default) as a Fusion; None when unset."""
    if method is None and dense_weight is None:
        return None
    return Fusion(method or DEFAULT_METHOD, DEFAULT_DENSE_WEIGHT if dense_weight is None else float(dense_weight))


def candidates(k: int) -> int:
    """How many hits each leg contributes in hybrid mode."""
    return max(HYBRID_CANDIDATES, k)


def cosine_score(distance: float) -> float:
    """A COSINE distance from Milvus as a 0–1 score (negative similarity = 0)."""
    return min(1.0, max(0.0, float(distance)))


def normalise_bm25(scores: Mapping[str, float]) -> dict[str, float]:
    """BM25 divided by the query's best BM25 (top = 1.0); all zeros stay zeros."""
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return {key: 0.0 for key in scores}
    return {key: max(0.0, value) / best for key, value in scores.items()}


def weighted(dense: Mapping[str, float], sparse: Mapping[str, float], dense_weight: float) -> dict[str, float]:
    """``w·cos + (1−w)·bm25_norm`` per id of the union; ``sparse`` is already normalised, and an id
    missing from a leg scores 0 there (the caller completes what it can first)."""
    w = float(dense_weight)
    return {key: w * dense.get(key, 0.0) + (1.0 - w) * sparse.get(key, 0.0) for key in {*dense, *sparse}}


def rrf(dense_ranked: list[str], sparse_ranked: list[str], rrf_k: int) -> dict[str, float]:
    """Reciprocal-rank fusion of two ranked id lists (best first), normalised to 0–1."""
    fused: dict[str, float] = {}
    for ranked in (dense_ranked, sparse_ranked):
        for rank, key in enumerate(ranked, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (rrf_k + rank)
    top = 2.0 / (rrf_k + 1)
    return {key: min(1.0, value / top) for key, value in fused.items()}
