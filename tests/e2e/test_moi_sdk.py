"""MOI's own Python SDK (``moi-python-sdk``, seed 000), unchanged, against a live API with a worker and Milvus.

Volume → import files (Chinese and English names, a folder in ``meta``) → list/find → ``get_task`` until
the load completed → ``POST /search`` finds them → a second import with ``dedup`` skip adds nothing → a
``replace`` re-indexes in place → two-step upload → download/preview links → delete → gone from search →
delete the volume; and bad input through the SDK. The server gets its own data dir (its catalog and
upload store hold only what this module makes) and a 1 MB upload limit (the oversized case).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from unittest import mock

import pytest
import requests

from tests.support.api import KEY
from tests.support.stack import live_api as start_live_api

moi = pytest.importorskip("moi", reason="moi-python-sdk is a dev dependency")
pytestmark = pytest.mark.slow

DONE = 4  # seed 002 TaskStatus.COMPLETED


@pytest.fixture(scope="module")
def server(prefect_server, tmp_path_factory):
    """(base URL, data dir) of a live API + worker + Milvus Lite server with a 1 MB upload limit."""
    work = tmp_path_factory.mktemp("moi-sdk")
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, {"INGESTFLOW_MAX_UPLOAD_MB": "1"}):  # read by the children at start
            url = stack.enter_context(start_live_api(work))
        yield url, work / "data"


@pytest.fixture(scope="module")
def sdk(server):
    raw = moi.RawClient(server[0], KEY)
    return raw, moi.SDKClient(raw)


def _stored(data_dir: Path) -> set[str]:
    root = data_dir / "uploads"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _wait(raw, task_id: str, timeout_s: float = 600) -> dict:  # noqa: ANN001
    """Poll ``raw.get_task`` (seed 002's ``{"task": {…}}``) until the load task completed."""
    deadline = time.monotonic() + timeout_s
    while True:
        task = raw.get_task({"task_id": task_id})["task"]
        if task["status"] == DONE:
            return task
        assert time.monotonic() < deadline, f"task {task_id} did not complete: {task}"
        time.sleep(1)


def _search(url: str, volume_id: str, query: str) -> list[dict]:
    r = requests.post(f"{url}/search", headers={"moi-key": KEY}, timeout=60,
                      json={"query": query, "volume_id": volume_id, "retrieval_strategy": "full_text", "k": 10})
    assert r.status_code == 200, r.text
    return r.json()["data"]["results"]


def _docs(hits: list[dict]) -> set[str]:
    return {h["document"]["id"] for h in hits}


def _http_error(call, status: int, code: str) -> str:  # noqa: ANN001
    """What the SDK raises for an error: ``moi.HTTPError`` with the status and the error envelope as body."""
    with pytest.raises(moi.HTTPError) as info:
        call()
    assert info.value.status_code == status, info.value
    body = json.loads(info.value.body)
    assert body["code"] == code, body
    return body["msg"]


def _in_root(raw, volume_id: str) -> list[dict]:  # noqa: ANN001
    return raw.list_files({"keyword": "", "common_condition": {"page": 1, "page_size": 100, "filters": [
        {"name": "volume_id", "values": [volume_id], "fuzzy": False},
        {"name": "parent_id", "values": [""], "fuzzy": False}]}})["list"]


def test_the_sdk_drives_volumes_files_folders_and_search(server, sdk, tmp_path) -> None:  # noqa: PLR0915
    url, data_dir = server
    raw, client = sdk
    assert raw.health_check()["code"] == "OK"

    # volume: create (the database id is accepted and ignored), info, update
    vid = raw.create_volume({"database_id": 201, "name": "sdk-sales-files", "description": "Landing"})["id"]
    assert raw.get_volume({"id": vid})["name"] == "sdk-sales-files"
    assert raw.update_volume({"id": vid, "name": "sdk-sales-files-v2"})["id"] == vid
    info = raw.get_volume({"id": vid})
    assert (info["name"], info["description"], info["file_count"]) == ("sdk-sales-files-v2", "Landing", 0)

    # import: one file, then two with a folder path in meta (Chinese and English names)
    cn = tmp_path / "长江介绍.txt"
    cn.write_text("白鱀豚曾经生活在长江中下游，是长江特有的淡水豚类。\n", encoding="utf-8")
    en = tmp_path / "rivers-en.md"
    en.write_text("# Rivers\n\nThe Danube flows through ten countries; survey code ZR9041.\n", encoding="utf-8")
    report = tmp_path / "annual.md"
    report.write_text("# 年度报告\n\n营收增长主要来自 QX5528 项目。\n", encoding="utf-8")
    skip = moi.new_dedup_config_skip_by_name_and_md5()
    one = client.import_local_file_to_volume(str(cn), vid, {"filename": "长江介绍.txt", "path": "长江介绍.txt"}, skip)
    assert one["success"] is True and one["task_id"] and one["file_id"]
    assert one["results"][0]["status"] == "created" and one["results"][0]["path"] == "/长江介绍.txt"
    two = client.import_local_files_to_volume(
        [str(en), str(report)], vid,
        [{"filename": "rivers-en.md", "path": "rivers-en.md"}, {"filename": "年度报告.md", "path": "报告/2024/年度报告.md"}],
        {"by": ["name", "md5"], "strategy": "skip"})
    assert [r["path"] for r in two["results"]] == ["/rivers-en.md", "/报告/2024/年度报告.md"]
    cn_id, (en_id, report_id) = one["file_id"], [r["file_id"] for r in two["results"]]

    # list / find: find_files_by_name looks in the root, by name or name without extension
    found = client.find_files_by_name("长江介绍", vid)
    assert found["total"] == 1 and found["list"][0]["id"] == cn_id and found["list"][0]["volume_id"] == vid
    assert client.find_files_by_name("rivers-en.md", vid)["list"][0]["id"] == en_id
    assert client.find_files_by_name("年度报告.md", vid)["total"] == 0  # it is in a folder, not the root
    root = _in_root(raw, vid)
    assert {(f["name"], f["is_dir"]) for f in root} == {("rivers-en.md", False), ("长江介绍.txt", False),
                                                         ("报告", True)}
    folder = next(f for f in root if f["is_dir"])
    [year] = raw.list_files({"common_condition": {"filters": [{"name": "parent_id", "values": [folder["id"]]}]}})["list"]
    [listed] = raw.list_files({"common_condition": {"filters": [{"name": "parent_id", "values": [year["id"]]}]}})["list"]
    assert (listed["id"], listed["name"], listed["show_path"]) == (report_id, "年度报告.md", "/报告/2024/年度报告.md")
    path = raw.get_volume_full_path({"folder_id_list": [year["id"]]})["folder_full_path"][0]
    assert path["name_list"] == ["ingestflow", "default", "sdk-sales-files-v2", "报告", "2024"]
    assert {r["ref_id"] for r in raw.get_volume_ref_list({"id": vid})["list"]} == {one["task_id"], two["task_id"]}

    # the loads, polled through the SDK's get_task
    for task_id in (one["task_id"], two["task_id"]):
        task = _wait(raw, task_id)
        assert task["id"] == task_id and task["volume_id"] == vid
    file_info = raw.get_file({"id": cn_id})
    assert (file_info["load_status"], file_info["stage"], file_info["name"]) == (5, "completed", "长江介绍.txt")
    assert file_info["segment_count"] >= 1 and file_info["size"] == cn.stat().st_size

    # found by POST /search, each once
    docs = {fid: raw.get_file({"id": fid})["document_id"] for fid in (cn_id, en_id, report_id)}
    assert _docs(_search(url, vid, "白鱀豚")) == {docs[cn_id]}
    assert _docs(_search(url, vid, "ZR9041")) == {docs[en_id]}
    assert _docs(_search(url, vid, "QX5528")) == {docs[report_id]}

    # a second import with dedup skip adds nothing: same file, no new task run, search unchanged
    stored = _stored(data_dir)
    again = client.import_local_file_to_volume(str(cn), vid, {"filename": "长江介绍.txt", "path": "长江介绍.txt"}, skip)
    assert again["results"][0]["status"] == "skipped" and again["file_id"] == cn_id
    assert again["task_id"] == one["task_id"] and raw.get_task({"task_id": again["task_id"]})["task"]["status"] == DONE
    assert _stored(data_dir) == stored and raw.get_volume({"id": vid})["file_count"] == 3
    hits = _search(url, vid, "白鱀豚")
    assert _docs(hits) == {docs[cn_id]} and len(hits) == 1

    # replace: same file id and document, new content re-indexed in place
    en.write_text("# Rivers\n\nThe Rhine replaced it: survey code KP3307.\n", encoding="utf-8")
    replaced = client.import_local_file_to_volume(str(en), vid, {"filename": "rivers-en.md", "path": "rivers-en.md"},
                                                  moi.new_dedup_config([moi.DedupBy.NAME], moi.DedupStrategy.REPLACE))
    assert replaced["results"][0]["status"] == "replaced" and replaced["file_id"] == en_id
    _wait(raw, replaced["task_id"])
    assert raw.get_file({"id": en_id})["document_id"] == docs[en_id]
    assert _docs(_search(url, vid, "KP3307")) == {docs[en_id]} and _search(url, vid, "ZR9041") == []

    # download / preview links are this server's signed URLs: the bytes without the key
    link = raw.get_file_download_link({"file_id": cn_id, "volume_id": vid})
    got = requests.get(link["link"], timeout=30)
    assert got.status_code == 200 and got.content == cn.read_bytes()
    assert requests.get(link["link"].replace("signature=", "signature=0"), timeout=30).status_code == 403
    preview = raw.get_file_preview_link({"file_id": report_id, "volume_id": vid})
    assert requests.get(preview["link"], timeout=30).text == report.read_text(encoding="utf-8")
    stream = raw.get_file_preview_stream({"file_id": en_id})
    assert stream["content"] == en.read_text(encoding="utf-8") and stream["encoding"] == "utf-8"

    # two-step upload: temporary storage → conn_file_id → into the volume
    csv_file = tmp_path / "fruit.csv"
    csv_file.write_text("id,name\n1,苹果\n2,香蕉 MX4410\n", encoding="utf-8")
    [conn_id] = raw.upload_local_file_from_path(str(csv_file), [{"filename": "水果.csv", "path": "/"}])["conn_file_ids"]
    rows = raw.preview_connector_file({"conn_file_id": conn_id, "isColumnName": True, "columnNameRow": 1})["rows"]
    assert [(r["columnName"], r["columnValues"]) for r in rows] == [("id", ["1", "2"]), ("name", ["苹果", "香蕉 MX4410"])]
    conn_link = raw.download_connector_file({"conn_file_id": conn_id})
    assert requests.get(conn_link["link"], timeout=30).content == csv_file.read_bytes()
    two_step = raw.upload_connector_file(vid, meta=[{"filename": "水果.csv", "path": "表格/"}],
                                         table_config={"conn_file_ids": [conn_id]})
    assert two_step["results"][0]["path"] == "/表格/水果.csv"
    raw.delete_connector_file({"conn_file_id": conn_id})
    _wait(raw, two_step["task_id"])
    csv_doc = raw.get_file({"id": two_step["file_id"]})["document_id"]
    assert _docs(_search(url, vid, "MX4410")) == {csv_doc}

    # rename (search shows the new name), delete (its chunks are gone from search)
    raw.update_file({"id": cn_id, "name": "长江.txt"})
    assert _search(url, vid, "白鱀豚")[0]["document"]["name"] == "长江.txt"
    raw.delete_file({"id": cn_id})
    assert _search(url, vid, "白鱀豚") == [] and client.find_files_by_name("长江", vid)["total"] == 0
    _http_error(lambda: raw.get_file({"id": cn_id}), 404, "ErrNotFound")

    # a volume that is not empty is refused: the SDK gets HTTPError 409 with the error envelope
    msg = _http_error(lambda: raw.delete_volume({"id": vid}), 409, "ErrConflict")
    assert "not empty" in msg
    raw.delete_folder({"id": folder["id"]})
    assert _search(url, vid, "QX5528") == []
    for fid in (en_id, two_step["file_id"]):
        raw.delete_file({"id": fid})
    assert raw.get_volume({"id": vid})["file_count"] == 0
    raw.delete_volume({"id": vid})
    _http_error(lambda: raw.get_volume({"id": vid}), 404, "ErrNotFound")
    assert _stored(data_dir) == set()  # every stored byte of the volume went with it


def test_bad_input_through_the_sdk(server, sdk, tmp_path) -> None:
    url, data_dir = server
    raw, client = sdk
    vid = raw.create_volume({"name": "sdk-bad-input", "database_id": 1})["id"]
    small = tmp_path / "small.txt"
    small.write_text("small", encoding="utf-8")
    stored = _stored(data_dir)

    # unknown ids
    assert "does not exist" in _http_error(lambda: raw.get_volume({"id": "vol-1"}), 404, "ErrNotFound")
    _http_error(lambda: raw.get_file({"id": "1234567890123456789"}), 404, "ErrNotFound")
    _http_error(lambda: raw.delete_file({"id": "1234567890123456789"}), 404, "ErrNotFound")
    _http_error(lambda: raw.get_file_download_link({"file_id": "42", "volume_id": vid}), 404, "ErrNotFound")
    _http_error(lambda: raw.get_task({"task_id": "1234567890123456789"}), 404, "ErrNotFound")
    _http_error(lambda: client.import_local_file_to_volume(str(small), "1234567890123456789", {"filename": "s.txt"}),
                404, "ErrNotFound")
    _http_error(lambda: raw.delete_connector_file({"conn_file_id": "77"}), 404, "ErrNotFound")

    # an oversized file (this server: 1 MB), alone or next to a small one
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    assert "upload limit" in _http_error(lambda: client.import_local_files_to_volume(
        [str(small), str(big)], vid, None, None), 413, "ErrPayloadTooLarge")
    _http_error(lambda: raw.upload_local_file_from_path(str(big), [{"filename": "big.bin", "path": "/"}]), 413,
                "ErrPayloadTooLarge")

    # a dedup with an unknown strategy
    msg = _http_error(lambda: client.import_local_file_to_volume(str(small), vid, {"filename": "small.txt"},
                                                                {"by": ["name"], "strategy": "overwrite"}),
                      400, "ErrValidation")
    assert "dedup.strategy" in msg and "'overwrite'" in msg

    # MOI features outside ingestion: 501 in the envelope, not a bare 404
    for call in (lambda: raw.create_catalog({"name": "analytics"}), lambda: raw.list_databases({"id": 1}),
                 lambda: raw.get_table({"id": 301}), lambda: raw.list_users({"keyword": ""}),
                 lambda: raw.create_role({"name": "r"}), lambda: client.run_sql("select 1"),
                 lambda: client.import_local_file_to_table({"new_table": True, "database_id": 1,
                                                           "conn_file_ids": ["1"]})):
        assert "not supported" in _http_error(call, 501, "ErrNotSupported")

    # nothing partial left: no file, no stored bytes, the volume deletes
    assert raw.get_volume({"id": vid})["file_count"] == 0 and _stored(data_dir) == stored
    raw.delete_volume({"id": vid})


def test_folders_workflow_refs_and_files_from_conn_files(server, sdk, tmp_path) -> None:
    url, data_dir = server
    raw, _client = sdk
    vid = raw.create_volume({"name": "sdk-folders", "database_id": 1})["id"]
    raw.add_volume_workflow_ref({"id": vid})
    assert raw.get_volume({"id": vid})["ref"] is True
    assert [r["ref_type"] for r in raw.get_volume_ref_list({"id": vid})["list"]] == ["workflow"]
    raw.remove_volume_workflow_ref({"id": vid})
    assert raw.get_volume({"id": vid})["ref"] is False

    folder = raw.create_folder({"name": "合同", "volume_id": vid, "parent_id": ""})
    raw.update_folder({"id": folder["id"], "name": "合同库"})
    _http_error(lambda: raw.create_folder({"name": "合同库", "volume_id": vid, "parent_id": ""}), 409, "ErrConflict")

    doc = tmp_path / "contract.txt"
    doc.write_text("合同编号 HT8812：甲方与乙方约定交付日期。\n", encoding="utf-8")
    [conn_id] = raw.upload_local_file_from_path(str(doc), [{"filename": "合同.txt", "path": "/"}])["conn_file_ids"]
    made = raw.create_file({"name": "合同A.txt", "volume_id": vid, "parent_id": folder["id"], "ref_file_id": conn_id})
    assert made["status"] == "created" and made["name"] == "合同A.txt"
    again = raw.upload_file({"name": "合同B.txt", "volume_id": vid, "parent_id": "", "ref_file_id": conn_id,
                             "dedup": {"by": ["md5"], "strategy": "skip"}})
    assert again["status"] == "skipped" and again["id"] == made["id"]
    _wait(raw, made["task_id"])
    info = raw.get_file({"id": made["id"]})
    assert (info["show_path"], info["ref_file_id"], info["load_status"]) == ("/合同库/合同A.txt", conn_id, 5)
    assert [r["ref_id"] for r in raw.get_folder_ref_list({"id": folder["id"]})["list"]] == [made["task_id"]]
    assert _docs(_search(url, vid, "HT8812")) == {info["document_id"]}

    assert raw.delete_file_ref({"id": conn_id})["deleted_ids"] == [made["id"]]
    assert _search(url, vid, "HT8812") == []
    raw.clean_folder({"id": folder["id"]})
    assert raw.get_volume({"id": vid})["folder_count"] == 1
    raw.delete_folder({"id": folder["id"]})
    raw.delete_connector_file({"conn_file_id": conn_id})
    assert raw.get_volume({"id": vid})["folder_count"] == 0
    raw.delete_volume({"id": vid})
