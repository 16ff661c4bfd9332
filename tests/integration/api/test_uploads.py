"""POST /connectors/upload: both seed forms, size limit, unsafe names; nothing partial on error."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.api import ok_data


def _stored_files() -> set[str]:
    from ingestflow.settings import get_settings

    root = get_settings().uploads_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_data_form_stores_files(client) -> None:
    data = ok_data(client.post("/connectors/upload", files={"data": ("example.txt", b"hello upload", "text/plain")}))
    [stored] = data["files"]
    assert stored["filename"] == "example.txt" and stored["size"] == 12 and stored["type"] == 1
    assert stored["uri"] in _stored_files()
    files = ok_data(client.get("/connectors/files/list", params={"connector_id": data["connector_id"]}))["files"]
    assert stored["uri"] in {f["uri"] for f in files}


def test_volume_form_creates_a_run_once_task(client, volume) -> None:
    from ingestflow.orchestration import deployments as prefect_ops
    from tests.support import catalog as cat

    meta = json.dumps([{"file_name": "红楼梦 (通行本).txt", "file_size": 9, "mime_type": "text/plain"}])
    r = client.post("/connectors/upload", headers={"Moi-Key": "ingestflow-dev-key"},
                    files={"file": ("红楼梦 (通行本).txt", "中文字".encode(), "text/plain")},
                    data={"VolumeID": volume["id"], "meta": meta})
    data = ok_data(r)
    assert data["success"] is True and data["message"]
    assert [(x["success"], x["file_id"]) for x in data["results"]] == [(True, data["file_id"])]
    task = cat.task(data["task_id"])
    assert task.volume_id == volume["id"]
    assert len(prefect_ops.flow_runs(task.deployment_id)) == 1
    files = ok_data(client.get("/task/files", params={"task_id": data["task_id"]}))
    assert files["files"][0]["id"] == data["file_id"] and files["files"][0]["name"] == "红楼梦 (通行本).txt"
    assert files["files"][0]["path"].startswith("/api-vol/")
    ok_data(client.post("/task/delete", json={"task_id": data["task_id"]}))


@pytest.mark.parametrize("name", ["../escape.txt", "..", "a/../../b.txt", "bad\x00name.txt", "   "])
def test_unsafe_names_are_rejected_and_nothing_stored(client, volume, counts, name) -> None:
    before, stored = counts(), _stored_files()
    meta = json.dumps([{"file_name": name, "file_size": 3}])
    r = client.post("/connectors/upload", files={"file": ("x.txt", b"abc", "text/plain")},
                    data={"VolumeID": volume["id"], "meta": meta})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "ErrValidation"
    assert counts() == before and _stored_files() == stored


def test_directory_parts_are_stripped(client) -> None:
    data = ok_data(client.post("/connectors/upload", files={"data": ("dir/sub/plain.md", b"# x", "text/markdown")}))
    assert data["files"][0]["filename"] == "plain.md"


def test_oversized_upload_is_413_and_nothing_stored(client, volume, counts, settings_env) -> None:
    settings_env("INGESTFLOW_MAX_UPLOAD_MB", "0.001")  # ~1 KB
    before, stored = counts(), _stored_files()
    big = b"x" * 4096
    r = client.post("/connectors/upload", files={"file": ("big.txt", big, "text/plain")},
                    data={"VolumeID": volume["id"], "meta": json.dumps([{"file_name": "big.txt", "file_size": 10}])})
    assert r.status_code == 413 and r.json()["code"] == "ErrPayloadTooLarge"
    r = client.post("/connectors/upload", files={"data": ("big.txt", big, "text/plain")})
    assert r.status_code == 413
    assert counts() == before and _stored_files() == stored


def test_bad_upload_requests(client, volume, counts) -> None:
    before, stored = counts(), _stored_files()
    r = client.post("/connectors/upload", files={"file": ("x.txt", b"abc")}, data={"VolumeID": "1234567890123456789"})
    assert r.status_code == 404
    r = client.post("/connectors/upload", files={"file": ("x.txt", b"abc")})
    assert r.status_code == 400 and "VolumeID" in r.json()["msg"]
    r = client.post("/connectors/upload", files={"file": ("x.txt", b"abc")}, data={"VolumeID": volume["id"],
                                                                                  "meta": "{not json"})
    assert r.status_code == 400 and "meta" in r.json()["msg"]
    r = client.post("/connectors/upload", data={"VolumeID": volume["id"]})
    assert r.status_code == 400
    assert counts() == before and _stored_files() == stored


def test_uploads_go_through_one_upload_connector(client) -> None:
    first = ok_data(client.post("/connectors/upload", files={"data": ("one.txt", b"1", "text/plain")}))
    second = ok_data(client.post("/connectors/upload", files={"data": ("two.txt", b"2", "text/plain")}))
    assert first["connector_id"] == second["connector_id"]
    [listed] = ok_data(client.get("/connectors/list", params={"source_type": 7}))["connectors"]
    assert listed["id"] == first["connector_id"] and listed["upload"] == {}
    r = client.post("/connectors", json={"name": "mine", "source_type": 7, "upload": {}})
    assert r.status_code == 400 and "source_type" in r.json()["msg"]  # the server's own kind


@pytest.fixture()
def s3_upload_store(settings_env):
    """The upload store switched to a fresh bucket (prefix ``uploads/``) on the process's moto server."""
    from tests.integration.connectors.conftest import shared_s3_server

    server = shared_s3_server()
    bucket = f"api-uploads-{uuid.uuid4().hex[:8]}"
    server.client().create_bucket(Bucket=bucket)
    for name, value in (("STORE", f"s3://{bucket}/uploads"), ("S3__ENDPOINT", server.endpoint),
                        ("S3__ACCESS_KEY_ID", server.access_key), ("S3__ACCESS_KEY_SECRET", server.secret_key)):
        settings_env(f"INGESTFLOW_UPLOAD_{name}", value)

    def keys() -> list[str]:
        return [o["Key"] for o in server.client().list_objects_v2(Bucket=bucket).get("Contents", [])]

    return keys


