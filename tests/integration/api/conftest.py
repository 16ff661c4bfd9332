"""API fixtures: the app in a TestClient inside the session's Prefect test harness, a local source."""

from __future__ import annotations

from pathlib import Path

import pytest

KEY = "ingestflow-dev-key"
SECRET = "PLANTED-s3cr3t-9f8e7d"


@pytest.fixture(scope="session")
def client(prefect_server):
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app

    with TestClient(create_app(), headers={"moi-key": KEY}) as c:
        yield c


@pytest.fixture(scope="session")
def source_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("source")
    (root / "a.txt").write_text("alpha text about rivers\n", encoding="utf-8")
    (root / "b.md").write_text("# Beta\n\nmarkdown body\n", encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "红楼梦.txt").write_text("中文内容\n", encoding="utf-8")
    return root


def ok_data(response) -> dict | None:  # noqa: ANN001
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "OK" and body["msg"] == "OK", body
    return body.get("data")


@pytest.fixture(scope="session")
def local_connector(client, source_dir) -> int:
    data = ok_data(client.post("/connectors", json={"name": "local-src", "source_type": 6,
                                                    "local": {"root": str(source_dir)}}))
    return data["id"]


@pytest.fixture(scope="session")
def volume(client) -> dict:
    data = ok_data(client.post("/volumes", json={"name": "api-vol", "description": "for API tests"}))
    return data["volume"]


@pytest.fixture()
def counts():
    from ingestflow.catalog import queries

    return queries.counts
