"""A live API for client/CLI tests: uvicorn + Milvus Lite server + a Prefect worker, as child processes.

They use the session's Prefect test server (``prefect_server`` fixture) and a private data dir, so
the API, the worker's flow runs and the test talk over real HTTP, exactly as a user's would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what: str, procs: list[subprocess.Popen], timeout: float = 90) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"{dead[0]} exited while waiting for {what}"
        assert time.monotonic() < deadline, f"{what} did not come up within {timeout:.0f}s"
        time.sleep(0.3)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).is_success
    except httpx.HTTPError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def live_stack(workdir: Path, with_worker: bool = True) -> Iterator[str]:
    """Start Milvus Lite, a worker (pool ``ingestflow``) and the API; yield the API's base URL."""
    from prefect.settings import PREFECT_API_URL

    api_port, milvus_port = free_port(), free_port()
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(), INGESTFLOW_DATA_DIR=str(workdir / "data"),
               INGESTFLOW_MILVUS_URI=f"http://127.0.0.1:{milvus_port}", PREFECT_WORKER_QUERY_SECONDS="2",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    env.pop("INGESTFLOW_DATABASE_URL", None)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    bin_dir = Path(sys.executable).parent
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "ingestflow.orchestration.stack", "milvus",
                                       str(workdir / "data" / "milvus.db"), f"127.0.0.1:{milvus_port}"],
                                      cwd=ROOT, env=env))
        _wait(lambda: _port_open(milvus_port), "milvus lite", procs)
        if with_worker:
            procs.append(subprocess.Popen([str(bin_dir / "prefect"), "worker", "start", "--pool", "ingestflow",
                                           "--type", "process", "--install-policy", "never"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "ingestflow.api.main:create_app", "--factory",
                                       "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"],
                                      cwd=ROOT, env=env))
        url = f"http://127.0.0.1:{api_port}"
        _wait(lambda: _answers(f"{url}/health"), "the API", procs)
        yield url
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
