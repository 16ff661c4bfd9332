"""Integration fixtures: one Milvus Lite server and one Prefect worker for the session.

Every integration test talks to Milvus by URI (the path a real Milvus takes), so the worker's
flow runs and this process share the same collections; the catalog is the session's SQLite file.
"""

from __future__ import annotations

import os

import pytest

from ingestflow.settings import get_settings, reset_settings
from tests.support.stack import base_env, milvus_server, prefect_worker


@pytest.fixture(scope="session", autouse=True)
def session_milvus(tmp_path_factory):
    """A Milvus Lite server for the session; ``INGESTFLOW_MILVUS_URI`` points at it while it runs."""
    previous = os.environ.get("INGESTFLOW_MILVUS_URI")
    with milvus_server(tmp_path_factory.mktemp("milvus") / "milvus.db") as uri:
        os.environ["INGESTFLOW_MILVUS_URI"] = uri
        reset_settings()
        yield uri
    if previous is None:
        os.environ.pop("INGESTFLOW_MILVUS_URI", None)
    else:
        os.environ["INGESTFLOW_MILVUS_URI"] = previous
    reset_settings()


@pytest.fixture(scope="session")
def job_worker(prefect_server, session_milvus):
    """A Prefect worker for the API's jobs only (queue ``jobs``: load runs created by API tests stay queued, as
    they always did here), over the session's catalog and Milvus."""
    from ingestflow.orchestration.jobs import JOB_QUEUE

    env = base_env(get_settings().resolved_data_dir, INGESTFLOW_MILVUS_URI=session_milvus)
    with prefect_worker(env, name="test-job-worker", queue=JOB_QUEUE) as procs:
        yield procs
