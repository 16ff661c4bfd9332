"""Load tasks: create/list/get/update/pause/resume/retry/delete, and their Prefect deployments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.api import ok_data


def _body(connector_id: int, volume_id: str, interval_type: int, uris: list[str], interval: int | None = None) -> dict:
    mode = {"load_interval_type": interval_type}
    if interval is not None:
        mode["interval"] = interval
    return {"source_connector_id": connector_id, "volume_id": volume_id, "config_type": 1,
            "source_config": {"common_file_task_config": {"load_mode_config": mode, "uris": uris}}}


def _deployment(task_id: str):  # noqa: ANN202
    from ingestflow.orchestration import deployments as prefect_ops
    from tests.support import catalog as cat

    return prefect_ops.read(cat.task(task_id).deployment_id)


def test_minute_task_gets_an_interval_deployment_that_pauses_and_resumes(client, local_connector, volume) -> None:
    task_id = ok_data(client.post("/task", json=_body(local_connector, volume["id"], 3, ["a.txt"])))["task_id"]
    assert isinstance(task_id, str) and len(task_id) == 19 and task_id.isdigit()
    dep = _deployment(task_id)
    assert dep.name == f"task-{task_id}" and dep.entrypoint == "ingestflow.flows.load:load_task"
    assert dep.work_pool_name == "ingestflow" and dep.parameters == {"task_id": task_id}
    assert [s.schedule.interval for s in dep.schedules] == [timedelta(seconds=60)]
    limit = dep.global_concurrency_limit
    assert dep.concurrency_limit == 1 or (limit is not None and limit.limit == 1)
    assert {f"task:{task_id}", "connector:local", "volume:api-vol"} <= set(dep.tags)
    assert not dep.paused

    data = ok_data(client.post("/task/pause", json={"task_id": task_id}))
    assert data["status"] == 3
    assert _deployment(task_id).paused
    assert ok_data(client.get("/task/get", params={"task_id": task_id}))["task"]["status"] == 3
    ok_data(client.post("/task/resume", json={"task_id": task_id}))
    assert not _deployment(task_id).paused
    assert ok_data(client.get("/task/get", params={"task_id": task_id}))["task"]["status"] == 1

    # update → the schedule follows (2 hours, fixed type 8)
    ok_data(client.post("/task/update", json={"task_id": task_id, "load_mode_config": {"load_interval_type": 8},
                                              "uris": ["a.txt", "b.md"]}))
    dep = _deployment(task_id)
    assert [s.schedule.interval for s in dep.schedules] == [timedelta(hours=2)]
    task = ok_data(client.get("/task/get", params={"task_id": task_id}))["task"]
    assert task["source_config"]["common_file_task_config"] == {
        "load_mode_config": {"load_interval_type": 8, "interval": 0}, "uris": ["a.txt", "b.md"]}

    ok_data(client.post("/task/delete", json={"task_id": task_id}))
    from prefect.exceptions import ObjectNotFound

    from ingestflow.orchestration import deployments as prefect_ops

    with pytest.raises(ObjectNotFound):
        prefect_ops.read(str(dep.id))
    assert client.get("/task/get", params={"task_id": task_id}).status_code == 404


def test_once_task_runs_at_once_and_lists_with_seed_fields(client, local_connector, volume) -> None:
    task_id = ok_data(client.post("/task", json=_body(local_connector, volume["id"], 4, ["a.txt"])))["task_id"]
    from ingestflow.orchestration import deployments as prefect_ops
    from tests.support import catalog as cat

    dep_id = cat.task(task_id).deployment_id
    assert _deployment(task_id).schedules == []
    assert len(prefect_ops.flow_runs(dep_id)) == 1

    data = ok_data(client.get("/task/list", params={"load_interval_types": "4", "order_by": "created_at",
                                                    "is_desc": True, "page": 1, "page_size": 10}))
    assert data["total"] >= 1
    task = next(t for t in data["tasks"] if t["id"] == task_id)
    assert set(task) == {"id", "source_connector_id", "source_connector_type", "volume_id", "volume_name", "name",
                         "status", "creator", "source_config", "start_at", "end_at", "created_at", "updated_at"}
    assert task["source_connector_type"] == 6 and task["volume_name"] == "api-vol"
    assert task["source_config"]["common_file_task_config"]["load_mode_config"] == {"load_interval_type": 4,
                                                                                     "interval": 0}
    assert all(t["source_config"]["common_file_task_config"]["load_mode_config"]["load_interval_type"] == 4
               for t in data["tasks"])
    listed = ok_data(client.get("/task/list", params=[("load_interval_types", "1"), ("load_interval_types", "2")]))
    assert task_id not in {t["id"] for t in listed["tasks"]}
    assert client.get("/task/list", params={"load_interval_types": "12"}).status_code == 400

    # pausing cancels the scheduled run (nothing in flight: straight to paused)
    assert ok_data(client.post("/task/pause", json={"task_id": task_id}))["status"] == 3
    assert [r.state_type.value for r in prefect_ops.flow_runs(dep_id)] == ["CANCELLED"]
    ok_data(client.post("/task/resume", json={"task_id": task_id}))  # once-task: runs again
    assert sorted(r.state_type.value for r in prefect_ops.flow_runs(dep_id)) == ["CANCELLED", "SCHEDULED"]
    ok_data(client.post("/task/delete/", json={"task_id": int(task_id)}))


def test_retry_and_files(client, local_connector, volume) -> None:
    from ingestflow.connectors import build_connector
    from ingestflow.orchestration import deployments as prefect_ops
    from tests.support import catalog as cat

    task_id = ok_data(client.post("/task", json=_body(local_connector, volume["id"], 2, [])))["task_id"]
    task = cat.task(task_id)
    source = build_connector(6, cat.connector(local_connector).config)
    items = list(source.list())
    ids = dict(zip([i.uri for i in items], cat.record_listing(task, items), strict=True))  # what the flow's listing does
    cat.mark_file(ids["a.txt"], status=4, reason="parse failed: broken")
    cat.mark_file(ids["b.md"], status=5, segment_count=3, worker="host-1/worker-a", attempts=2)

    data = ok_data(client.get(f"/task/files?task_id={{task_id}}", params={"task_id": int(task_id)}))
    assert (data["total"], data["total_success"], data["total_failed"]) == (3, 1, 1)
    row = next(f for f in data["files"] if f["id"] == ids["a.txt"])
    assert row["status"] == 4 and row["reason"] == "parse failed: broken" and row["type"] == 1
    assert row["path"] == "/api-vol/a.txt" and row["user"] == "admin"
    for key in ("id", "name", "type", "status", "size", "update_time", "other_metadata", "reason", "user",
                "start_time", "end_time", "path"):
        assert key in row
    done = next(f for f in data["files"] if f["id"] == ids["b.md"])
    assert (done["worker"], done["attempts"]) == ("host-1/worker-a", 2) and (row["worker"], row["attempts"]) == ("", 0)
    failed = ok_data(client.get("/task/files", params={"task_id": task_id, "status": 4, "page": 1, "page_size": 1}))
    assert failed["total"] == 1 and [f["id"] for f in failed["files"]] == [ids["a.txt"]]

    r = client.post("/task/retry", json={"task_id": task_id, "ids": [ids["b.md"]]})
    assert r.status_code == 400
    r = client.post("/task/retry", json={"task_id": task_id, "ids": ["1234567890123456789"]})
    assert r.status_code == 404
    data = ok_data(client.post("/task/retry", json={"task_id": task_id, "ids": [ids["a.txt"]]}))
    assert data["file_ids"] == [ids["a.txt"]]
    runs = prefect_ops.flow_runs(cat.task(task_id).deployment_id)
    assert any(r.parameters == {"task_id": task_id, "file_ids": [ids["a.txt"]]} for r in runs)
    assert cat.file(ids["a.txt"]).status == 6
    runs = ok_data(client.get("/task/runs", params={"task_id": task_id}))
    assert runs["runs"] == [] and runs["total"] == 0
    ok_data(client.post("/task/delete", params={"keep_chunks": True}, json={"task_id": task_id}))
    assert cat.files(task_id) == []


def test_a_named_task_names_its_deployment_and_describes_it_in_words(client, local_connector, volume) -> None:
    from ingestflow.orchestration import deployments as prefect_ops

    body = {**_body(local_connector, volume["id"], 3, ["a.txt", "b.md"]), "name": "Docs Nightly"}
    first = ok_data(client.post("/task", json=body))["task_id"]
    second = ok_data(client.post("/task", json=body))["task_id"]  # the same name: the short id tells them apart
    dep, other = _deployment(first), _deployment(second)
    assert dep.name == "docs-nightly" and other.name == f"docs-nightly-{second[-6:]}"
    assert f"task:{second}" in other.tags and second in other.description
    assert "Docs Nightly" in dep.description and "a.txt, b.md" in dep.description
    assert "local connector" in dep.description and "api-vol" in dep.description
    assert "every 1 minute(s)" in dep.description and "sync mirror" in dep.description
    assert dep.path in (None, "") and dep.entrypoint == "ingestflow.flows.load:load_task"  # no checkout path

    ui = ok_data(client.get("/task/get", params={"task_id": first}))["task"]
    assert ui["deployment_id"] == str(dep.id)
    assert ui["deployment_url"] == prefect_ops.ui_url("deployment", str(dep.id))
    assert ui["deployment_url"].endswith(f"/deployments/deployment/{dep.id}")
    runs = ok_data(client.get("/task/runs", params={"task_id": first}))
    assert runs["deployment_url"] == ui["deployment_url"]

    # a rename keeps the deployment (id, runs, schedule) and rewrites its description
    ok_data(client.post("/task/update", json={"task_id": first, "name": "文档 每晚"}))
    renamed = _deployment(first)
    assert renamed.id == dep.id and "文档 每晚" in renamed.description
    assert [s.schedule.interval for s in renamed.schedules] == [timedelta(seconds=60)]
    assert prefect_ops.name_slug("文档 每晚") == "文档-每晚"
    for task_id in (first, second):
        ok_data(client.post("/task/delete", json={"task_id": task_id}))


def test_ui_links_are_null_without_a_ui_base(monkeypatch) -> None:
    from prefect.settings import PREFECT_UI_URL, temporary_settings

    from ingestflow.orchestration import deployments as prefect_ops

    assert prefect_ops.ui_url("flow-run", None) is None
    with temporary_settings({PREFECT_UI_URL: "http://ui.example:4200"}):
        assert prefect_ops.ui_url("flow-run", "abc") == "http://ui.example:4200/runs/flow-run/abc"
