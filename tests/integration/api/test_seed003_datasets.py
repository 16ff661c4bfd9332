"""Seed 003 §03 + §04 over a live app, with the seed's own request examples: upload files, datasets,
documents from upload files (loaded by Prefect), batch progress, hit testing, recent queries; bad input."""

from __future__ import annotations

import uuid

import pytest

from ingestflow.api import seed003
from tests.support import catalog as cat
from tests.support.api import BEARER, err003, ok003, ok_data

DOC_TEXT = ("# LLMOps 项目\n\nLLMOps 是一个大模型应用开发平台。员工每年享有十五天带薪年假，"
            "年假需要提前两周向主管申请。\n\nThe LLMOps platform builds agents with tools and knowledge bases.\n")
CUSTOM_RULE = {  # §4.9's example, with its typo pre_proces_rules
    "pre_proces_rules": [{"id": "remove_extra_space", "enabled": True}, {"id": "remove_url_and_email", "enabled": False}],
    "segment": {"separators": ["\n"], "chunk_size": 500, "chunk_overlap": 50},
}


def _upload(client, name: str, data: bytes, kind: str = "file") -> dict:  # noqa: ANN001
    return ok003(client.post(f"/upload-files/{kind}", files={"file": (name, data)}, headers=BEARER))


def _wait(client, dataset_id: str, batch: str) -> list[dict]:  # noqa: ANN001
    """Run the batch's load task as its Prefect worker would (API tests run no load worker); its progress."""
    from ingestflow.flows.load import load_task

    before = ok003(client.get(f"/datasets/{dataset_id}/documents/batch/{batch}", headers=BEARER))
    assert before and all(d["status"] == "waiting" and d["completed_at"] == 0 for d in before), before
    summary = load_task(cat.batch_tasks(batch)[0])
    assert summary["files_failed"] == 0, summary
    return ok003(client.get(f"/datasets/{dataset_id}/documents/batch/{batch}", headers=BEARER))


@pytest.fixture(scope="module")
def dataset(client) -> dict:
    ok003(client.post("/datasets", json={"name": "慕课LLMOps知识库", "icon": "https://cdn.imooc.com/dataset.jpg",
                                          "description": ""}, headers=BEARER), "创建知识库成功")
    listed = ok003(client.get("/datasets", params={"search_word": "慕课LLMOps"}, headers=BEARER))
    assert [d["name"] for d in listed["list"]] == ["慕课LLMOps知识库"]
    return listed["list"][0]


@pytest.fixture(scope="module")
def loaded(client, dataset) -> dict:
    up = _upload(client, "项目API文档.md", DOC_TEXT.encode())
    added = ok003(client.post(f"/datasets/{dataset['id']}/documents", headers=BEARER, json={
        "upload_file_ids": [up["id"]], "process_type": "custom", "rule": CUSTOM_RULE}))
    docs = _wait(client, dataset["id"], added["batch"])
    return {"added": added, "docs": docs, "upload": up}


def test_upload_file_answers_the_seed_fields(client) -> None:
    data = _upload(client, "项目API文档.md", b"# hello\n")
    assert uuid.UUID(data["id"]) and uuid.UUID(data["account_id"])
    assert (data["name"], data["size"], data["extension"]) == ("项目API文档.md", 8, ".md")
    assert data["key"].endswith("项目API文档.md") and data["mime_type"] and data["created_at"] > 0


