"""Milvus Lite under the stack's supervisor (issue 17, finding 6): a dead milvus binary is noticed, its
file lock released and the server restarted on the same file; a service that stops answering is killed
and restarted."""

from __future__ import annotations

import signal
import sys
import time

import psutil
import pytest

from ingestflow.orchestration.processes import free_port, port_open
from ingestflow.orchestration.stack import Service, Supervisor
from tests.support.stack import base_env

pytestmark = pytest.mark.slow


def _until(check, timeout_s: float, supervisor: Supervisor) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        supervisor.check()
        if check():
            return True
        time.sleep(0.5)
    return False


def test_a_killed_milvus_binary_is_restarted_on_the_same_file(tmp_path) -> None:
    from pymilvus import MilvusClient

    from ingestflow.settings import get_settings

    port = free_port()
    up = lambda: port_open("127.0.0.1", port)  # noqa: E731
    supervisor = Supervisor(base_env(get_settings().resolved_data_dir), echo=lambda line: None)
    try:
        supervisor.start(Service("milvus lite", [sys.executable, "-m", "ingestflow.orchestration.stack", "milvus",
                                                 str(tmp_path / "milvus.db"), f"127.0.0.1:{port}"], up, alive=up))
        client = MilvusClient(uri=f"http://127.0.0.1:{port}")
        client.create_collection("kept", dimension=4)
        client.close()
        (service,) = supervisor.services
        wrapper = psutil.Process(service.proc.pid)
        (binary,) = [p for p in wrapper.children(recursive=True) if "milvus" in p.name()]
        binary.send_signal(signal.SIGKILL)

        assert _until(lambda: service.restarts == 1 and up(), 90, supervisor), "milvus lite was not restarted"
        assert service.proc.pid != wrapper.pid and not wrapper.is_running()  # the old wrapper exited: lock released
        client = MilvusClient(uri=f"http://127.0.0.1:{port}")
        assert client.has_collection("kept")  # the same file, opened again
        client.close()
    finally:
        supervisor.stop()


def test_a_running_service_that_stops_answering_is_killed_and_restarted() -> None:
    answers = {"ok": True}
    supervisor = Supervisor({"PATH": "/usr/bin:/bin"}, echo=lambda line: None)
    try:
        supervisor.start(Service("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"],
                                 alive=lambda: answers["ok"]))
        (service,) = supervisor.services
        first = service.proc
        for _ in range(5):
            supervisor.check()
        assert service.restarts == 0 and first.poll() is None  # answering: left alone
        answers["ok"] = False
        assert _until(lambda: service.restarts == 1, 30, supervisor)
        assert first.returncode == -signal.SIGKILL and service.proc.poll() is None
    finally:
        supervisor.stop()
