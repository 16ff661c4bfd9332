"""Bad input: unknown ids 404, wrong enums / missing fields / malformed JSON 400, no partial rows."""

from __future__ import annotations

import pytest

from tests.support.api import ok_data

UNKNOWN = "1234567890123456789"


def _task(connector_id, volume_id, mode=None, uris=None) -> dict:  # noqa: ANN001
    return {"source_connector_id": connector_id, "volume_id": volume_id, "config_type": 1,
            "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4} if mode is None else mode,
                                                          "uris": ["a.txt"] if uris is None else uris}}}


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/task/get", {"params": {"task_id": UNKNOWN}}),
    ("get", "/task/files", {"params": {"task_id": UNKNOWN}}),
    ("get", "/task/runs", {"params": {"task_id": UNKNOWN}}),
    ("post", "/task/update", {"json": {"task_id": UNKNOWN, "uris": []}}),
    ("post", "/task/delete", {"json": {"task_id": UNKNOWN}}),
    ("post", "/task/pause", {"json": {"task_id": UNKNOWN}}),
    ("post", "/task/resume", {"json": {"task_id": UNKNOWN}}),
    ("post", "/task/run", {"json": {"task_id": UNKNOWN}}),
    ("post", "/task/retry", {"json": {"task_id": UNKNOWN, "ids": []}}),
    ("get", "/volumes/get", {"params": {"volume_id": UNKNOWN}}),
    ("post", "/volumes/delete", {"json": {"volume_id": UNKNOWN}}),
    ("put", "/connectors/999999", {"json": {"name": "x"}}),
    ("delete", "/connectors/999999", {}),
    ("get", "/connectors/files/list", {"params": {"connector_id": 999999}}),
    ("post", "/connectors/validate", {"json": {"connector_id": 999999}}),
])
def test_unknown_ids_are_404(client, method, path, kwargs) -> None:
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "ErrNotFound" and r.json()["msg"]


def test_task_with_unknown_connector_or_volume_is_404_and_leaves_nothing(client, local_connector, volume,
                                                                         counts) -> None:
    before = counts()
    assert client.post("/task", json=_task(999999, volume["id"])).status_code == 404
    assert client.post("/task", json=_task(local_connector, UNKNOWN)).status_code == 404
    assert counts() == before


@pytest.mark.parametrize(("mode", "field"), [
    ({"load_interval_type": 12}, "load_interval_type"),
    ({"load_interval_type": -1}, "load_interval_type"),
    ({"load_interval_type": "daily"}, "load_interval_type"),
    ({"load_interval_type": 3, "interval": -2}, "interval"),
    ({}, "load_interval_type"),
])
def test_bad_load_modes_are_400(client, local_connector, volume, counts, mode, field) -> None:
    before = counts()
    r = client.post("/task", json=_task(local_connector, volume["id"], mode))
    assert r.status_code == 400 and r.json()["code"] == "ErrValidation"
    assert field in r.json()["msg"]
    assert counts() == before


@pytest.mark.parametrize("drop", ["source_connector_id", "volume_id", "source_config"])
def test_missing_task_fields_are_400(client, local_connector, volume, counts, drop) -> None:
    before = counts()
    body = _task(local_connector, volume["id"])
    del body[drop]
    r = client.post("/task", json=body)
    assert r.status_code == 400 and drop in r.json()["msg"]
    assert counts() == before


def test_malformed_json_and_bad_ids_are_400(client, counts) -> None:
    before = counts()
    for path in ("/task", "/connectors", "/volumes", "/task/pause"):
        r = client.post(path, content=b'{"name": ', headers={"content-type": "application/json"})
        assert r.status_code == 400 and "JSON" in r.json()["msg"], (path, r.text)
    r = client.post("/task/pause", json={"task_id": "12abc"})
    assert r.status_code == 400 and "task_id" in r.json()["msg"]
    assert client.get("/task/get", params={"task_id": "x"}).status_code == 400
    assert client.get("/task/get").status_code == 400
    assert counts() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "c", "source_type": 0}, "source_type"),
    ({"name": "c", "source_type": 9}, "source_type"),
    ({"name": "c", "source_type": 7}, "source_type"),
    ({"name": "c", "source_type": 5}, "s3"),
    ({"name": "c", "source_type": 5, "s3": {"bucket_name": "b"}}, "access_key_id"),
    ({"source_type": 6, "local": {"root": "/tmp"}}, "name"),
])
def test_bad_connectors_are_400(client, counts, body, field) -> None:
    before = counts()
    r = client.post("/connectors", json=body)
    assert r.status_code == 400 and field in r.json()["msg"], r.text
    assert counts() == before


def test_bad_query_enums_are_400(client, local_connector) -> None:
    assert client.get("/connectors/list", params={"source_type": 9}).status_code == 400
    assert client.get("/connectors/list", params={"source_type_list": "1,x"}).status_code == 400
    assert client.get("/connectors/list", params={"order_by": "password"}).status_code == 400
    assert client.get("/task/list", params={"status": 5}).status_code == 400
    assert client.get("/task/list", params={"page": 0}).status_code == 400
    assert client.get("/connectors/files/list", params={"connector_id": local_connector,
                                                        "file_types": "1,99"}).status_code == 400


def test_volume_lifecycle_and_conflicts(client, local_connector, counts) -> None:
    data = ok_data(client.post("/volumes", json={"name": "tmp-vol"}))
    vid = data["volume_id"]
    assert len(vid) == 19 and vid.isdigit()
    assert client.post("/volumes", json={"name": "tmp-vol"}).status_code == 409
    before = counts()
    r = client.post("/volumes", json={"name": "bad-model", "embedding_model": "/no/such/model-dir"})
    assert r.status_code == 400 and counts() == before
    assert ok_data(client.get("/volumes/get", params={"volume_id": vid}))["volume"]["name"] == "tmp-vol"
    assert vid in {v["id"] for v in ok_data(client.get("/volumes/list", params={"page_size": 100}))["volumes"]}
    task_id = ok_data(client.post("/task", json=_task(local_connector, vid, {"load_interval_type": 2})))["task_id"]
    assert client.post("/volumes/delete", json={"volume_id": vid}).status_code == 409
    ok_data(client.post("/task/delete", json={"task_id": task_id}))
    ok_data(client.post("/volumes/delete", json={"volume_id": vid}))
    assert client.get("/volumes/get", params={"volume_id": vid}).status_code == 404