def test_data_form_into_an_s3_upload_store(client, s3_upload_store, counts, settings_env) -> None:
    stored_here = _stored_files()
    data = ok_data(client.post("/connectors/upload", files={"data": ("桶里 example.txt", "存到桶里".encode(), "text/plain")}))
    [stored] = data["files"]
    assert stored["filename"] == "桶里 example.txt" and stored["size"] == len("存到桶里".encode())
    assert s3_upload_store() == [f"uploads/{stored['uri']}"] and _stored_files() == stored_here
    files = ok_data(client.get("/connectors/files/list", params={"connector_id": data["connector_id"]}))["files"]
    assert [f["uri"] for f in files] == [stored["uri"]]

    settings_env("INGESTFLOW_MAX_UPLOAD_MB", "0.001")  # ~1 KB: the second file fails, the first is removed again
    before = counts()
    r = client.post("/connectors/upload", files=[("data", ("small.txt", b"ok", "text/plain")),
                                                 ("data", ("big.txt", b"x" * 4096, "text/plain"))])
    assert r.status_code == 413 and counts() == before
    assert s3_upload_store() == [f"uploads/{stored['uri']}"]


def test_volume_form_into_an_s3_upload_store(client, volume, s3_upload_store) -> None:
    r = client.post("/connectors/upload", files={"file": ("桶 doc.md", "# 标题\n\n正文".encode(), "text/markdown")},
                    data={"VolumeID": volume["id"], "meta": json.dumps([{"file_name": "桶 doc.md", "file_size": 16}])})
    data = ok_data(r)
    [result] = data["results"]
    assert s3_upload_store() == [f"uploads/{result['uri']}"]
    files = ok_data(client.get("/task/files", params={"task_id": data["task_id"]}))["files"]
    assert [(f["id"], f["name"], f["size"]) for f in files] == [(data["file_id"], "桶 doc.md", len("# 标题\n\n正文".encode()))]
    ok_data(client.post("/task/delete", json={"task_id": data["task_id"]}))
