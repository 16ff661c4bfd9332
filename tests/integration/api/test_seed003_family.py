"""Seed 003's family over a live app: envelope, Bearer auth, datasets list (a dataset is a volume)."""

from __future__ import annotations

from ingestflow.api import seed003
from tests.support.api import KEY, ok_data

BEARER = {"Authorization": f"Bearer {KEY}", "moi-key": ""}


def test_datasets_list_shows_volumes_in_seed003_envelope(client, volume):
    response = client.get("/datasets", params={"current_page": 1, "page_size": 20, "search_word": "api-vol"},
                          headers=BEARER)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "success" and body["message"] == ""
    assert [d["id"] for d in body["data"]["list"]] == [seed003.to_uuid(volume["id"])]
    assert body["data"]["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}


def test_bad_page_size_is_validate_error(client, volume):
    response = client.get("/datasets", params={"page_size": 51}, headers=BEARER)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validate_error" and "page_size" in body["message"]


def test_missing_or_wrong_bearer_is_unauthorized(client, volume):
    for headers in ({"moi-key": ""}, {"Authorization": "Bearer nope", "moi-key": ""}):
        response = client.get("/datasets", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_seed002_routes_keep_their_envelope(client, volume):
    response = client.get("/volumes/list", headers={"moi-key": "nope"})
    assert response.status_code == 401 and "msg" in response.json() and "message" not in response.json()
    assert ok_data(client.get("/volumes/list")) is not None


def test_unknown_paths_and_methods_under_the_family_answer_in_its_envelope(client):
    for response in (client.get("/datasets/x/nothing/here", headers=BEARER), client.put("/datasets", headers=BEARER)):
        assert response.status_code in (404, 405)
        body = response.json()
        assert set(body) == {"code", "data", "message"} and body["code"] in ("not_found", "fail")


def test_every_seed003_route_is_documented_in_its_envelope(client):
    paths = client.get("/openapi.json").json()["paths"]
    ours = {p: ops for p, ops in paths.items() if p.startswith(("/datasets", "/upload-files"))}
    assert len(ours) >= 17
    for ops in ours.values():
        for op in ops.values():
            assert any(t.startswith("seed 003") for t in op["tags"])
            ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1].startswith("Seed003Envelope")


def test_every_family_endpoint_needs_the_bearer_key(client):
    some = str(seed003.to_uuid("1"))
    calls = [("post", "/datasets", {"json": {"name": "x", "icon": ""}}),
             ("post", "/upload-files/file", {"files": {"file": ("a.txt", b"a")}}),
             ("post", "/upload-files/image", {"files": {"file": ("a.png", b"a")}}),
             ("get", f"/datasets/{some}", {}), ("post", f"/datasets/{some}/delete", {}),
             ("post", f"/datasets/{some}/hit", {"json": {"query": "x", "k": 1}}),
             ("get", f"/datasets/{some}/documents/batch/20240516234156542163", {}),
             ("get", f"/datasets/{some}/documents", {})]
    for method, path, kwargs in calls:
        response = getattr(client, method)(path, headers={"moi-key": KEY}, **kwargs)  # seed 002's header is not enough
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] == "unauthorized"


def test_a_tenant_key_makes_and_sees_only_its_own_datasets(client, settings_env):
    from ingestflow.settings import get_settings

    settings_env("INGESTFLOW_TENANT_API_KEYS", '["t1-key-93a1:tenant-1", "t2-key-93a1:tenant-2"]')
    assert [k.get_secret_value() for k in get_settings().tenant_api_keys][0] == "t1-key-93a1:tenant-1"
    t1 = {"Authorization": "Bearer t1-key-93a1", "moi-key": ""}
    t2 = {"Authorization": "Bearer t2-key-93a1", "moi-key": ""}
    created = client.post("/datasets", json={"name": "tenant-1 kb", "icon": ""}, headers=t1).json()
    assert created["code"] == "success", created
    ds = created["data"]["id"]
    assert [d["id"] for d in client.get("/datasets", headers=t1).json()["data"]["list"]] == [ds]
    assert client.get("/datasets", headers=t2).json()["data"]["list"] == []
    assert client.get(f"/datasets/{ds}", headers=BEARER).json()["code"] == "success"  # admin sees all
    for call in (client.post(f"/datasets/{ds}", json={"name": "stolen", "icon": ""}, headers=t2),
                 client.post(f"/datasets/{ds}/delete", headers=t2)):
        assert call.status_code == 404 and call.json()["code"] == "not_found"
    assert client.post(f"/datasets/{ds}/delete", headers=t1).json()["message"] == "删除知识库成功"
