"""End-to-end fixtures: a live API process with a Prefect worker and a Milvus Lite server."""

from __future__ import annotations

import pytest

from tests.support.stack import live_api as start_live_api


@pytest.fixture(scope="session")
def live_api(prefect_server, tmp_path_factory) -> str:
    """A live API (uvicorn) + Prefect worker + Milvus Lite server over a private data dir; its URL."""
    with start_live_api(tmp_path_factory.mktemp("live-api")) as url:
        yield url
