"""The seed's own request examples against a live uvicorn server process.

They use ``requests`` because the seed's example code does (its ``upload_file`` is replayed verbatim).
"""

from __future__ import annotations

import json
import mimetypes
import os

import pytest
import requests

from tests.support.api import KEY, SECRET
from tests.support.stack import api_server, base_env

@pytest.fixture(scope="module")
def live_data_dir(tmp_path_factory):
    """The live server's own data dir: its catalog holds only what the seed's examples create."""
    return tmp_path_factory.mktemp("live-seed") / "data"


@pytest.fixture(scope="module")
def base_url(prefect_server, live_data_dir):
    """The API under uvicorn over a private data dir (only the API opens its Milvus Lite file)."""
    live_data_dir.mkdir(parents=True)
    with api_server(base_env(live_data_dir, INGESTFLOW_MILVUS_URI=str(live_data_dir / "milvus.db"))) as url:
        yield url


def _ok(response, data: bool = True):  # noqa: ANN001, ANN202
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "OK" and body["msg"] == "OK"
    assert SECRET not in response.text
    return body.get("data") if data else body


def test_seed_examples(base_url, live_data_dir, source_dir, tmp_path, settings_env) -> None:  # noqa: PLR0915
    headers = {"moi-key": KEY}

    # 创建连接器 (OSS, as in the seed) and an S3 one to update
    body = {"name": "oss-test2", "source_type": 4,
            "oss": {"endpoint": "127.0.0.1:9", "access_key_id": "xxxx", "access_key_secret": SECRET,
                    "bucket_name": "moc-test-data"}}
    oss_id = _ok(requests.post(f"{base_url}/connectors", json=body, headers=headers))["id"]
    s3 = {"endpoint": "127.0.0.1:9", "access_key_id": "xxxx", "access_key_secret": SECRET, "bucket_name": "xxxx",
          "region": "xxxx", "path_style": True}
    s3_id = _ok(requests.post(f"{base_url}/connectors", json={"name": "s3-test", "source_type": 5, "s3": s3},
                              headers=headers))["id"]

    # 验证连接器
    data = _ok(requests.post(f"{base_url}/connectors/validate", json=body, headers=headers))
    assert isinstance(data["valid"], bool)

    # 查询连接器
    params = {"is_desc": False, "keyword": "oss-test", "order_by": "", "page": 1, "page_size": 10}
    data = _ok(requests.get(f"{base_url}/connectors/list", headers=headers, params=params))
    assert data["total"] == 1
    [conn] = data["connectors"]
    assert conn["id"] == oss_id and conn["source_type"] == 4 and conn["status"] == "active"
    assert isinstance(conn["created_at"], int) and conn["related_task_ids"] == [] and conn["usage_type"] == []
    assert conn["oss"]["access_key_secret"] == "******" and conn["oss"]["bucket_name"] == "moc-test-data"

    # 更新连接器 / 删除连接器
    body = {"name": "s3-test1", "s3": {"endpoint": "xxxx", "access_key_id": "xxxx", "access_key_secret": "xxxx",
                                       "bucket_name": "xxxx", "region": "xxxx"}}
    assert _ok(requests.put(f"{base_url}/connectors/{s3_id}", json=body, headers=headers), data=False) == {
        "code": "OK", "msg": "OK"}
    assert _ok(requests.delete(f"{base_url}/connectors/{oss_id}", headers=headers), data=False)["code"] == "OK"
    _ok(requests.delete(f"{base_url}/connectors/{s3_id}", headers=headers))

    # 查询连接器源文件
    local_id = _ok(requests.post(f"{base_url}/connectors", json={"name": "live-local", "source_type": 6,
                                                                 "local": {"root": str(source_dir)}},
                                 headers=headers))["id"]
    data = _ok(requests.get(f"{base_url}/connectors/files/list", headers=headers,
                            params={"connector_id": local_id, "file_types": 1}))
    assert {f["uri"] for f in data["files"]} == {"a.txt", "sub/红楼梦.txt"}
    assert all(isinstance(f["size"], int) and f["type"] == 1 for f in data["files"])

    # 上传文件到连接器 (form a)
    example = tmp_path / "example.txt"
    example.write_text("example upload", encoding="utf-8")
    with example.open("rb") as fh:
        data = _ok(requests.post(f"{base_url}/connectors/upload", headers=headers, files={"data": fh}))
    assert data["files"][0]["filename"] == "example.txt"

    # 获取连接器摘要
    assert "by_source_type" in _ok(requests.get(f"{base_url}/connectors/summary", headers=headers))

    volume_id = _ok(requests.post(f"{base_url}/volumes", json={"name": "b-vol2"}, headers=headers))["volume_id"]

    # 本地上传载入 (form b): the seed's upload_file, verbatim apart from the URL
    def upload_file(file_path, volume_id, moi_key):  # noqa: ANN001, ANN202
        url = f"{base_url}/connectors/upload"
        headers = {"Moi-Key": moi_key}
        file_name = os.path.basename(file_path)
        file_size = os.path.getsize(file_path)
        mime_type, _ = mimetypes.guess_type(file_path)
        meta = json.dumps([{"file_name": file_name, "file_size": file_size,
                            "mime_type": mime_type or "application/octet-stream"}])
        with open(file_path, "rb") as f:  # noqa: PTH123
            files = {"file": (file_name, f, mime_type or "application/octet-stream")}
            data = {"VolumeID": volume_id, "meta": meta}
            response = requests.post(url, headers=headers, files=files, data=data)
        response.raise_for_status()
        return response.json()

    doc = tmp_path / "红楼梦(通行本)简体横排.txt"
    doc.write_text("满纸荒唐言", encoding="utf-8")
    result = upload_file(str(doc), volume_id, KEY)
    assert result["code"] == "OK" and result["data"]["success"] is True
    assert set(result["data"]) >= {"success", "file_id", "task_id", "message", "results"}
    upload_task = result["data"]["task_id"]

    # 创建载入任务 (connector load)
    body = {"source_connector_id": local_id, "volume_id": volume_id,
            "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4},
                                                          "uris": ["sub/红楼梦.txt"]}},
            "config_type": 1}
    task_id = _ok(requests.post(f"{base_url}/task", json=body, headers=headers))["task_id"]

    # 载入任务列表 / 获取
    data = _ok(requests.get(f"{base_url}/task/list", headers=headers))
    assert data["total"] >= 2 and {task_id, upload_task} <= {t["id"] for t in data["tasks"]}
    task = _ok(requests.get(f"{base_url}/task/get?task_id={task_id}", headers=headers))["task"]
    assert task["volume_name"] == "b-vol2" and task["source_connector_id"] == local_id
    assert task["source_config"]["common_file_task_config"]["load_mode_config"] == {"load_interval_type": 4,
                                                                                     "interval": 0}

    # 更新 / 暂停 / 恢复
    body = {"task_id": task_id, "load_mode_config": {"load_interval_type": 4}, "uris": ["a.txt", "sub/红楼梦.txt"]}
    assert _ok(requests.post(f"{base_url}/task/update", json=body, headers=headers), data=False)["code"] == "OK"
    _ok(requests.post(f"{base_url}/task/pause", headers=headers, json={"task_id": task_id}))
    _ok(requests.post(f"{base_url}/task/resume", headers=headers, json={"task_id": task_id}))

    # 获取载入任务下的文件 (the seed's URL keeps a literal "{task_id}"; params carry the number)
    url = f"{base_url}/task/files?task_id={{task_id}}"
    data = _ok(requests.get(url, headers=headers, params={"task_id": int(upload_task)}))
    assert data["total"] == 1 and data["total_success"] == 0 and data["total_failed"] == 0
    [file] = data["files"]
    assert file["id"] == result["data"]["file_id"] and file["name"] == doc.name and file["status"] == 1
    assert file["path"] == f"/b-vol2/{file['path'].split('/', 2)[2]}" and file["path"].endswith(doc.name)

    # 重试: mark the file failed (as the flow would), then the seed's retry call
    from tests.support import catalog as cat

    settings_env("INGESTFLOW_DATA_DIR", str(live_data_dir))  # the server's catalog
    cat.mark_file(file["id"], status=4, reason="boom")
    body = {"task_id": upload_task, "ids": [file["id"]]}
    assert _ok(requests.post(f"{base_url}/task/retry", headers=headers, json=body))["file_ids"] == [file["id"]]

    # 删除 (the seed posts to "/task/delete/")
    for tid in (task_id, upload_task):
        _ok(requests.post(f"{base_url}/task/delete/", headers=headers, json={"task_id": tid}))
    r = requests.get(f"{base_url}/task/get?task_id={task_id}", headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "ErrNotFound"
    assert requests.get(f"{base_url}/task/list", headers={"moi-key": "nope"}).status_code == 401