def test_upload_image_is_served_back(client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    url = _upload(client, "icon.png", png, "image")["image_url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    got = client.get("/" + path, headers={"moi-key": ""})
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    err003(client.post("/upload-files/image", files={"file": ("doc.txt", b"x")}, headers=BEARER), 400,
           "validate_error")
    assert client.get("/upload-files/images/" + "0" * 32 + ".png").status_code == 404


def test_oversized_upload_is_413_and_nothing_recorded(client, settings_env) -> None:
    settings_env("INGESTFLOW_SEED003_MAX_UPLOAD_MB", "0.001")  # ~1 KB
    before = cat.upload_file_count()
    err003(client.post("/upload-files/file", files={"file": ("big.txt", b"x" * 5000)}, headers=BEARER), 413, "fail")
    err003(client.post("/upload-files/image", files={"file": ("big.png", b"x" * 5000)}, headers=BEARER), 413, "fail")
    assert cat.upload_file_count() == before


def test_dataset_is_a_volume_with_a_generated_description(client, dataset) -> None:
    assert dataset["description"] == "Useful for when you want to answer queries about the 慕课LLMOps知识库"
    assert dataset["icon"] == "https://cdn.imooc.com/dataset.jpg"
    volume_id = seed003.from_uuid(dataset["id"], "id")
    assert cat.volume(volume_id).name == "慕课LLMOps知识库"  # the same record seed 002 shows
    assert any(v["id"] == volume_id for v in ok_data(client.get("/volumes/list", params={"page_size": 100}))["volumes"])
    detail = ok003(client.get(f"/datasets/{dataset['id']}", headers=BEARER))
    assert detail["id"] == dataset["id"] and detail["related_app_count"] == 0


def test_update_and_bad_dataset_input(client, dataset) -> None:
    path = f"/datasets/{dataset['id']}"
    ok003(client.post(path, json={"name": "慕课LLMOps知识库", "icon": "https://cdn.imooc.com/dataset.jpg",
                                  "description": "这是专门用来存储慕课LLMOps课程信息的知识库"}, headers=BEARER), "更新知识库成功")
    assert ok003(client.get(path, headers=BEARER))["description"] == "这是专门用来存储慕课LLMOps课程信息的知识库"
    for body in ({"name": "x" * 101, "icon": ""}, {"name": 5, "icon": ""}, {"icon": ""},
                 {"name": "ok", "icon": "", "description": "d" * 2001}):
        err003(client.post("/datasets", json=body, headers=BEARER), 400, "validate_error")
    err003(client.post("/datasets", json={"name": "慕课LLMOps知识库", "icon": ""}, headers=BEARER), 409, "fail")
    unknown = str(uuid.uuid4())
    err003(client.get(f"/datasets/{unknown}", headers=BEARER), 404, "not_found")
    err003(client.post(f"/datasets/{unknown}/delete", headers=BEARER), 404, "not_found")
    err003(client.get("/datasets/not-a-uuid", headers=BEARER), 400, "validate_error")


def test_documents_from_upload_files_load_in_prefect(client, dataset, loaded) -> None:
    added, docs = loaded["added"], loaded["docs"]
    assert len(added["batch"]) == 20 and added["batch"].isdigit()
    assert [(d["name"], d["status"]) for d in added["documents"]] == [("项目API文档.md", "waiting")]
    (doc,) = docs
    assert doc["status"] == "completed", doc
    assert doc["id"] == added["documents"][0]["id"] and doc["segment_count"] >= 1
    assert doc["completed_segment_count"] == doc["segment_count"] and doc["stopped_at"] == 0
    assert 0 < doc["processing_started_at"] <= doc["parsing_completed_at"] <= doc["completed_at"]
    task = cat.task(cat.batch_tasks(added["batch"])[0])
    assert task.process_config["rule"]["pre_proces_rules"][0]["id"] == "remove_extra_space"
    assert "seed003" in task.name and dataset["name"] in task.name
    from ingestflow.orchestration import deployments

    tags = deployments.read(task.deployment_id).tags  # flow runs carry them into the Prefect UI
    assert "api:seed003" in tags and f"batch:{added['batch']}" in tags and any(t.startswith("dataset:") for t in tags)


def test_bad_document_requests_add_nothing(client, dataset) -> None:
    path = f"/datasets/{dataset['id']}/documents"
    up = _upload(client, "a.txt", b"hello")
    before = cat.row_counts()
    for body in ({"upload_file_ids": [up["id"]] * 11, "process_type": "automatic"},
                 {"upload_file_ids": [up["id"]], "process_type": "fast"},
                 {"upload_file_ids": [up["id"]], "process_type": "custom"},
                 {"upload_file_ids": [up["id"]], "process_type": "custom",
                  "rule": {"segment": {"chunk_size": 50, "chunk_overlap": 60}}},
                 {"upload_file_ids": "x", "process_type": "automatic"}):
        err003(client.post(path, json=body, headers=BEARER), 400, "validate_error")
    err003(client.post(path, json={"upload_file_ids": [str(uuid.uuid4())], "process_type": "automatic"},
                       headers=BEARER), 404, "not_found")
    assert cat.row_counts() == before
    err003(client.get(f"{path}/batch/20240516234156542163", headers=BEARER), 404, "not_found")


def test_hybrid_hit_testing_with_the_seed_example(client, dataset, loaded) -> None:
    hits = ok003(client.post(f"/datasets/{dataset['id']}/hit", headers=BEARER, json={
        "query": "员工每年有几天带薪年假", "retrieval_strategy": "hybrid", "k": 10, "score": 0.4}))
    assert hits and hits[0]["document"]["name"] == "项目API文档.md"
    assert uuid.UUID(hits[0]["id"]) and hits[0]["dataset_id"] == dataset["id"]
    for body in ({"query": "x", "k": 11}, {"query": "x", "k": 3, "score": 1.5}, {"query": "x"},
                 {"query": "x", "k": 3, "retrieval_strategy": "fuzzy"}):
        err003(client.post(f"/datasets/{dataset['id']}/hit", json=body, headers=BEARER), 400, "validate_error")
    queries = ok003(client.get(f"/datasets/{dataset['id']}/queries", headers=BEARER))
    assert queries[0]["query"] == "员工每年有几天带薪年假" and queries[0]["source"] == "Hit Testing"
    assert queries[0]["dataset_id"] == dataset["id"] and uuid.UUID(queries[0]["id"])


def test_segments_by_uuid_in_the_family_envelope(client, dataset, loaded) -> None:
    doc_id = loaded["docs"][0]["id"]
    base = f"/datasets/{dataset['id']}/documents/{doc_id}"
    assert ok003(client.get(base, headers=BEARER))["dataset_id"] == dataset["id"]
    segments = ok003(client.get(f"{base}/segments", headers=BEARER))["list"]
    seg = segments[0]
    assert uuid.UUID(seg["id"]) and seg["status"] == "completed" and seg["enabled"] is True
    assert ok003(client.get(f"{base}/segments/{seg['id']}", headers=BEARER))["content"] == seg["content"]
    ok003(client.post(f"{base}/segments/{seg['id']}/enabled", json={"enabled": False}, headers=BEARER), "修改片段状态成功")
    ok003(client.post(f"{base}/segments/{seg['id']}/enabled", json={"enabled": True}, headers=BEARER))
    ok003(client.post(f"{base}/name", json={"name": "基于工具调用的智能体设计与实现.md"}, headers=BEARER), "更新文档信息成功")
    err003(client.get(f"{base}/segments/{uuid.uuid4()}", headers=BEARER), 404, "not_found")
    err003(client.get(f"{base}/segments/nope", headers=BEARER), 400, "validate_error")
    err003(client.get(f"/datasets/{dataset['id']}/documents/{uuid.uuid4()}", headers=BEARER), 404, "not_found")
    err003(client.post(f"{base}/enabled", json={"enabled": "maybe"}, headers=BEARER), 400, "validate_error")


def test_delete_dataset_cascades(client) -> None:
    ok003(client.post("/datasets", json={"name": "to-delete", "icon": ""}, headers=BEARER))
    ds = ok003(client.get("/datasets", params={"search_word": "to-delete"}, headers=BEARER))["list"][0]
    up = _upload(client, "gone.txt", b"this dataset will be deleted with its documents")
    added = ok003(client.post(f"/datasets/{ds['id']}/documents", json={"upload_file_ids": [up["id"]],
                                                                       "process_type": "automatic"}, headers=BEARER))
    _wait(client, ds["id"], added["batch"])
    from ingestflow.indexers.milvus_store import volume_store

    store = volume_store(cat.volume(seed003.from_uuid(ds["id"], "id")))
    assert store.exists()
    ok003(client.post(f"/datasets/{ds['id']}/delete", headers=BEARER), "删除知识库成功")
    assert not store.exists()  # dropped by the background task (the test client runs it before returning)
    err003(client.get(f"/datasets/{ds['id']}", headers=BEARER), 404, "not_found")
    volume_id = seed003.from_uuid(ds["id"], "id")
    assert cat.batch_tasks(added["batch"]) == [] and not cat.tasks_of_volume(volume_id)
