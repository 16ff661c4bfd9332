"""Connectors: CRUD, masking of secrets, validation, files/list, summary, auth."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import KEY, SECRET, ok_data

S3 = {"endpoint": "127.0.0.1:9", "access_key_id": "AKIA-test", "access_key_secret": SECRET,
      "bucket_name": "my-bucket", "region": "us-east-1", "path_style": True}
OSS = {"endpoint": "127.0.0.1:9", "access_key_id": "ak", "access_key_secret": SECRET, "bucket_name": "moc-test-data"}


def test_health_and_docs_need_no_key(client) -> None:
    from fastapi.testclient import TestClient

    bare = TestClient(client.app)
    assert bare.get("/health").json()["code"] == "OK"
    assert bare.get("/openapi.json").status_code == 200
    assert bare.get("/docs").status_code == 200


def test_missing_or_wrong_key_is_401_and_both_spellings_work(client) -> None:
    from fastapi.testclient import TestClient

    bare = TestClient(client.app)
    for headers in ({}, {"moi-key": "wrong"}, {"moi-key": ""}):
        r = bare.get("/connectors/list", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "ErrAuth"
    assert bare.get("/connectors/list", headers={"moi-key": KEY}).status_code == 200
    assert bare.get("/connectors/list", headers={"Moi-Key": KEY}).status_code == 200


def test_unknown_route_is_a_404_envelope(client) -> None:
    r = client.get("/no/such/route")
    assert r.status_code == 404 and r.json()["code"] == "ErrNotFound"


def test_create_list_update_delete_with_secrets_masked(client) -> None:
    bodies = []
    r = client.post("/connectors", json={"name": "s3-secret", "source_type": 5, "s3": S3})
    bodies.append(r.text)
    cid = ok_data(r)["id"]
    assert isinstance(cid, int) and cid > 100000
    r = client.post("/connectors", json={"name": "oss-secret", "source_type": 4, "oss": OSS, "usage_type": [1]})
    bodies.append(r.text)
    oss_id = ok_data(r)["id"]

    r = client.get("/connectors/list", params={"keyword": "secret", "page": 1, "page_size": 10, "is_desc": False,
                                               "order_by": ""})
    bodies.append(r.text)
    data = ok_data(r)
    assert data["total"] == 2
    s3 = next(c for c in data["connectors"] if c["id"] == cid)
    for key in ("id", "source_type", "name", "status", "created_at", "updated_at", "username", "related_task_ids",
                "usage_type", "s3"):
        assert key in s3
    assert s3["s3"]["access_key_secret"] == "******" and s3["s3"]["bucket_name"] == "my-bucket"

    r = client.get("/connectors/list", params={"source_type_list": "4,5", "usage_type": "1"})
    assert [c["id"] for c in ok_data(r)["connectors"]] == [oss_id]
    r = client.get("/connectors/list", params={"keyword": "secret", "order_by": "name", "is_desc": True})
    assert [c["name"] for c in ok_data(r)["connectors"]] == ["s3-secret", "oss-secret"]

    # a masked secret sent back keeps the stored one; other fields change
    r = client.put(f"/connectors/{cid}", json={"name": "s3-renamed", "s3": {**S3, "access_key_secret": "******",
                                                                             "bucket_name": "other"}})
    ok_data(r)
    from tests.support import catalog as cat

    stored = cat.connector(cid)
    assert stored.name == "s3-renamed" and stored.config["bucket_name"] == "other"
    assert stored.config["access_key_secret"] == SECRET

    r = client.post("/connectors/validate", json={"connector_id": cid})
    bodies.append(r.text)
    assert ok_data(r)["valid"] is False and ok_data(r)["reason"]
    r = client.post("/connectors/validate", json={"source_type": 4, "oss": OSS})
    bodies.append(r.text)
    assert ok_data(r)["valid"] is False
    bodies.append(client.get("/connectors/summary").text)
    assert all(SECRET not in body for body in bodies)

    ok_data(client.delete(f"/connectors/{cid}"))
    ok_data(client.delete(f"/connectors/{oss_id}"))
    assert client.delete(f"/connectors/{cid}").status_code == 404


def test_validate_and_list_files_of_a_local_source(client, local_connector, source_dir) -> None:
    assert ok_data(client.post("/connectors/validate", json={"connector_id": local_connector})) == {"valid": True}
    r = client.post("/connectors/validate", json={"source_type": 6, "local": {"root": str(source_dir / "nope")}})
    assert ok_data(r)["valid"] is False
    files = ok_data(client.get("/connectors/files/list", params={"connector_id": local_connector}))["files"]
    uris = {f["uri"] for f in files}
    assert {"a.txt", "b.md", "sub/红楼梦.txt"} <= uris
    assert all(set(f) == {"uri", "filename", "size", "type"} for f in files)
    md = ok_data(client.get("/connectors/files/list", params={"connector_id": local_connector, "file_types": 6}))
    assert [f["uri"] for f in md["files"]] == ["b.md"]
    r = client.get("/connectors/files/list", params={"connector_id": local_connector, "file_types": 24})
    assert r.status_code == 400


def test_summary_counts(client, local_connector) -> None:
    data = ok_data(client.get("/connectors/summary"))
    assert data["total"] >= 1 and data["by_source_type"].get("6", 0) >= 1
    assert "tasks" in data and "by_status" in data


def test_connector_in_use_cannot_be_deleted(client, local_connector, volume) -> None:
    body = {"source_connector_id": local_connector, "volume_id": volume["id"], "config_type": 1,
            "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 1},
                                                          "uris": ["a.txt"]}}}
    task_id = ok_data(client.post("/task", json=body))["task_id"]
    r = client.delete(f"/connectors/{local_connector}")
    assert r.status_code == 409 and r.json()["code"] == "ErrConflict"
    listed = ok_data(client.get("/connectors/list", params={"keyword": "local-src"}))["connectors"][0]
    assert task_id in listed["related_task_ids"]
    ok_data(client.post("/task/delete", json={"task_id": task_id}))


# -- a source's rejected credentials are a 4xx about the connector, never our 401 -------------------

@pytest.fixture(scope="module")
def s3_bucket() -> dict:
    """A bucket on the process's moto server, and a good s3 config for it."""
    from tests.integration.connectors.conftest import shared_s3_server

    server = shared_s3_server()
    bucket = f"api-creds-{uuid.uuid4().hex[:8]}"
    server.client().create_bucket(Bucket=bucket)
    server.client().put_object(Bucket=bucket, Key="doc.txt", Body=b"hello")
    return {"endpoint": server.endpoint, "access_key_id": server.access_key, "access_key_secret": server.secret_key,
            "bucket_name": bucket}


