"""Issue 16 reproducers (findings 6 and 7): bad input is a clear 400 in the family's envelope, never a 5xx, and
the files of one upload batch never overwrite each other. Tenant isolation (finding 1): test_tenant_isolation.py."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.support.api import BEARER, SECRET, ok_data

BIG = str(2**63)
LONG = "x" * 60_000
TENANT_KEY = "hardening-tenant-key-3b7a"


@pytest.fixture()
def tenant_key():
    from ingestflow.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(get_settings(), "tenant_api_keys", [SecretStr(f"{TENANT_KEY}:hardening-t")])
        yield TENANT_KEY


@pytest.fixture()
def collection(volume) -> str:
    """The test volume with its Milvus collection (a search on a volume without one never reaches Milvus)."""
    from ingestflow.indexers.milvus_store import volume_store
    from tests.support import catalog as cat

    volume_store(cat.volume(volume["id"])).ensure()
    return volume["id"]


def _bad(response, *words: str) -> str:  # noqa: ANN001
    """A seed-002 400 ``ErrValidation`` whose message names ``words``."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "ErrValidation" and all(w in body["msg"] for w in words), body
    return body["msg"]


@pytest.mark.parametrize(("method", "path", "kwargs", "field"), [
    ("delete", f"/connectors/{BIG}", {}, "connector_id"),
    ("put", f"/connectors/{BIG}", {"json": {"name": "x"}}, "connector_id"),
    ("get", "/connectors/files/list", {"params": {"connector_id": BIG}}, "connector_id"),
    ("post", "/connectors/validate", {"json": {"connector_id": 2**63}}, "connector_id"),
    ("get", "/volumes/list", {"params": {"page": BIG}}, "page"),
    ("get", "/connectors/list", {"params": {"page": BIG}}, "page"),
    ("get", "/task/list", {"params": {"page": BIG}}, "page"),
    ("post", "/task", {"json": {"source_connector_id": 2**63, "volume_id": "1", "source_config": {}}},
     "source_connector_id"),
])
def test_integers_of_2_63_and_more_are_400(client, method, path, kwargs, field) -> None:
    _bad(getattr(client, method)(path, **kwargs), field)


def test_search_file_types_beyond_int64_are_400(client, collection) -> None:
    _bad(client.post("/search", json={"query": "x", "volume_id": collection, "filters": {"file_types": [2**63]}}),
         "file_types")


def test_paging_beyond_int64_on_documents_and_datasets_is_400(client, volume) -> None:
    response = client.get(f"/datasets/{volume['id']}/documents", params={"current_page": BIG}, headers=BEARER)
    assert response.status_code == 400 and response.json()["code"] == "validate_error", response.text
    assert "current_page" in response.json()["message"]
    response = client.get("/datasets", params={"current_page": BIG}, headers=BEARER)  # seed 003's envelope
    assert response.status_code == 400 and "current_page" in response.json()["message"], response.text


@pytest.mark.parametrize(("path", "param"), [("/volumes/list", "keyword"), ("/connectors/list", "keyword")])
def test_search_words_longer_than_the_cap_are_400(client, volume, path, param) -> None:
    from ingestflow.limits import MAX_KEYWORD_CHARS

    url = path.format(vol=volume["id"])
    _bad(client.get(url, params={param: LONG}), param)
    ok_data(client.get(url, params={param: "x" * MAX_KEYWORD_CHARS}))  # at the cap: served
    for seed003_path in ("/datasets", f"/datasets/{volume['id']}/documents"):  # seed 003's envelope
        response = client.get(seed003_path, params={"search_word": LONG}, headers=BEARER)
        assert response.status_code == 400 and "search_word" in response.json()["message"], response.text
        response = client.get(seed003_path, params={"search_word": "x" * MAX_KEYWORD_CHARS}, headers=BEARER)
        assert response.status_code == 200, response.text


def test_moi_file_list_keyword_and_page_are_bounded(client) -> None:
    response = client.post("/catalog/file/list", json={"keyword": LONG})
    assert response.status_code == 400, response.text
    response = client.post("/catalog/file/list", json={"common_condition": {"page": 2**63}})
    assert response.status_code == 400, response.text


