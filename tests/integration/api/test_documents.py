"""Seed 003 documents and segments of a volume: list/get/rename/enable/delete, segment CRUD."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.indexers.milvus_store import volume_store
from tests.support import catalog as cat
from ingestflow.api import seed003
from tests.support.api import Seed003Client, ok003, ok_data
from tests.support.kb_corpus import load_folder, write

pytestmark = pytest.mark.slow

GUIDE = "\n\n".join(
    f"Section {i}. The {topic} procedure has its own checklist: inspect the {topic} unit, record the reading "
    f"in the logbook, compare it with last week's value, and report any deviation above five percent to the "
    f"shift supervisor before the end of the day. Operators rotate through the {topic} station every month."
    for i, topic in enumerate(["boiler", "turbine", "cooling tower", "generator", "transformer", "conveyor",
                               "compressor", "pump house", "filter bank", "switchyard", "chimney", "crane"], 1))
FILES = {
    "guide.md": "# Plant guide\n\n" + GUIDE + "\n",
    "notes.txt": "Meeting notes: the canteen will serve dumplings on Friday.\n",
    "删除我.txt": "这份文件会被删除：长江是中国最长的河流。\n",
}


@pytest.fixture(scope="module")
def client(client):  # seed 003's Bearer auth on its routes
    return Seed003Client(client)


@pytest.fixture(scope="module")
def vol(client, tmp_path_factory) -> str:
    load_folder(write(tmp_path_factory.mktemp("kb-docs") / "docs", FILES), "docs-vol")
    return cat.volume_named("docs-vol").id


def _docs(client, volume_id: str, **params) -> dict:  # noqa: ANN001
    return ok003(client.get(f"/datasets/{volume_id}/documents", params=params))


def _doc_id(client, volume_id: str, uri: str) -> str:  # noqa: ANN001
    return next(d["id"] for d in _docs(client, volume_id, page_size=50)["list"] if d["uri"] == uri)


def _search_uris(client, volume_id: str, query: str, strategy: str = "full_text",  # noqa: ANN001
                 k: int = 5) -> list[str]:
    data = ok_data(client.post("/search", json={"query": query, "volume_id": volume_id,
                                                "retrieval_strategy": strategy, "k": k}))
    return [seed003.segment_uuid(r["chunk_id"]) for r in data["results"]]


def test_documents_list_with_the_seed_paginator_and_search(client, vol) -> None:
    page1 = _docs(client, vol, page_size=2)
    assert page1["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}
    page2 = _docs(client, vol, page_size=2, current_page=2)
    names = [d["name"] for d in page1["list"] + page2["list"]]
    assert sorted(names) == sorted(FILES)
    assert [d["position"] for d in page1["list"] + page2["list"]] == [1, 2, 3]
    found = _docs(client, vol, search_word="删除")
    assert [d["name"] for d in found["list"]] == ["删除我.txt"] and found["paginator"]["total_record"] == 1
    assert _docs(client, vol, search_word="%")["list"] == []  # LIKE wildcards are literal


def test_a_document_has_its_stages_and_counts(client, vol) -> None:
    doc = ok003(client.get(f"/datasets/{vol}/documents/{_doc_id(client, vol, 'guide.md')}"))
    assert doc["status"] == "completed" and doc["enabled"] is True and doc["error"] == ""
    assert doc["dataset_id"] == seed003.to_uuid(vol) and doc["extension"] == "md" and doc["uri"] == "guide.md"
    assert 0 < doc["processing_started_at"] <= doc["parsing_completed_at"] <= doc["splitting_completed_at"] \
        <= doc["completed_at"]
    assert doc["stopped_at"] == 0 and doc["segment_count"] >= 2
    assert doc["completed_segment_count"] == doc["segment_count"] and doc["character_count"] > 1000
    response = client.get(f"/datasets/{vol}/documents/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_segments_list_page_search_and_get(client, vol) -> None:
    doc = _doc_id(client, vol, "guide.md")
    base = f"/datasets/{vol}/documents/{doc}/segments"
    everything = ok003(client.get(base, params={"page_size": 50}))
    total = everything["paginator"]["total_record"]
    assert total >= 2 and len(everything["list"]) == total
    assert [s["position"] for s in everything["list"]] == sorted(s["position"] for s in everything["list"])
    page = ok003(client.get(base, params={"page_size": 1, "current_page": 2}))
    assert page["list"][0]["id"] == everything["list"][1]["id"] and page["paginator"]["total_page"] == total
    hits = ok003(client.get(base, params={"search_word": "SWITCHYARD"}))["list"]
    assert hits and all("switchyard" in s["content"] for s in hits) and len(hits) < total
    seg = ok003(client.get(f"{base}/{hits[0]['id']}"))
    assert seg["hash"] == hashlib.sha256(seg["content"].encode()).hexdigest()
    assert seg["token_count"] > 0 and seg["character_count"] == len(seg["content"])
    assert seg["document_id"] == doc and seg["dataset_id"] == seed003.to_uuid(vol) and seg["enabled"] is True
    other = _doc_id(client, vol, "notes.txt")
    assert client.get(f"/datasets/{vol}/documents/{other}/segments/{seg['id']}").status_code == 404


def test_rename_shows_in_views_and_search(client, vol) -> None:
    doc = _doc_id(client, vol, "notes.txt")
    ok003(client.post(f"/datasets/{vol}/documents/{doc}/name", json={"name": "Canteen notes"}))
    assert ok003(client.get(f"/datasets/{vol}/documents/{doc}"))["name"] == "Canteen notes"
    assert [d["id"] for d in _docs(client, vol, search_word="Canteen")["list"]] == [doc]
    result = ok_data(client.post("/search", json={"query": "dumplings", "volume_id": vol, "k": 1}))["results"][0]
    assert result["document"]["name"] == "Canteen notes" and result["document"]["uri"] == "notes.txt"
    assert client.post(f"/datasets/{vol}/documents/{doc}/name", json={"name": "x" * 101}).status_code == 400


def test_add_a_segment_it_is_embedded_and_findable(client, vol) -> None:
    doc = _doc_id(client, vol, "notes.txt")
    base = f"/datasets/{vol}/documents/{doc}/segments"
    before = ok003(client.get(f"/datasets/{vol}/documents/{doc}"))["segment_count"]
    text = "The billing cluster maintenance window is every Sunday at 03:00 UTC, ticket QP-7310."
    seg = ok003(client.post(base, json={"content": text, "keywords": ["billing", "maintenance"]}))
    assert seg["content"] == text and seg["keywords"] == ["billing", "maintenance"] and seg["token_count"] > 0
    assert seg["position"] == max(s["position"] for s in ok003(client.get(base))["list"])
    assert ok003(client.get(f"/datasets/{vol}/documents/{doc}"))["segment_count"] == before + 1
    assert _search_uris(client, vol, "QP-7310")[0] == seg["id"]
    assert _search_uris(client, vol, "when is the billing cluster down for maintenance", "semantic")[0] == seg["id"]
    auto = ok003(client.post(base, json={"content": "Dumplings with pork and cabbage are the Friday special."}))
    assert auto["keywords"] and auto["position"] == seg["position"] + 1


def test_edit_a_segment_is_re_embedded_under_the_same_id(client, vol) -> None:
    doc = _doc_id(client, vol, "删除我.txt")
    base = f"/datasets/{vol}/documents/{doc}/segments"
    seg = ok003(client.get(base))["list"][0]
    new = "黄河是中国第二长的河流，全长约五千四百六十四公里。"
    edited = ok003(client.post(f"{base}/{seg['id']}", json={"content": new}))
    assert edited["id"] == seg["id"] and edited["content"] == new and edited["hash"] != seg["hash"]
    assert edited["hash"] == hashlib.sha256(new.encode()).hexdigest() and edited["keywords"]
    assert _search_uris(client, vol, "黄河有多长", "semantic", k=1) == [seg["id"]]
    assert _search_uris(client, vol, "五千四百六十四公里", "full_text", k=1) == [seg["id"]]
    assert seg["id"] not in _search_uris(client, vol, "长江", "full_text")
    kw = ok003(client.post(f"{base}/{seg['id']}", json={"keywords": ["黄河"]}))
    assert kw["keywords"] == ["黄河"] and kw["content"] == new
    assert client.post(f"{base}/{seg['id']}", json={}).status_code == 400


def test_delete_a_segment_removes_it_from_milvus(client, vol) -> None:
    doc = _doc_id(client, vol, "notes.txt")
    base = f"/datasets/{vol}/documents/{doc}/segments"
    seg = ok003(client.post(base, json={"content": "Temporary segment about the parking garage XR-5521."}))
    assert _search_uris(client, vol, "XR-5521", k=1) == [seg["id"]]
    ok003(client.post(f"{base}/{seg['id']}/delete"))
    assert client.get(f"{base}/{seg['id']}").status_code == 404
    assert seg["id"] not in _search_uris(client, vol, "XR-5521")
    store = volume_store(cat.volume(vol))
    assert seg["id"] not in [seed003.segment_uuid(r["id"]) for r in store.rows(ChunkFilter(doc_ids=[doc]))]


def test_delete_a_document_removes_its_chunks(client, vol) -> None:
    doc = _doc_id(client, vol, "删除我.txt")
    store = volume_store(cat.volume(vol))
    assert store.count(ChunkFilter(doc_ids=[doc])) > 0
    ok003(client.post(f"/datasets/{vol}/documents/{doc}/delete"))
    assert store.count(ChunkFilter(doc_ids=[doc])) == 0
    assert client.get(f"/datasets/{vol}/documents/{doc}").status_code == 404
    assert "删除我.txt" not in [d["name"] for d in _docs(client, vol)["list"]]
    assert client.post(f"/datasets/{vol}/documents/{doc}/delete").status_code == 404


def test_bad_paths_and_paging_are_rejected(client, vol) -> None:
    assert client.get(f"/datasets/{vol}/documents", params={"page_size": 51}).status_code == 400
    assert client.get(f"/datasets/{vol}/documents", params={"current_page": 0}).status_code == 400
    assert client.get("/datasets/123/documents").status_code == 404
    assert client.get("/datasets/abc/documents").status_code == 400


def test_a_deleted_document_stays_deleted_until_its_source_changes(client, tmp_path) -> None:
    from ingestflow.flows.load import load_task

    folder = write(tmp_path / "tomb", {"keep.txt": "This file stays in the dataset.\n",
                                       "drop.txt": "This file is deleted by hand: the lighthouse report.\n"})
    task_id = load_folder(folder, "tomb-vol")
    vol = cat.volume_named("tomb-vol").id
    doc = _doc_id(client, vol, "drop.txt")
    ok003(client.post(f"/datasets/{vol}/documents/{doc}/delete"), "删除文档成功")
    summary = load_task(task_id)  # the next scheduled run lists the unchanged file: it stays deleted
    assert summary["files_failed"] == 0
    assert sorted(d["name"] for d in _docs(client, vol)["list"]) == ["keep.txt"]
    (folder / "drop.txt").write_text("A new version of the lighthouse report, changed at the source.\n")
    load_task(task_id)  # the file changed at the source: it is ingested again
    assert sorted(d["name"] for d in _docs(client, vol)["list"]) == ["drop.txt", "keep.txt"]
    assert _search_uris(client, vol, "lighthouse report changed at the source", k=1)