def test_wrong_source_secret_is_a_400_naming_the_field(client, s3_bucket) -> None:
    wrong = {**s3_bucket, "access_key_secret": SECRET}
    cid = ok_data(client.post("/connectors", json={"name": "s3-wrong-secret", "source_type": 5, "s3": wrong}))["id"]
    r = client.get("/connectors/files/list", params={"connector_id": cid})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "ErrSourceCredentials" and "s3.access_key_secret" in r.json()["msg"]
    for body in ({"source_type": 5, "s3": wrong}, {"connector_id": cid}):
        data = ok_data(client.post("/connectors/validate", json=body))
        assert data["valid"] is False and data["code"] == "ErrSourceCredentials"
        assert "s3.access_key_secret" in data["reason"]
    unknown_id = ok_data(client.post("/connectors/validate", json={"source_type": 5, "s3": {**s3_bucket,
                                                                   "access_key_id": "AKIAUNKNOWN000"}}))
    assert unknown_id["valid"] is False and "s3.access_key_id" in unknown_id["reason"]
    assert ok_data(client.post("/connectors/validate", json={"source_type": 5, "s3": s3_bucket})) == {"valid": True}
    assert SECRET not in r.text

    from ingestflow.client import IngestflowClient
    from ingestflow.client.errors import AuthenticationError, BadRequestError

    with IngestflowClient("http://testserver", api_key=KEY, transport=_Through(client)) as api:
        with pytest.raises(BadRequestError) as info:
            api.list_source_files(cid)
        assert not isinstance(info.value, AuthenticationError) and "s3.access_key_secret" in info.value.msg
    with IngestflowClient("http://testserver", api_key="not-the-key", transport=_Through(client)) as api:
        with pytest.raises(AuthenticationError):  # a bad moi-key is still our 401
            api.list_source_files(cid)
    ok_data(client.delete(f"/connectors/{cid}"))


class _Through(httpx.BaseTransport):
    """The Python client's requests sent through the test app (the request's moi-key wins)."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        r = self.client.request(request.method, str(request.url), headers=dict(request.headers),
                                content=request.read())
        return httpx.Response(r.status_code, content=r.content,
                              headers={"content-type": r.headers.get("content-type", "")})


def test_openapi_documents_connector_routes(client) -> None:
    from ingestflow.connectors import CONNECTOR_REGISTRY

    spec = client.get("/openapi.json").json()
    routes = [("post", "/connectors"), ("post", "/connectors/validate"), ("get", "/connectors/list"),
              ("get", "/connectors/summary"), ("get", "/connectors/files/list"), ("post", "/connectors/upload"),
              ("put", "/connectors/{connector_id}"), ("delete", "/connectors/{connector_id}")]
    for method, path in routes:
        op = spec["paths"][path][method]
        assert "$ref" in op["responses"]["200"]["content"]["application/json"]["schema"], (method, path)
        assert "401" in op["responses"] and "422" not in op["responses"], (method, path)
    form = spec["paths"]["/connectors/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "data", "VolumeID", "meta"} <= set(form["properties"])
    list_params = {p["name"] for p in spec["paths"]["/connectors/list"]["get"]["parameters"]}
    assert {"keyword", "page", "page_size", "source_type", "source_type_list", "usage_type"} <= list_params
    create = spec["components"]["schemas"]["ConnectorCreate"]["properties"]
    for entry in CONNECTOR_REGISTRY.values():
        assert (entry.config_field in create) == entry.creatable
    s3 = create["s3"]["anyOf"][0]
    assert s3["properties"]["access_key_secret"]["writeOnly"] is True and "bucket_name" in s3["required"]
