"""API fixtures: the app in a TestClient inside the session's Prefect test harness (with a worker for the
API's jobs), a local source."""

from __future__ import annotations

import pytest

from tests.support.api import KEY, SECRET, ok_data  # noqa: F401  (re-exported for the API tests)


@pytest.fixture(scope="session")
def client(prefect_server, job_worker):
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app

    with TestClient(create_app(), headers={"moi-key": KEY}) as c:
        yield c


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
    from tests.support import catalog as cat

    return cat.row_counts
