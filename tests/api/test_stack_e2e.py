"""End to end: ``ingestflow up`` (Prefect server, Milvus Lite server, worker, API) really loads.

Runs by default (≈ 50 s); INGESTFLOW_E2E=0 skips it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
H = {"moi-key": "ingestflow-dev-key"}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("INGESTFLOW_E2E") == "0", reason="INGESTFLOW_E2E=0")]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_up_runs_a_task_through_the_worker(tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("rivers and mountains of the stack test\n", encoding="utf-8")
    api, prefect, milvus = _port(), _port(), _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "INGESTFLOW_"))}
    env["INGESTFLOW_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-m", "ingestflow.cli", "up", "--port", str(api), "--prefect-port",
                             str(prefect), "--milvus-port", str(milvus)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{api}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert proc.poll() is None, "ingestflow up exited"
            try:
                if requests.get(f"{base}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline
            time.sleep(1)
        cid = requests.post(f"{base}/connectors", headers=H, json={"name": "src", "source_type": 6,
                                                                   "local": {"root": str(src)}}).json()["data"]["id"]
        vid = requests.post(f"{base}/volumes", headers=H, json={"name": "e2e"}).json()["data"]["volume_id"]
        body = {"source_connector_id": cid, "volume_id": vid, "config_type": 1,
                "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4},
                                                              "uris": []}}}
        tid = requests.post(f"{base}/task", headers=H, json=body).json()["data"]["task_id"]
        deadline = time.monotonic() + 120
        while requests.get(f"{base}/task/get", headers=H, params={"task_id": tid}).json()["data"]["task"]["status"] != 4:
            assert time.monotonic() < deadline, "the worker did not complete the task"
            time.sleep(2)
        files = requests.get(f"{base}/task/files", headers=H, params={"task_id": tid}).json()["data"]
        assert files["total_success"] == 1 and files["files"][0]["segment_count"] >= 1
        runs = requests.get(f"{base}/task/runs", headers=H, params={"task_id": tid}).json()["data"]["runs"]
        assert runs[0]["status"] == "completed" and runs[0]["chunks_written"] >= 1
        assert requests.post(f"{base}/task/delete", headers=H, json={"task_id": tid}).json()["code"] == "OK"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
