"""Every connector kind end to end: files/list over the API, then a load task source → Milvus."""

from __future__ import annotations

import uuid

import pytest

from ingestflow.connectors import entry_for
from ingestflow.flows.load import load_task
from tests.support.catalog import search
from tests.support import catalog as cat
from ingestflow.records import FileStatus

pytestmark = pytest.mark.slow


def test_each_kind_lists_over_the_api_and_loads_into_milvus(harness, prefect_server) -> None:
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app

    marker = uuid.uuid4().hex[:8]
    sentence = f"第{marker}号档案记载了黄河壶口瀑布的水文数据。"
    harness.put("黄河 档案.txt", sentence.encode("utf-8"))
    entry = entry_for(harness.kind)
    connector = cat.create_connector(f"e2e-{harness.kind}-{marker}", entry.source_type, harness.config())

    with TestClient(create_app(), headers={"moi-key": "ingestflow-dev-key"}) as client:
        listed = client.get("/connectors/files/list", params={"connector_id": connector.id}).json()
    assert listed["code"] == "OK", listed
    assert any(f["size"] > 0 for f in listed["data"]["files"]), listed

    volume = cat.create_volume(f"e2e-{harness.kind}-{marker}", "use-multilingual-v3", 512)
    source_config = {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4}, "uris": []}}
    task = cat.create_task(connector.id, volume.id, source_config)
    harness.before_load()
    summary = load_task(task.id)
    files = cat.files(task.id)
    assert files and all(f.status == FileStatus.SUCCESS for f in files), [(f.uri, f.reason) for f in files]
    assert summary["chunks_written"] >= 1
    hits = search(f"第{marker}号档案", volume.id, mode="full_text", k=1)
    assert hits and marker in hits[0].content
