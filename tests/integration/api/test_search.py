"""POST /search, hit testing, seed-004 search: strategies, thresholds, disabled state, tenant keys."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.support import catalog as cat
from ingestflow.api import seed003
from tests.support.api import Seed003Client, ok003, ok004, ok_data
from tests.support.kb_corpus import PARAPHRASE, PLANTED, PRODUCT_CODE, SEARCH_CORPUS, SECRET, load_folder, write

pytestmark = pytest.mark.slow
TENANT_KEY = "tenant-a-key-7c1d"
ORG2_KEY = "tenant-a-org2-key-19fe"


@pytest.fixture(scope="module")
def client(client):  # seed 003's Bearer auth on its routes
    return Seed003Client(client)


@pytest.fixture(scope="module")
def vols(client, tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("kb-search")
    load_folder(write(root / "main", SEARCH_CORPUS), "search-vol", tenant_code="tenant-a", org_code="org-1")
    load_folder(write(root / "tenant-b", SECRET), "search-vol", tenant_code="tenant-b")
    load_folder(write(root / "other", {"lighthouse.txt": "The lighthouse keeper climbs one hundred steps every "
                                                         "evening to light the lamp.\n"}), "search-vol-2",
                tenant_code="tenant-a", org_code="org-2")
    return {"main": cat.volume_named("search-vol").id, "other": cat.volume_named("search-vol-2").id}


@pytest.fixture(scope="module", autouse=True)
def tenant_keys():
    from ingestflow.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(get_settings(), "tenant_api_keys", [SecretStr(f"{TENANT_KEY}:tenant-a"),
                                                       SecretStr(f"{ORG2_KEY}:tenant-a:org-2")])
        yield


def _search(client, key: str | None = None, **body) -> list[dict]:  # noqa: ANN001
    headers = {"moi-key": key} if key else {}
    data = ok_data(client.post("/search", json=body, headers=headers))
    assert data["total"] == len(data["results"]) and data["query"] == body["query"]
    return data["results"]


def _uris(results: list[dict]) -> list[str]:
    return [r["document"]["uri"] for r in results]


def _doc_id(client, volume_id: str, name: str) -> str:  # noqa: ANN001
    docs = ok003(client.get(f"/datasets/{volume_id}/documents", params={"search_word": name}))["list"]
    assert [d["name"] for d in docs] == [name]
    return docs[0]["id"]


@pytest.mark.parametrize("strategy", ["semantic", "full_text", "hybrid"])
def test_each_strategy_returns_the_planted_answer_first(client, vols, strategy) -> None:
    misses = {}
    for name, query in PLANTED.items():
        got = _uris(_search(client, query=query, volume_id=vols["main"], retrieval_strategy=strategy, k=3,
                            tenant_code="tenant-a"))  # tenant-b's secret is about pandas too
        if not got or got[0] != name:
            misses[name] = got
    assert not misses


def test_result_shape_and_semantic_scores_in_unit_range(client, vols) -> None:
    results = _search(client, query="大熊猫吃什么食物", volume_id=vols["main"], retrieval_strategy="semantic", top_k=4)
    assert len(results) == 4
    first = results[0]
    assert set(first) == {"chunk_id", "content", "score", "position", "page", "volume_id", "document"}
    assert first["document"]["name"] == "熊猫.md" and first["document"]["extension"] == "md"
    assert first["document"]["mime_type"] == "text/markdown" and first["volume_id"] == vols["main"]
    assert "竹子" in first["content"]
    assert all(0.0 <= r["score"] <= 1.0 for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_hybrid_finds_an_exact_code_only_bm25_finds(client, vols) -> None:
    body = {"query": PRODUCT_CODE, "volume_id": vols["main"], "k": 1, "tenant_code": "tenant-a"}
    assert _uris(_search(client, **body, retrieval_strategy="full_text")) == ["picnic.txt"]
    assert _uris(_search(client, **body, retrieval_strategy="semantic")) == ["serials.txt"]  # looks more code-like
    assert _uris(_search(client, **body, retrieval_strategy="hybrid")) == ["picnic.txt"]


def test_hybrid_finds_a_paraphrase_only_semantic_finds(client, vols) -> None:
    body = {"query": PARAPHRASE, "volume_id": vols["main"], "k": 2, "tenant_code": "tenant-a"}
    assert "revenue.txt" not in _uris(_search(client, **body, retrieval_strategy="full_text"))
    assert _uris(_search(client, **body, retrieval_strategy="semantic"))[0] == "revenue.txt"
    assert "revenue.txt" in _uris(_search(client, **body, retrieval_strategy="hybrid"))


def test_a_score_threshold_removes_low_scores(client, vols) -> None:
    body = {"query": "大熊猫吃什么食物", "volume_id": vols["main"], "retrieval_strategy": "semantic", "k": 8}
    everything = _search(client, **body)
    cut = round((everything[0]["score"] + everything[-1]["score"]) / 2, 4)
    kept = _search(client, **body, score=cut)
    assert 0 < len(kept) < len(everything) and all(r["score"] >= cut for r in kept)
    assert _search(client, **body, score=1.01) == []


def test_every_mode_scores_0_to_1_and_full_text_tops_at_1(client, vols) -> None:
    body = {"query": "高铁退票手续费", "volume_id": vols["main"], "k": 8, "tenant_code": "tenant-a"}
    for strategy in ("semantic", "full_text", "hybrid"):
        scores = [r["score"] for r in _search(client, **body, retrieval_strategy=strategy)]
        assert scores and all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True), strategy
    assert _search(client, **body, retrieval_strategy="full_text")[0]["score"] == 1.0


def test_fusion_params_choose_the_method_and_weight(client, vols) -> None:
    body = {"query": "高铁退票手续费", "volume_id": vols["main"], "k": 5, "retrieval_strategy": "hybrid",
            "tenant_code": "tenant-a"}
    dense = _search(client, **{**body, "retrieval_strategy": "semantic"})
    sparse = _search(client, **{**body, "retrieval_strategy": "full_text"})
    all_dense = _search(client, **body, fusion={"method": "weighted", "dense_weight": 1.0})
    all_sparse = _search(client, **body, fusion={"dense_weight": 0.0})
    assert [r["chunk_id"] for r in all_dense] == [r["chunk_id"] for r in dense]
    assert [r["score"] for r in all_dense] == [r["score"] for r in dense]
    assert all_sparse[0]["chunk_id"] == sparse[0]["chunk_id"] and all_sparse[0]["score"] == 1.0
    by_rank = _search(client, **body, fusion={"method": "rrf"})
    assert by_rank[0]["document"]["uri"] == "退票.txt" and 0.5 < by_rank[0]["score"] <= 1
    for bad in ({"method": "sum"}, {"dense_weight": 2}):
        response = client.post("/search", json={**body, "fusion": bad})
        assert response.status_code == 400 and response.json()["code"] == "ErrValidation", bad


def test_seed_003_hybrid_hit_testing_with_score_0_4_finds_the_document(client, vols) -> None:
    # seed 003 §4.6's example body: hybrid, k 10, score 0.4 (meaningless against raw RRF values)
    hits = ok003(client.post(f"/datasets/{vols['main']}/hit", json={
        "query": "how many paid leave days do employees get", "retrieval_strategy": "hybrid", "k": 10,
        "score": 0.4}))
    assert hits and hits[0]["document"]["name"] == "leave.txt" and all(h["score"] >= 0.4 for h in hits)
    assert len(hits) < 10  # the threshold cuts the unrelated rest


def test_filters_restrict_results(client, vols) -> None:
    body = {"query": "大熊猫吃什么食物", "volume_id": vols["main"], "k": 20}
    assert set(_uris(_search(client, **body, filters={"uri_prefix": "festival"}))) == {"festival.md"}
    doc = _doc_id(client, vols["main"], "leave.txt")
    only = _search(client, **body, filters={"document_ids": [doc]})
    assert _uris(only) == ["leave.txt"]
    expr = _uris(_search(client, **body, filter_expr="uri in ['退票.txt', 'weather.txt'] && position >= 0"))
    assert sorted(expr) == ["weather.txt", "退票.txt"]


def test_several_volumes_merge_by_score(client, vols) -> None:
    body = {"volume_ids": [vols["main"], vols["other"]], "k": 3}
    for strategy in ("semantic", "full_text", "hybrid"):
        got = _search(client, **body, query="who climbs the lighthouse steps", retrieval_strategy=strategy)
        assert got[0]["document"]["uri"] == "lighthouse.txt" and got[0]["volume_id"] == vols["other"], strategy
        got = _search(client, **body, query="高铁退票手续费", retrieval_strategy=strategy)
        assert got[0]["document"]["uri"] == "退票.txt" and got[0]["volume_id"] == vols["main"], strategy


def test_a_disabled_document_disappears_and_comes_back(client, vols) -> None:
    volume_id, query = vols["main"], PLANTED["熊猫.md"]
    doc = _doc_id(client, volume_id, "熊猫.md")
    ok003(client.post(f"/datasets/{volume_id}/documents/{doc}/enabled", json={"enabled": False}))
    try:
        for strategy in ("semantic", "full_text", "hybrid"):
            assert "熊猫.md" not in _uris(_search(client, query=query, volume_id=volume_id,
                                                 retrieval_strategy=strategy, k=20)), strategy
        detail = ok003(client.get(f"/datasets/{volume_id}/documents/{doc}"))
        assert detail["enabled"] is False and detail["disabled_at"] > 0
    finally:
        ok003(client.post(f"/datasets/{volume_id}/documents/{doc}/enabled", json={"enabled": True}))
    assert _uris(_search(client, query=query, volume_id=volume_id, k=3))[0] == "熊猫.md"


def test_a_disabled_segment_disappears_and_comes_back(client, vols) -> None:
    volume_id, query = vols["main"], PLANTED["向量.md"]
    doc = _doc_id(client, volume_id, "向量.md")
    segments = ok003(client.get(f"/datasets/{volume_id}/documents/{doc}/segments"))["list"]
    assert segments
    base = f"/datasets/{volume_id}/documents/{doc}/segments"
    for seg in segments:
        ok003(client.post(f"{base}/{seg['id']}/enabled", json={"enabled": False}))
    try:
        assert "向量.md" not in _uris(_search(client, query=query, volume_id=volume_id, k=20))
        assert ok003(client.get(f"{base}/{segments[0]['id']}"))["enabled"] is False
    finally:
        for seg in segments:
            ok003(client.post(f"{base}/{seg['id']}/enabled", json={"enabled": True}))
    assert _uris(_search(client, query=query, volume_id=volume_id, k=3))[0] == "向量.md"


def test_admin_sees_every_tenant_and_can_filter_by_tenant(client, vols) -> None:
    body = {"query": "大熊猫吃什么食物 机密", "volume_id": vols["main"], "k": 20}
    assert "机密.txt" in _uris(_search(client, **body))
    assert set(_uris(_search(client, **body, tenant_code="tenant-b"))) == {"机密.txt"}
    assert "机密.txt" not in _uris(_search(client, **body, tenant_code="tenant-a"))


@pytest.mark.parametrize("forgery", [
    {"tenant_code": "tenant-b"},
    {"filter_expr": "tenant_code == 'tenant-b'"},
    {"filter_expr": "tenant_code == 'tenant-b' or tenant_code != 'tenant-b'"},
    {"filter_expr": "not (tenant_code == 'tenant-a')"},
    {"filter_expr": "tenant_code != ''", "tenant_code": "", "org_code": ""},
])
def test_a_tenant_key_never_reads_another_tenant(client, vols, forgery) -> None:
    body = {"query": "大熊猫吃什么食物 机密", "volume_id": vols["main"], "k": 20, **forgery}
    for strategy in ("semantic", "full_text", "hybrid"):
        got = _search(client, TENANT_KEY, **body, retrieval_strategy=strategy)
        assert "机密.txt" not in _uris(got), (strategy, forgery)
    seed004 = ok004(client.post("/vector_db_service/search_from_vector_db", headers={"moi-key": TENANT_KEY},
                                json={"query": body["query"], "collection_type": "DOC", "limit": 20,
                                      "use_hybrid": True, **forgery}))
    assert all(e["doc_name"] != "机密.txt" for e in seed004["entities"][0])


def test_a_tenant_key_with_an_org_sees_only_that_org(client, vols) -> None:
    got = _search(client, ORG2_KEY, query="lighthouse 大熊猫", volume_ids=[vols["main"], vols["other"]], k=20,
                  org_code="org-1")
    assert _uris(got) == ["lighthouse.txt"]


def test_a_tenant_key_cannot_see_other_tenants_documents_or_admin_routes(client, vols) -> None:
    headers = {"Authorization": f"Bearer {TENANT_KEY}", "moi-key": ""}
    listed = ok003(client.get(f"/datasets/{vols['main']}/documents", headers=headers,
                                params={"page_size": 50}))
    names = {d["name"] for d in listed["list"]}
    assert "机密.txt" not in names and "熊猫.md" in names and listed["paginator"]["total_record"] == len(SEARCH_CORPUS)
    secret = _doc_id(client, vols["main"], "机密.txt")
    response = client.get(f"/datasets/{vols['main']}/documents/{secret}", headers=headers)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = client.get(f"/datasets/{vols['main']}/documents/{secret}/segments", headers=headers)
    assert response.status_code == 404
    response = client.get("/connectors/list", headers={"moi-key": TENANT_KEY})
    assert response.status_code == 403 and response.json()["code"] == "ErrForbidden"
    assert client.post("/search", json={"query": "x", "volume_id": vols["main"]},
                       headers={"moi-key": "tenant-a"}).status_code == 401


@pytest.mark.parametrize("expr", ["tenant_code == 'a' or 1 == 1", "text like '%x%'", "page == 1)", "uri like '%a'",
                                  'doc_id == "a" || dense != []'])
def test_a_malformed_filter_expr_is_a_400_with_the_envelope(client, vols, expr) -> None:
    response = client.post("/search", json={"query": "x", "volume_id": vols["main"], "filter_expr": expr})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "ErrValidation" and response.json()["msg"].startswith("filter_expr")
    response = client.post("/vector_db_service/search_from_vector_db",
                           json={"query": "x", "collection_type": "DOC", "filter_expr": expr})
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["status"], body["code"], body["data"]) == ("fail", 400, "") and body["msg"].startswith("filter_expr")


def test_bad_requests_are_400s(client, vols) -> None:
    for body in ({"query": "x"}, {"query": "", "volume_id": vols["main"]},
                 {"query": "x", "volume_id": vols["main"], "retrieval_strategy": "fuzzy"},
                 {"query": "x", "volume_id": vols["main"], "k": 0},
                 {"query": "x", "volume_id": vols["main"], "filters": {"uri_prefix": "a%"}}):
        response = client.post("/search", json=body)
        assert response.status_code == 400 and response.json()["code"] == "ErrValidation", body
    response = client.post("/search", json={"query": "x", "volume_id": "999"})
    assert response.status_code == 404
    response = client.post("/vector_db_service/search_from_vector_db", json={"query": "x", "collection_type": "FAQ"})
    assert response.status_code == 400 and response.json()["code"] == 400


def test_seed_004_search_semantic_hybrid_and_thresholds(client, vols) -> None:
    url = "/vector_db_service/search_from_vector_db"
    body = {"query": "高铁退票手续费", "collection_type": "DOC", "tenant_code": "tenant-a", "volume_id": vols["main"]}
    dense = ok004(client.post(url, json={**body, "limit": 3}))["entities"][0]
    assert len(dense) == 3 and dense[0]["doc_name"] == "退票.txt" and 0 < dense[0]["score"] <= 1
    assert {"id", "content", "doc_id", "source", "score"} <= set(dense[0])
    hybrid = ok004(client.post(url, json={**body, "use_hybrid": True, "limit": 3}))["entities"][0]
    assert hybrid[0]["doc_name"] == "退票.txt" and 0.4 < hybrid[0]["score"] <= 1  # the fused 0–1 score
    high = dense[0]["score"] - 0.001
    kept = ok004(client.post(url, json={**body, "limit": 3, "vector_similarity_threshold": high}))["entities"][0]
    assert [e["doc_name"] for e in kept] == ["退票.txt"]
    rrf_cut = hybrid[0]["score"] - 1e-6
    kept = ok004(client.post(url, json={**body, "use_hybrid": True, "limit": 3,
                                        "rrf_similarity_threshold": rrf_cut}))["entities"][0]
    assert [e["doc_name"] for e in kept] == ["退票.txt"]
    everywhere = ok004(client.post(url, json={"query": "lighthouse keeper", "collection_type": "DOC",
                                              "limit": 1}))["entities"][0]
    assert everywhere[0]["doc_name"] == "lighthouse.txt"  # no volume named: every volume


def test_hits_are_counted_and_queries_recorded(client, vols) -> None:
    volume_id = vols["main"]
    doc = _doc_id(client, volume_id, "leave.txt")
    before = ok003(client.get(f"/datasets/{volume_id}/documents/{doc}"))["hit_count"]
    query = "paid annual leave days per year"
    hits = ok003(client.post(f"/datasets/{volume_id}/hit", json={"query": query, "retrieval_strategy": "hybrid",
                                                                    "k": 1}))
    assert len(hits) == 1 and hits[0]["document"]["name"] == "leave.txt" and hits[0]["dataset_id"] == seed003.to_uuid(volume_id)
    assert {"keywords", "character_count", "token_count", "hit_count", "enabled", "status"} <= set(hits[0])
    segment = ok003(client.get(f"/datasets/{volume_id}/documents/{doc}/segments/{hits[0]['id']}"))
    assert segment["hit_count"] == hits[0]["hit_count"] >= 1
    _search(client, query=query, volume_id=volume_id, k=1)
    assert ok003(client.get(f"/datasets/{volume_id}/documents/{doc}"))["hit_count"] == before + 2
    assert ok003(client.get(f"/datasets/{volume_id}/documents/{doc}/segments/{hits[0]['id']}"))[
        "hit_count"] == segment["hit_count"] + 1
    recent = ok003(client.get(f"/datasets/{volume_id}/queries"))
    assert len(recent) <= 10 and [q["query"] for q in recent[:2]] == [query, query]
    assert recent[0]["source"] == "API" and recent[1]["source"] == "Hit Testing"
    assert recent[0]["created_at"] >= recent[1]["created_at"] and recent[0]["dataset_id"] == seed003.to_uuid(volume_id)
    # a tenant key sees only its own tenant's queries
    _search(client, TENANT_KEY, query="tenant a asks about leave", volume_id=volume_id, k=1)
    mine = ok003(client.get(f"/datasets/{volume_id}/queries",
                            headers={"Authorization": f"Bearer {TENANT_KEY}", "moi-key": ""}))
    assert mine[0]["query"] == "tenant a asks about leave" and query not in {q["query"] for q in mine}


def test_dataset_detail_counts_documents_characters_and_hits(client, vols) -> None:
    url = f"/datasets/{vols['main']}"
    everything = ok003(client.get(url))
    assert everything["id"] == seed003.to_uuid(vols["main"]) and everything["name"] == "search-vol"
    assert everything["document_count"] == len(SEARCH_CORPUS) + len(SECRET)
    assert everything["character_count"] >= sum(len(t.strip()) for t in SEARCH_CORPUS.values()) // 2
    _search(client, query=PLANTED["leave.txt"], volume_id=vols["main"], k=1)
    after = ok003(client.get(url))
    assert after["hit_count"] == everything["hit_count"] + 1
    mine = ok003(client.get(url, headers={"Authorization": f"Bearer {TENANT_KEY}", "moi-key": ""}))
    assert mine["document_count"] == len(SEARCH_CORPUS) and mine["character_count"] < after["character_count"]


def test_a_volumes_own_fusion_is_used_unless_the_request_names_one(client, vols) -> None:
    body = {"query": "高铁退票手续费", "volume_id": vols["main"], "k": 5, "tenant_code": "tenant-a"}

    def ranked(**extra) -> list[tuple[str, float]]:  # noqa: ANN003
        return [(r["chunk_id"], r["score"]) for r in _search(client, **body, **extra)]

    dense, sparse = ranked(retrieval_strategy="semantic"), ranked(retrieval_strategy="full_text")
    default = ranked(retrieval_strategy="hybrid")
    by_rank = ranked(retrieval_strategy="hybrid", fusion={"method": "rrf"})
    try:
        got = ok_data(client.post("/volumes/update", json={"volume_id": vols["main"], "fusion": {"dense_weight": 1}}))
        assert got["volume"]["fusion"] == {"method": "weighted", "dense_weight": 1.0}
        assert ok_data(client.get("/volumes/get", params={"volume_id": vols["main"]}))["volume"]["fusion"] == {
            "method": "weighted", "dense_weight": 1.0}
        assert ranked(retrieval_strategy="hybrid") == dense  # w = 1: the dense leg alone
        # the request's fusion overrides the volume's: w = 0 ranks as BM25 does
        assert ranked(retrieval_strategy="hybrid", fusion={"dense_weight": 0})[0] == (sparse[0][0], 1.0)
        # seed 000's update takes it too (an ingestflow extension), and its info shows it
        ok_data(client.post("/catalog/volume/update", json={"id": vols["main"], "fusion": {"method": "rrf"}}))
        info = ok_data(client.post("/catalog/volume/info", json={"id": vols["main"]}))
        assert info["fusion"] == {"method": "rrf", "dense_weight": 0.5}
        assert ranked(retrieval_strategy="hybrid") == by_rank
        # bad settings are 400s that store nothing; a rename leaves the fusion alone
        for bad in ({"method": "sum"}, {"dense_weight": -0.1}):
            response = client.post("/volumes/update", json={"volume_id": vols["main"], "fusion": bad})
            assert response.status_code == 400, bad
        ok_data(client.post("/catalog/volume/update", json={"id": vols["main"], "description": "renamed"}))
        assert cat.volume_named("search-vol").fusion_method == "rrf"
    finally:
        got = ok_data(client.post("/volumes/update", json={"volume_id": vols["main"], "fusion": None}))
    assert got["volume"]["fusion"] is None and ranked(retrieval_strategy="hybrid") == default


def test_a_volume_created_with_a_fusion_keeps_it(client) -> None:
    created = ok_data(client.post("/volumes", json={"name": "fusion-vol", "fusion": {"dense_weight": 0.3}}))
    assert created["volume"]["fusion"] == {"method": "weighted", "dense_weight": 0.3}
    response = client.post("/volumes", json={"name": "fusion-vol-bad", "fusion": {"dense_weight": 3}})
    assert response.status_code == 400 and cat.volume_named("fusion-vol-bad") is None
    moi = ok_data(client.post("/catalog/volume/create", json={"name": "fusion-moi", "fusion": {"method": "rrf"}}))
    assert cat.volume_named("fusion-moi").fusion_method == "rrf" and moi["id"]
    assert ok_data(client.post("/volumes", json={"name": "plain-vol"}))["volume"]["fusion"] is None
