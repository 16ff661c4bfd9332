"""The 0–1 relevance score and hybrid fusion (``indexers.fusion``)."""

from __future__ import annotations

import pytest

from ingestflow.errors import ValidationFailed
from ingestflow.indexers.fusion import (
    DEFAULT_DENSE_WEIGHT, Fusion, candidates, cosine_score, normalise_bm25, rrf, stored, weighted,
)


def test_cosine_is_clipped_to_0_1() -> None:
    assert [cosine_score(d) for d in (-0.3, 0.0, 0.42, 1.0000002)] == [0.0, 0.0, 0.42, 1.0]


def test_bm25_is_divided_by_the_querys_best() -> None:
    assert normalise_bm25({"a": 8.0, "b": 2.0, "c": 0.0}) == {"a": 1.0, "b": 0.25, "c": 0.0}
    assert normalise_bm25({"a": 0.0}) == {"a": 0.0} and normalise_bm25({}) == {}


def test_weighted_fuses_the_union_and_a_missing_leg_scores_zero() -> None:
    fused = weighted({"a": 0.8, "b": 0.6}, {"b": 1.0, "c": 0.5}, 0.5)
    assert fused == pytest.approx({"a": 0.4, "b": 0.8, "c": 0.25})
    assert weighted({"a": 0.8}, {"a": 0.2}, 1.0) == pytest.approx({"a": 0.8})
    assert weighted({"a": 0.8}, {"a": 0.2}, 0.0) == pytest.approx({"a": 0.2})


def test_a_strong_leg_outvotes_a_weak_one_where_rrf_ties() -> None:
    # BM25 is sure of "x" (1.0 vs 0.1); the dense leg barely prefers "y" (0.31 vs 0.30)
    dense, sparse = {"y": 0.31, "x": 0.30}, {"x": 1.0, "y": 0.1}
    fused = weighted(dense, sparse, DEFAULT_DENSE_WEIGHT)
    assert max(fused, key=fused.get) == "x"
    by_rank = rrf(["y", "x"], ["x", "y"], 60)
    assert by_rank["x"] == pytest.approx(by_rank["y"])  # rank fusion cannot tell them apart


def test_rrf_is_normalised_so_first_in_both_legs_is_one() -> None:
    scores = rrf(["a", "b"], ["a", "c"], 60)
    assert scores["a"] == pytest.approx(1.0)
    assert scores["b"] == pytest.approx((1 / 62) / (2 / 61)) and scores["c"] == scores["b"]
    assert all(0 <= v <= 1 for v in scores.values())


def test_candidates_per_leg() -> None:
    assert candidates(5) == 40 and candidates(100) == 100


@pytest.mark.parametrize("kwargs", [{"method": "sum"}, {"dense_weight": 1.5}, {"dense_weight": -0.1}])
def test_bad_fusion_params_are_validation_errors(kwargs) -> None:
    with pytest.raises(ValidationFailed):
        Fusion(**kwargs)


def test_a_volumes_stored_setting_fills_the_missing_column_with_the_default() -> None:
    assert stored(None, None) is None  # unset: the server default applies
    assert stored("rrf", None) == Fusion("rrf", DEFAULT_DENSE_WEIGHT)
    assert stored(None, 0.3) == Fusion("weighted", 0.3)
    with pytest.raises(ValidationFailed):
        stored("sum", 0.5)
