"""Seed 004's family over a live app: envelope, auth, the global DOC/QA collections, URL and QA ingestion,
chat_service uploads — with the seed's own request examples and bad input."""

from __future__ import annotations

import pytest

from tests.support.api import KEY, ok004

NO_KEY = {"moi-key": ""}
BEARER = {"Authorization": f"Bearer {KEY}", "moi-key": ""}
SEARCH = "/vector_db_service/search_from_vector_db"


def _fail(response, status: int) -> str:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "fail" and body["code"] == status and body["data"] == "", body
    return body["msg"]


def test_new_collection_makes_the_global_doc_and_qa_volumes(client):
    ok004(client.post("/vector_db_service/new_collection", json={}), "成功创建全局素材库")
    ok004(client.post("/vector_db_service/new_collection", json={}), "成功创建全局素材库")  # idempotent
    names = [v["name"] for v in client.get("/volumes/list", params={"page_size": 100}).json()["data"]["volumes"]]
    assert names.count("seed004-DOC") == 1 and names.count("seed004-QA") == 1


def test_missing_or_wrong_key_is_a_401_in_the_envelope(client):
    for headers in (NO_KEY, {"moi-key": "nope"}, {"Authorization": "Bearer nope", "moi-key": ""}):
        msg = _fail(client.post(SEARCH, json={"query": "x", "collection_type": "DOC"}, headers=headers), 401)
        assert "key" in msg


def test_bearer_and_moi_key_both_work(client):
    ok004(client.post("/vector_db_service/new_collection", json={}, headers=BEARER), "成功创建全局素材库")
    data = ok004(client.post(SEARCH, json={"query": "无关的问题", "collection_type": "QA"}, headers=BEARER),
                 "从素材库查询成功")
    assert data == {"entities": [[]]}


def test_the_open_setting_lets_key_less_calls_in(client, settings_env):
    settings_env("INGESTFLOW_SEED004_OPEN", "true")
    ok004(client.post("/vector_db_service/new_collection", json={}, headers=NO_KEY))
    _fail(client.post(SEARCH, json={"query": "x", "collection_type": "DOC"}, headers={"moi-key": "nope"}), 401)


@pytest.mark.parametrize("body, field", [
    ({"query": "x"}, "collection_type"),
    ({"query": "x", "collection_type": "FAQ"}, "collection_type"),
    ({"query": "", "collection_type": "DOC"}, "query"),
    ({"query": "x", "collection_type": "DOC", "limit": 0}, "limit"),
    ({"query": "x", "collection_type": "DOC", "vector_similarity_threshold": 2}, "vector_similarity_threshold"),
    ({"query": "x", "collection_type": "DOC", "filter_expr": "tenant_code == 'a' or 1 == 1"}, "filter_expr"),
])
def test_bad_search_input_is_a_400_naming_the_field(client, body, field):
    assert field in _fail(client.post(SEARCH, json=body), 400)


def test_seed002_routes_keep_their_envelope(client):
    response = client.get("/volumes/list", headers={"moi-key": "nope"})
    assert response.status_code == 401 and response.json()["code"] == "ErrAuth"
