"""End to end on the real stack: ``ingestflow up`` (Prefect server, Milvus Lite server, worker, API).

- a run-once task is loaded by the worker;
- a per-minute task produces flow runs on its own; pausing stops new runs within one interval;
  resuming restarts them; the Prefect UI (rendered by headless Chromium) shows the deployment
  and its paused state.

Runs by default (≈ 5 min: the schedule test waits for real minutes); INGESTFLOW_E2E=0 skips it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import httpx

from tests.support.stack import ChildProcesses, free_port
from tests.support.ui_snapshot import find_browser, snapshot

H = {"moi-key": "ingestflow-dev-key"}
http = httpx.Client(timeout=60)


def shots_dir(tmp_path: Path) -> Path:
    """Where the UI screenshots go: INGESTFLOW_UI_SNAPSHOT_DIR to keep them, else the test's tmp dir."""
    return Path(os.environ.get("INGESTFLOW_UI_SNAPSHOT_DIR") or tmp_path)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("INGESTFLOW_E2E") == "0", reason="INGESTFLOW_E2E=0")]


@dataclass
class LiveStack:
    api: str
    prefect: str
    src: Path


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "OK", body
    return body.get("data")


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LiveStack]:
    tmp = tmp_path_factory.mktemp("stack")
    src = tmp / "src"
    src.mkdir()
    (src / "a.txt").write_text("rivers and mountains of the stack test\n", encoding="utf-8")
    api, prefect, milvus = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INGESTFLOW_"))}
    env["INGESTFLOW_DATA_DIR"] = str(tmp / "data")
    # Real schedules, faster loops: the scheduler plans runs every 5 s, the worker polls every 2 s.
    env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "5"
    env["PREFECT_WORKER_QUERY_SECONDS"] = "2"
    procs = ChildProcesses()
    proc = procs.start("ingestflow up", [sys.executable, "-m", "ingestflow.cli", "up", "--port", str(api),
                                         "--prefect-port", str(prefect), "--milvus-port", str(milvus)],
                       env, cwd=str(tmp), quiet=True)
    base = f"http://127.0.0.1:{api}"
    try:
        procs.wait_http(f"{base}/health", 150)
        yield LiveStack(api=base, prefect=f"http://127.0.0.1:{prefect}", src=src)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def _create_task(stack: LiveStack, name: str, interval_type: int, interval: int = 1) -> str:
    cid = _ok(http.post(f"{stack.api}/connectors", headers=H,
                            json={"name": f"src-{name}", "source_type": 6, "local": {"root": str(stack.src)}}))["id"]
    vid = _ok(http.post(f"{stack.api}/volumes", headers=H, json={"name": name}))["volume_id"]
    mode = {"load_interval_type": interval_type, "interval": interval}
    body = {"name": name, "source_connector_id": cid, "volume_id": vid, "config_type": 1,
            "source_config": {"common_file_task_config": {"load_mode_config": mode, "uris": []}}}
    return _ok(http.post(f"{stack.api}/task", headers=H, json=body))["task_id"]


def _runs(stack: LiveStack, tid: str) -> list[dict]:
    return _ok(http.get(f"{stack.api}/task/runs", headers=H, params={"task_id": tid}))["runs"]


