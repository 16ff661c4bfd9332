"""Issue 16 findings 4 and 5 at the API: bad separators and header-unsafe keys are 400s that persist nothing;
a connector's secret is never in the catalog's files on disk."""

from __future__ import annotations

import pytest

from tests.support.api import SECRET, ok_data

NON_ASCII_KEY = "dataset-kéy-PLANTED-api-42"


def _task(connector_id: int, volume_id: str, separators: list[str]) -> dict:
    return {"source_connector_id": connector_id, "volume_id": volume_id, "config_type": 1,
            "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4},
                                                          "uris": ["a.txt"]}},
            "process_config": {"process_type": "custom", "rule": {"segment": {"separators": separators}}}}


@pytest.mark.parametrize("separator", [r"(a+)+$", r"(\w+\s?)*!", r"(x)\1"])
def test_a_separator_that_can_backtrack_exponentially_is_refused_at_task_creation(
        client, local_connector, volume, counts, separator) -> None:
    before = counts()
    r = client.post("/task", json=_task(local_connector, volume["id"], [separator]))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "ErrValidation" and "separators" in body["msg"] and "exponential" in body["msg"]
    assert counts() == before


def test_an_ordinary_custom_separator_is_accepted(client, local_connector, volume) -> None:
    task_id = ok_data(client.post("/task", json=_task(local_connector, volume["id"], [r"\n#{1,3} "])))["task_id"]
    ok_data(client.post("/task/delete", json={"task_id": task_id}))


def test_a_non_ascii_dify_key_is_a_400_naming_the_field_never_the_value(client, counts) -> None:
    before = counts()
    r = client.post("/connectors", json={"name": "dify-bad", "source_type": 1,
                                         "dify": {"api_url": "http://127.0.0.1:9/v1", "api_key": NON_ASCII_KEY}})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "ErrValidation" and "dify.api_key" in r.json()["msg"]
    assert "PLANTED" not in r.text
    assert counts() == before


def test_connector_secrets_are_encrypted_in_the_catalog_file(client) -> None:
    from ingestflow.settings import get_settings
    from tests.support import catalog as cat

    body = {"name": "s3-at-rest", "source_type": 5,
            "s3": {"endpoint": "127.0.0.1:9", "access_key_id": "AKIA-rest", "access_key_secret": SECRET,
                   "bucket_name": "b"}}
    connector_id = ok_data(client.post("/connectors", json=body))["id"]
    assert cat.connector(connector_id).config["access_key_secret"] == SECRET  # the connector still gets it
    db = get_settings().resolved_data_dir / "catalog.db"
    raw = b"".join(p.read_bytes() for p in db.parent.glob("catalog.db*"))  # the file, its WAL and journal
    assert raw and SECRET.encode() not in raw
    client.delete(f"/connectors/{connector_id}")