def test_upload_names_at_the_byte_limit_and_growing_under_nfc(client, counts) -> None:
    name = "n" * 251 + ".txt"  # 255 bytes: stored (a temp name built from it would pass 255)
    [stored] = ok_data(client.post("/connectors/upload", files={"data": (name, b"at the limit", "text/plain")}))["files"]
    assert stored["filename"] == name and stored["size"] == 12
    grows = "\u0958" * 85  # 255 bytes as sent; NFC decomposes each character: 510 bytes
    before = counts()
    _bad(client.post("/connectors/upload", files={"data": (grows, b"x", "text/plain")}), "255 bytes")
    assert counts() == before


def test_files_of_one_batch_never_overwrite_each_other(client) -> None:
    from ingestflow.settings import get_settings

    data = ok_data(client.post("/connectors/upload", files=[("data", (".a.txt.part", b"the dot-part file", "text/plain")),
                                                            ("data", ("a.txt", b"the plain file", "text/plain"))]))
    by_name = {f["filename"]: f for f in data["files"]}
    root = get_settings().uploads_dir
    assert (root / by_name[".a.txt.part"]["uri"]).read_bytes() == b"the dot-part file"
    assert (root / by_name["a.txt"]["uri"]).read_bytes() == b"the plain file"


@pytest.mark.parametrize(("expr", "words"), [
    (" and ".join(f"position != {i}" for i in range(51)), ("at most 50 comparisons",)),
    (" or ".join(f"page == {i}" for i in range(60)), ("at most 50 comparisons",)),
    ("doc_name == 'a\nb'", ("control characters",)),
    ("doc_name == 'a\\nb'", ("control characters",)),
])
def test_filter_exprs_milvus_would_refuse_are_400_without_internals(client, collection, tenant_key, expr,
                                                                     words) -> None:
    for headers in ({}, {"moi-key": tenant_key}):
        msg = _bad(client.post("/search", headers=headers, json={"query": "x", "volume_id": collection,
                                                                 "filter_expr": expr}), *words)
        assert "hardening-t" not in msg and "/workspace" not in msg and "tenant_code ==" not in msg


@pytest.mark.parametrize("strategy", ["semantic", "full_text", "hybrid"])
def test_a_filter_of_50_comparisons_is_served_with_the_tenant_clause(client, collection, tenant_key,
                                                                      strategy) -> None:
    expr = " and ".join(f"position != {i}" for i in range(50))  # with our clauses: > 50 levels if written flat
    data = ok_data(client.post("/search", headers={"moi-key": tenant_key},
                               json={"query": "x", "volume_id": collection, "filter_expr": expr,
                                     "retrieval_strategy": strategy,
                                     "filters": {"uri_prefix": "a", "file_types": [1]}}))
    assert data["results"] == []  # an empty collection: no hits, and no 502 (BM25 has no statistics yet)


@pytest.mark.parametrize(("body", "field"), [
    ({"source_type": 5, "s3": {"endpoint": "http://[", "access_key_id": "k", "access_key_secret": SECRET,
                               "bucket_name": "b"}}, "s3.endpoint"),
    ({"source_type": 5, "s3": {"endpoint": "127.0.0.1:99999", "access_key_id": "k", "access_key_secret": SECRET,
                               "bucket_name": "b"}}, "s3.endpoint"),
    ({"source_type": 1, "dify": {"api_url": "http://127.0.0.1:5001", "api_key": SECRET + "密钥"}}, "dify.api_key"),
    ({"source_type": 1, "dify": {"api_url": "http://[::1", "api_key": SECRET}}, "dify.api_url"),
])
def test_connector_configs_the_sdk_would_reject_are_400_at_creation(client, counts, body, field) -> None:
    before = counts()
    msg = _bad(client.post("/connectors", json={"name": "bad-config", **body}), field)
    assert SECRET not in msg and counts() == before
    checked = ok_data(client.post("/connectors/validate", json=body))  # validate reports why, as for a bad key
    assert checked["valid"] is False and checked["code"] == "ErrValidation" and field in checked["reason"]
    assert SECRET not in checked["reason"]
