"""Two tenants, one file, one volume, one connector: each sees and manages only its own document (issue 16, 1)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.support import catalog as cat
from ingestflow.api import seed003
from tests.support.api import BEARER, ok003, ok_data
from tests.support.kb_corpus import load_folder, write

pytestmark = pytest.mark.slow
KEY_A = "iso-tenant-a-key-51e0"
KEY_B = "iso-tenant-b-key-0c3d"
TEXT = "The lighthouse at Cape Verlo flashes every twelve seconds; code word QV-5128-Z.\n"
QUERY = "QV-5128-Z lighthouse flashes"


@pytest.fixture(scope="module", autouse=True)
def tenant_keys():
    from ingestflow.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(get_settings(), "tenant_api_keys", [SecretStr(f"{KEY_A}:iso-a"), SecretStr(f"{KEY_B}:iso-b")])
        yield


@pytest.fixture(scope="module")
def shared(client, tmp_path_factory) -> dict[str, str]:
    """One folder (one connector) loaded into one volume by a task of tenant A and one of tenant B."""
    folder = write(tmp_path_factory.mktemp("iso") / "src", {"same.txt": TEXT})
    task_a = load_folder(folder, "iso-vol", tenant_code="iso-a")
    task = cat.task(task_a)
    task_b = cat.create_task(task.connector_id, task.volume_id, {}).id
    cat.update_task(task_b, tenant_code="iso-b")
    from ingestflow.flows.load import load_task

    assert load_task(task_b)["files_failed"] == 0
    return {"volume": task.volume_id, "task_a": task_a, "task_b": task_b}


def _as(key: str) -> dict[str, str]:
    """Seed 003's auth (the documents routes' family)."""
    return {"Authorization": f"Bearer {key}", "moi-key": ""}


def _moi(key: str) -> dict[str, str]:
    """Seed 002's auth (``POST /search``)."""
    return {"moi-key": key}


def _docs(client, key: str, volume_id: str) -> list[dict]:  # noqa: ANN001
    return ok003(client.get(f"/datasets/{volume_id}/documents", headers=_as(key)))["list"]


def _found(client, key: str, volume_id: str) -> list[dict]:  # noqa: ANN001
    data = ok_data(client.post("/search", headers=_moi(key), json={"query": QUERY, "volume_id": volume_id,
                                                                    "retrieval_strategy": "full_text", "k": 5}))
    return data["results"]


def test_same_file_two_tenants_two_documents(client, shared) -> None:
    vol = shared["volume"]
    doc_a, doc_b = _docs(client, KEY_A, vol), _docs(client, KEY_B, vol)
    assert [d["name"] for d in doc_a] == ["same.txt"] and [d["name"] for d in doc_b] == ["same.txt"]
    assert doc_a[0]["id"] != doc_b[0]["id"]
    assert doc_a[0]["task_id"] == shared["task_a"] and doc_b[0]["task_id"] == shared["task_b"]
    # each task's load reports its own segment, and each tenant finds its own chunk
    for key, doc in ((KEY_A, doc_a[0]), (KEY_B, doc_b[0])):
        assert doc["segment_count"] >= 1 and doc["status"] == "completed"
        hits = _found(client, key, vol)
        assert hits and {h["document"]["id"] for h in hits} == {doc["id"]}
    admin = ok003(client.get(f"/datasets/{vol}/documents", headers=BEARER))["list"]
    assert {d["id"] for d in admin} == {doc_a[0]["id"], doc_b[0]["id"]}


def test_a_tenant_cannot_touch_the_other_tenants_document(client, shared) -> None:
    vol = shared["volume"]
    doc_b = _docs(client, KEY_B, vol)[0]["id"]
    base = f"/datasets/{vol}/documents/{doc_b}"
    for method, path, body in (("GET", "", None), ("POST", "/name", {"name": "owned"}),
                               ("POST", "/enabled", {"enabled": False}), ("POST", "/delete", None),
                               ("GET", "/segments", None), ("POST", "/segments", {"content": "injected"})):
        response = client.request(method, base + path, json=body, headers=_as(KEY_A))
        assert response.status_code == 404, (method, path, response.text)
    assert _docs(client, KEY_B, vol)[0]["name"] == "same.txt" and _found(client, KEY_B, vol)


def test_rename_disable_and_delete_stay_within_the_tenant(client, shared) -> None:
    vol = shared["volume"]
    doc_a = _docs(client, KEY_A, vol)[0]["id"]
    doc_b = _docs(client, KEY_B, vol)[0]["id"]
    ok003(client.post(f"/datasets/{vol}/documents/{doc_a}/name", json={"name": "mine.txt"}, headers=_as(KEY_A)))
    assert _docs(client, KEY_B, vol)[0]["name"] == "same.txt"
    ok003(client.post(f"/datasets/{vol}/documents/{doc_a}/enabled", json={"enabled": False}, headers=_as(KEY_A)))
    assert _found(client, KEY_A, vol) == []
    assert {h["document"]["id"] for h in _found(client, KEY_B, vol)} == {doc_b}
    ok003(client.post(f"/datasets/{vol}/documents/{doc_a}/delete", headers=_as(KEY_A)))
    assert _docs(client, KEY_A, vol) == []
    # B's document, its chunks and its segments survive A's delete
    assert [d["id"] for d in _docs(client, KEY_B, vol)] == [doc_b]
    assert {h["document"]["id"] for h in _found(client, KEY_B, vol)} == {doc_b}
    segments = ok003(client.get(f"/datasets/{vol}/documents/{doc_b}/segments", headers=_as(KEY_B)))["list"]
    assert segments and all("Cape Verlo" in s["content"] for s in segments)


def test_a_tenant_key_cannot_read_another_tenants_volume(client, shared) -> None:
    from ingestflow.catalog import catalog

    with catalog() as c:
        other = c.volumes.create("iso-vol-b-only", "m", 8)
        other.tenant_code = "iso-b"
        other_id = other.id
    response = client.get(f"/datasets/{other_id}", headers=_as(KEY_A))
    assert response.status_code == 404 and response.json()["code"] == "not_found", response.text
    assert client.get(f"/datasets/{other_id}/queries", headers=_as(KEY_A)).status_code == 404
    assert ok003(client.get(f"/datasets/{other_id}", headers=_as(KEY_B)))["id"] == seed003.to_uuid(other_id)
    # the shared volume: each tenant sees it, with its own counts only
    detail = ok003(client.get(f"/datasets/{shared['volume']}", headers=_as(KEY_B)))
    assert detail["document_count"] == 1
