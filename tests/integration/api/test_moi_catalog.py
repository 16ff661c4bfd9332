"""MOI's catalog API (seed 000) in the API process: volumes, files, folders, dedup, two-step uploads, links, errors.

Load runs stay queued here (the session's worker serves jobs only): the live SDK test
(``tests/e2e/test_moi_sdk.py``) runs the loads; these check the catalog, the store and the envelope.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest

from tests.support.api import ok_data


def _err(response, status: int, code: str) -> str:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body["msg"]


def _stored() -> set[str]:
    from ingestflow.settings import get_settings

    root = get_settings().uploads_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture()
def moi_volume(client):
    name = f"moi-{time.time_ns()}"
    vid = ok_data(client.post("/catalog/volume/create", json={"name": name, "database_id": 201,
                                                              "description": "SDK volume"}))["id"]
    yield vid
    for f in ok_data(client.post("/catalog/file/list", json={"common_condition": {
            "page_size": 1000, "filters": [{"name": "volume_id", "values": [vid]}, {"name": "type",
                                                                                   "values": ["file"]}]}}))["list"]:
        from tests.support import catalog as cat

        if f["task_id"]:
            cat.update_task(f["task_id"], status=4)
        client.post("/catalog/file/delete", json={"id": f["id"]})
    client.post("/catalog/volume/delete", json={"id": vid})


def _upload(client, vid: str, files: list[tuple[str, bytes]], meta=None, dedup=None, **fields):  # noqa: ANN001, ANN202
    data = {"VolumeID": vid, **fields}
    if meta is not None:
        data["meta"] = json.dumps(meta)
    if dedup is not None:
        data["dedup"] = json.dumps(dedup)
    return client.post("/connectors/upload", data=data, files=[("file", (n, b, "application/octet-stream"))
                                                               for n, b in files])


def _list(client, vid: str, *filters, **kw) -> dict:  # noqa: ANN001
    body = {"keyword": kw.pop("keyword", ""), "common_condition": {
        "page": 1, "page_size": 100, "filters": [{"name": "volume_id", "values": [vid]}, *filters]}}
    return ok_data(client.post("/catalog/file/list", json=body))


def test_volume_life_cycle(client) -> None:
    vid = ok_data(client.post("/catalog/volume/create", json={"name": f"vol-{time.time_ns()}", "database_id": 9,
                                                              "comment": "描述"}))["id"]
    info = ok_data(client.post("/catalog/volume/info", json={"id": vid}))
    assert info["description"] == "描述" and info["ref"] is False and info["database_id"] == "1"
    assert info["file_count"] == 0 and info["created_at"].endswith("Z")
    ok_data(client.post("/catalog/volume/update", json={"id": vid, "name": info["name"] + "-v2"}))
    assert ok_data(client.post("/catalog/volume/info", json={"volume_id": vid}))["name"] == info["name"] + "-v2"
    ok_data(client.post("/catalog/volume/add_ref_workflow", json={"id": vid}))
    assert ok_data(client.post("/catalog/volume/info", json={"id": vid}))["ref"] is True
    refs = ok_data(client.post("/catalog/volume/ref_list", json={"id": vid}))["list"]
    assert [r["ref_type"] for r in refs] == ["workflow"]
    ok_data(client.post("/catalog/volume/remove_ref_workflow", json={"id": vid}))
    paths = ok_data(client.post("/catalog/volume/full_path", json={"volume_id_list": [vid], "database_id_list": [1]}))
    assert paths["volume_full_path"] == [{"id_list": ["1", "1", vid], "name_list": ["ingestflow", "default",
                                                                                  info["name"] + "-v2"]}]
    assert paths["database_full_path"][0]["id_list"] == ["1", "1"]
    ok_data(client.post("/catalog/volume/delete", json={"id": vid}))
    assert "does not exist" in _err(client.post("/catalog/volume/info", json={"id": vid}), 404, "ErrNotFound")


def test_upload_with_meta_folders_list_find_and_dedup_skip(client, moi_volume, counts) -> None:
    vid = moi_volume
    meta = [{"filename": "年度报告.txt", "path": "报告/2024/年度报告.txt"}, {"filename": "notes.md", "path": "docs/"},
            {"filename": "root.txt", "path": "root.txt"}]
    files = [("x1.txt", "年度报告：营收增长".encode()), ("x2.md", b"# Notes\n\nhello"), ("r.txt", b"root file")]
    data = ok_data(_upload(client, vid, files, meta=meta))
    assert data["success"] is True and data["task_id"]
    results = data["results"]
    assert [(r["file_name"], r["status"], r["path"]) for r in results] == [
        ("年度报告.txt", "created", "/报告/2024/年度报告.txt"), ("notes.md", "created", "/docs/notes.md"),
        ("root.txt", "created", "/root.txt")]
    task_files = ok_data(client.get("/task/files", params={"task_id": data["task_id"]}))["files"]
    assert {f["id"] for f in task_files} == {r["file_id"] for r in results}  # one id for the file everywhere

    root = _list(client, vid, {"name": "parent_id", "values": [""]})
    assert [(f["name"], f["is_dir"]) for f in root["list"]] == [("docs", True), ("报告", True), ("root.txt", False)]
    folder = next(f for f in root["list"] if f["name"] == "报告")
    assert folder["show_type"] == "dir" and folder["file_type"] == "10"
    sub = _list(client, vid, {"name": "parent_id", "values": [folder["id"]]})["list"]
    [year] = sub
    [report] = _list(client, vid, {"name": "parent_id", "values": [year["id"]]})["list"]
    assert report["name"] == "年度报告.txt" and report["show_path"] == "/报告/2024/年度报告.txt"
    assert report["file_ext"] == "txt" and report["size"] == len("年度报告：营收增长".encode()) and report["md5"]
    assert report["task_id"] == data["task_id"] and report["load_status"] == 1  # waiting: no load worker here

    # the SDK's find_files_by_name: root only, exact name or name without its extension
    find = {"keyword": "", "common_condition": {"page": 1, "page_size": 10, "order": "desc", "order_by": "",
                                                "filters": [{"name": "volume_id", "values": [vid], "fuzzy": False},
                                                            {"name": "parent_id", "values": [""], "fuzzy": False},
                                                            {"name": "file_name", "values": ["root"], "fuzzy": False}]}}
    found = ok_data(client.post("/catalog/file/list", json=find))
    assert found["total"] == 1 and found["list"][0]["name"] == "root.txt"
    assert _list(client, vid, keyword="notes")["total"] == 1
    assert _list(client, vid, {"name": "file_name", "values": ["报告"], "fuzzy": True})["total"] == 2  # folder + file

    before, stored = counts(), _stored()
    again = ok_data(_upload(client, vid, files, meta=meta, dedup={"by": ["name", "md5"], "strategy": "skip"}))
    assert [r["status"] for r in again["results"]] == ["skipped"] * 3
    assert [r["file_id"] for r in again["results"]] == [r["file_id"] for r in results]
    assert again["task_id"] == data["task_id"] and again["message"] == "文件已存在，已跳过"
    assert counts() == before and _stored() == stored  # no second document, no leftover bytes

    renamed = ok_data(_upload(client, vid, [("copy.txt", b"root file")], meta=[{"filename": "copy.txt"}],
                              dedup={"by": ["md5"]}))
    assert renamed["results"][0]["status"] == "skipped" and renamed["file_id"] == results[2]["file_id"]
    dup = ok_data(_upload(client, vid, [("a.txt", b"same"), ("b.txt", b"same")], dedup={"by": ["md5"],
                                                                                      "strategy": "skip"}))
    assert [r["status"] for r in dup["results"]] == ["created", "skipped"]
    assert dup["results"][1]["file_id"] == dup["results"][0]["file_id"]


def test_dedup_replace_keeps_the_file_and_reruns_its_task(client, moi_volume) -> None:
    from ingestflow.orchestration import deployments as prefect_ops
    from tests.support import catalog as cat

    vid = moi_volume
    first = ok_data(_upload(client, vid, [("plan.txt", b"version one")], meta=[{"filename": "plan.txt", "path": "/"}]))
    [res] = first["results"]
    r = _upload(client, vid, [("plan.txt", b"version two")], dedup={"by": ["name"], "strategy": "replace"})
    assert "still being loaded" in _err(r, 409, "ErrConflict")
    cat.mark_file(res["file_id"], status=5, stage="completed")  # as the worker leaves it
    cat.update_task(first["task_id"], status=4)
    task = cat.task(first["task_id"])
    runs_before = len(prefect_ops.flow_runs(task.deployment_id))
    second = ok_data(_upload(client, vid, [("plan.txt", b"version two!")], dedup={"by": ["name"],
                                                                                "strategy": "replace"}))
    [rep] = second["results"]
    assert rep["status"] == "replaced" and rep["file_id"] == res["file_id"] and rep["uri"] == res["uri"]
    assert second["task_id"] == first["task_id"] and cat.task(first["task_id"]).status == 1  # runnable again
    assert len(prefect_ops.flow_runs(task.deployment_id)) == runs_before + 1
    info = ok_data(client.post("/catalog/file/info", json={"id": res["file_id"]}))
    assert info["size"] == len(b"version two!") and info["md5"] == rep["md5"]
    link = ok_data(client.post("/catalog/file/download", json={"file_id": res["file_id"], "volume_id": vid}))
    assert client.get(link["link"]).content == b"version two!"
    assert not any(s.startswith("replaced/") for s in _stored())  # the backup is gone
    cat.mark_file(res["file_id"], status=5, stage="completed")
    cat.update_task(first["task_id"], status=4)
    r = _upload(client, vid, [("x.txt", b"1"), ("x.txt", b"2")], dedup={"by": ["name"], "strategy": "replace"})
    assert "duplicates" in _err(r, 400, "ErrValidation")

    # Prefect refuses the re-run (its deployment is gone): the replace is undone, bytes and fields alike
    prefect_ops.delete(task.deployment_id)
    stored = _stored()
    r = _upload(client, vid, [("plan.txt", b"version three")], dedup={"by": ["name"], "strategy": "replace"})
    assert r.status_code >= 400 and r.json()["code"] != "OK", r.text
    after = ok_data(client.post("/catalog/file/info", json={"id": res["file_id"]}))
    assert (after["size"], after["md5"]) == (info["size"], info["md5"]) and _stored() == stored
    assert client.get(ok_data(client.post("/catalog/file/download", json={"file_id": res["file_id"]}))["link"]
                      ).content == b"version two!"


def test_file_types_and_path_regex_filter_an_upload(client, moi_volume) -> None:
    vid = moi_volume
    data = ok_data(_upload(client, vid, [("a.md", b"# a"), ("b.txt", b"b"), ("c.md", b"# c")],
                           meta=[{"filename": "a.md", "path": "keep/"}, {"filename": "b.txt", "path": "keep/"},
                                 {"filename": "c.md", "path": "drop/"}],
                           file_types=json.dumps([6]), path_regex="^keep/"))
    assert [(r["file_name"], r["status"], r["success"]) for r in data["results"]] == [
        ("a.md", "created", True), ("b.txt", "filtered", False), ("c.md", "filtered", False)]
    assert _list(client, vid, {"name": "type", "values": ["file"]})["total"] == 1
    r = _upload(client, vid, [("b.txt", b"b")], file_types="[6]")
    assert "no file matches" in _err(r, 400, "ErrValidation")
    assert "path_regex" in _err(_upload(client, vid, [("b.txt", b"b")], path_regex="(unclosed"), 400, "ErrValidation")


def test_links_rename_folders_and_delete(client, moi_volume, counts) -> None:
    vid = moi_volume
    folder = ok_data(client.post("/catalog/folder/create", json={"name": "合同", "volume_id": vid, "parent_id": ""}))
    _err(client.post("/catalog/folder/create", json={"name": "合同", "volume_id": vid}), 409, "ErrConflict")
    sub = ok_data(client.post("/catalog/folder/create", json={"name": "2025", "volume_id": vid,
                                                              "parent_id": folder["id"]}))
    paths = ok_data(client.post("/catalog/volume/full_path", json={"folder_id_list": [sub["id"]]}))
    assert paths["folder_full_path"][0]["name_list"][-2:] == ["合同", "2025"]
    up = ok_data(_upload(client, vid, [("c.txt", "合同正文".encode())], meta=[{"filename": "合同A.txt",
                                                                                "path": "合同/2025/"}]))
    fid = up["file_id"]
    assert up["results"][0]["parent_id"] == sub["id"]

    link = ok_data(client.post("/catalog/file/download", json={"file_id": fid, "volume_id": vid}))
    assert link["link"] == link["url"] and link["expires_at"] > time.time()
    got = client.get(link["link"])
    assert got.status_code == 200 and got.content == "合同正文".encode()
    assert "attachment" in got.headers["content-disposition"]
    preview = ok_data(client.post("/catalog/file/preview_link", json={"file_id": fid}))
    shown = client.get(preview["link"])
    assert shown.headers["content-type"].startswith("text/plain") and "inline" in shown.headers["content-disposition"]
    tampered = preview["link"].replace("inline=1", "inline=0")
    _err(client.get(tampered), 403, "ErrForbidden")
    parts = urlsplit(link["link"])
    expired = f"{parts.path}?{parts.query.replace(str(link['expires_at']), str(int(time.time()) - 5))}"
    _err(client.get(expired), 403, "ErrForbidden")
    stream = ok_data(client.post("/catalog/file/preview_stream", json={"file_id": fid}))
    assert stream["content"] == "合同正文" and stream["encoding"] == "utf-8" and stream["truncated"] is False

    ok_data(client.post("/catalog/file/update", json={"id": fid, "name": "合同B.txt"}))
    ok_data(client.post("/catalog/folder/update", json={"id": folder["id"], "name": "合同库"}))
    info = ok_data(client.post("/catalog/file/info", json={"id": fid}))
    assert info["name"] == "合同B.txt" and info["show_path"] == "/合同库/2025/合同B.txt"
    refs = ok_data(client.post("/catalog/folder/ref_list", json={"id": folder["id"]}))["list"]
    assert [r["ref_id"] for r in refs] == [up["task_id"]]

    r = client.post("/catalog/folder/clean", json={"id": folder["id"]})
    assert "still being loaded" in _err(r, 409, "ErrConflict")  # its load is queued: nothing deleted
    assert ok_data(client.post("/catalog/file/info", json={"id": fid}))["id"] == fid
    from tests.support import catalog as cat

    cat.update_task(up["task_id"], status=4)
    stored = _stored()
    ok_data(client.post("/catalog/folder/clean", json={"id": folder["id"]}))
    assert _list(client, vid, {"name": "parent_id", "values": [folder["id"]]})["total"] == 0
    assert up["results"][0]["uri"] not in _stored() and len(_stored()) == len(stored) - 1
    _err(client.get(link["link"]), 404, "ErrNotFound")  # the link outlives the file: a clear 404
    _err(client.get("/task/get", params={"task_id": up["task_id"]}), 404, "ErrNotFound")  # its emptied task went too
    ok_data(client.post("/catalog/folder/delete", json={"id": folder["id"]}))
    assert _list(client, vid)["total"] == 0


def test_two_step_upload_through_conn_files(client, moi_volume) -> None:
    vid = moi_volume
    csv_bytes = "id,name\n1,苹果\n2,香蕉\n".encode()
    up = ok_data(client.post("/connectors/file/upload", files=[("file", ("fruit.csv", csv_bytes, "text/csv"))],
                             data={"meta": json.dumps([{"filename": "水果.csv", "path": "/"}])}))
    [cid] = up["conn_file_ids"]
    assert up["files"][0]["filename"] == "水果.csv" and up["files"][0]["size"] == len(csv_bytes)
    preview = ok_data(client.post("/connectors/file/preview", json={"conn_file_id": cid, "isColumnName": True,
                                                                    "columnNameRow": 1}))
    assert [(c["columnName"], c["columnValues"]) for c in preview["rows"]] == [("id", ["1", "2"]),
                                                                              ("name", ["苹果", "香蕉"])]
    link = ok_data(client.post("/connectors/file/download", json={"conn_file_id": cid}))
    assert client.get(link["url"]).content == csv_bytes
    imported = ok_data(client.post("/connectors/upload", data={
        "VolumeID": vid, "meta": json.dumps([{"filename": "水果.csv", "path": "表格/水果.csv"}]),
        "table_config": json.dumps({"conn_file_ids": [cid], "new_table": False, "database_id": 0})},
        files={"__empty": ("", b"")}))  # what the SDK sends without files
    [res] = imported["results"]
    assert res["status"] == "created" and res["path"] == "/表格/水果.csv"
    info = ok_data(client.post("/catalog/file/info", json={"id": res["file_id"]}))
    assert info["ref_file_id"] == cid and info["md5"] == up["files"][0]["md5"]
    made = ok_data(client.post("/catalog/file/create", json={"name": "again.csv", "volume_id": vid, "parent_id": "",
                                                             "ref_file_id": cid, "dedup": {"by": ["md5"]}}))
    assert made["status"] == "skipped" and made["id"] == res["file_id"]
    ok_data(client.post("/connectors/file/delete", json={"conn_file_id": cid}))
    _err(client.post("/connectors/file/preview", json={"conn_file_id": cid}), 404, "ErrNotFound")
    link = ok_data(client.post("/catalog/file/download", json={"file_id": res["file_id"]}))
    assert client.get(link["link"]).content == csv_bytes


def test_bad_input_is_a_clear_error_and_leaves_nothing(client, moi_volume, counts, settings_env) -> None:
    vid = moi_volume
    before, stored = counts(), _stored()
    for path, body in [("/catalog/volume/info", {"id": "1234567890123456789"}),
                       ("/catalog/file/info", {"id": "vol-1"}), ("/catalog/file/delete", {"id": "404"}),
                       ("/catalog/folder/delete", {"id": "404"}), ("/connectors/file/download", {"conn_file_id": "9"}),
                       ("/catalog/file/download", {"file_id": "1", "volume_id": vid})]:
        assert "does not exist" in _err(client.post(path, json=body), 404, "ErrNotFound"), path
    r = _upload(client, "1234567890123456789", [("a.txt", b"a")])
    assert "volume" in _err(r, 404, "ErrNotFound")
    msg = _err(_upload(client, vid, [("a.txt", b"a")], dedup={"by": ["name"], "strategy": "overwrite"}), 400,
               "ErrValidation")
    assert "dedup.strategy" in msg and "skip, replace" in msg
    assert "dedup.by" in _err(_upload(client, vid, [("a.txt", b"a")], dedup={"by": ["size"]}), 400, "ErrValidation")
    assert "dedup" in _err(_upload(client, vid, [("a.txt", b"a")], dedup="skip"), 400, "ErrValidation")
    assert "meta.path" in _err(_upload(client, vid, [("a.txt", b"a")], meta=[{"filename": "a.txt",
                                                                              "path": "../up/"}]), 400, "ErrValidation")
    msg = _err(client.post("/connectors/upload", data={"VolumeID": "123456", "table_config": json.dumps(
        {"new_table": True, "database_id": 201, "conn_file_ids": ["1"]})}, files={"__empty": ("", b"")}),
        501, "ErrNotSupported")
    assert "tables" in msg
    filters = {"common_condition": {"filters": [{"name": "owner", "values": ["x"]}]}}
    assert "unknown filter" in _err(client.post("/catalog/file/list", json=filters), 400, "ErrValidation")
    settings_env("INGESTFLOW_MAX_UPLOAD_MB", "0.001")
    r = _upload(client, vid, [("small.txt", b"ok"), ("big.txt", b"x" * 4096)])
    assert "exceeds the upload limit" in _err(r, 413, "ErrPayloadTooLarge")
    r = client.post("/connectors/file/upload", files=[("file", ("big.bin", b"x" * 4096))])
    _err(r, 413, "ErrPayloadTooLarge")
    assert counts() == before and _stored() == stored

    ok_data(_upload(client, vid, [("keep.txt", b"keep")]))
    msg = _err(client.post("/catalog/volume/delete", json={"id": vid}), 409, "ErrConflict")
    assert "not empty" in msg and "keep.txt" in msg
    assert ok_data(client.post("/catalog/volume/info", json={"id": vid}))["file_count"] == 1


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/catalog/create"), ("POST", "/catalog/list"), ("POST", "/catalog/database/create"),
    ("POST", "/catalog/table/info"), ("POST", "/user/create"), ("POST", "/role/list"),
    ("POST", "/catalog/nl2sql/run_sql"), ("POST", "/catalog/nl2sql_knowledge/get"), ("GET", "/v1/genai/jobs/1"),
    ("POST", "/rbac/priv/list_obj_by_category"), ("GET", "/llm-proxy/api/sessions")])
def test_moi_calls_outside_ingestion_are_not_supported(client, method, path) -> None:
    msg = _err(client.request(method, path, json={}), 501, "ErrNotSupported")
    assert path in msg and "not supported" in msg


def test_healthz_and_auth(client) -> None:
    assert ok_data(client.get("/healthz"))["status"] == "ok"
    r = client.post("/catalog/volume/info", json={"id": "1"}, headers={"moi-key": "wrong"})
    _err(r, 401, "ErrAuth")