def _wait_for(predicate, timeout: float, what: str, step: float = 2.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(step)
    return value


def test_up_runs_a_task_through_the_worker(stack: LiveStack) -> None:
    tid = _create_task(stack, "e2e-once", interval_type=4)
    _wait_for(lambda: _ok(http.get(f"{stack.api}/task/get", headers=H,
                                       params={"task_id": tid}))["task"]["status"] == 4,
              120, "the worker to complete the task")
    files = _ok(http.get(f"{stack.api}/task/files", headers=H, params={"task_id": tid}))
    assert files["total_success"] == 1 and files["files"][0]["segment_count"] >= 1
    runs = _runs(stack, tid)
    assert runs[0]["status"] == "completed" and runs[0]["chunks_written"] >= 1
    _ok(http.post(f"{stack.api}/task/delete", headers=H, json={"task_id": tid}))
    tasks = _ok(http.get(f"{stack.api}/task/list", headers=H))
    assert tid not in str(tasks)


def _deployment(stack: LiveStack, tid: str) -> dict:
    dep_id = _ok(http.get(f"{stack.api}/task/runs", headers=H, params={"task_id": tid}))["deployment_id"]
    return http.get(f"{stack.prefect}/api/deployments/{dep_id}", timeout=10).json()


def _flow_runs(stack: LiveStack, deployment_id: str) -> list[dict]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 200}
    return http.post(f"{stack.prefect}/api/flow_runs/filter", json=body, timeout=10).json()


def test_per_minute_schedule_pause_and_resume(stack: LiveStack, tmp_path) -> None:
    tid = _create_task(stack, "e2e-minute", interval_type=3, interval=1)
    deployment = _deployment(stack, tid)
    assert deployment["name"] == "e2e-minute" and not deployment["paused"]  # the task's name; the id in tags
    assert f"task:{tid}" in deployment["tags"]
    assert [s["schedule"]["interval"] for s in deployment["schedules"]] == [60.0]

    # Runs happen on their own: nobody triggers them.
    _wait_for(lambda: sum(r["status"] == "completed" for r in _runs(stack, tid)) >= 2, 200,
              "two scheduled runs to complete", step=3)
    started = sorted(r["started_at"] for r in _runs(stack, tid))
    assert started[1] - started[0] >= 30, f"runs should be about a minute apart: {started}"
    # scheduled runs get the same readable names as on-demand ones: "<task name> · <started at>"
    names = [r["name"] for r in _flow_runs(stack, deployment["id"]) if r["state_type"] == "COMPLETED"]
    assert names and all(n.startswith("e2e-minute · 20") for n in names), names

    # The Prefect UI shows the deployment (rendered by headless Chromium, not just served).
    if find_browser():
        shot = snapshot(f"{stack.prefect}/deployments/deployment/{deployment['id']}", shots_dir(tmp_path) / "active.png")
        assert "e2e-minute" in shot.dom, "the Prefect UI did not render the deployment"
        assert shot.png.stat().st_size > 20_000

    # Pause: no new run starts after the one in flight (if any) — checked over more than one interval.
    _ok(http.post(f"{stack.api}/task/pause", headers=H, json={"task_id": tid}))
    paused_at = time.time()
    assert _deployment(stack, tid)["paused"] is True
    time.sleep(75)
    late = [r for r in _runs(stack, tid) if r["started_at"] > paused_at + 5 and r["status"] != "skipped"]
    assert late == [], f"runs started after the pause: {late}"
    scheduled = [r for r in _flow_runs(stack, deployment["id"]) if r["state_type"] == "SCHEDULED"]
    assert scheduled == [], "a paused deployment keeps no scheduled runs"
    task = _ok(http.get(f"{stack.api}/task/get", headers=H, params={"task_id": tid}))["task"]
    assert task["status"] == 3  # paused
    if find_browser():
        shot = snapshot(f"{stack.prefect}/deployments/deployment/{deployment['id']}", shots_dir(tmp_path) / "paused.png")
        assert "e2e-minute" in shot.dom

    # Resume: runs come back on their own within about one interval.
    _ok(http.post(f"{stack.api}/task/resume", headers=H, json={"task_id": tid}))
    resumed_at = time.time()
    assert _deployment(stack, tid)["paused"] is False
    _wait_for(lambda: any(r["started_at"] > resumed_at and r["status"] == "completed" for r in _runs(stack, tid)),
              150, "a scheduled run after resume", step=3)
    _ok(http.post(f"{stack.api}/task/delete", headers=H, json={"task_id": tid}))
