"""The one way tests start servers: Milvus Lite, Prefect workers, the API, ``ingestflow up`` — on 127.0.0.1.

Built on ``ingestflow.orchestration.processes`` (the same child-process and readiness helpers
``ingestflow up`` uses). Every server runs from the installed package: no checkout path is passed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from ingestflow.orchestration.processes import ChildProcesses, free_port, http_ok, port_open
from ingestflow.orchestration.stack import bin_path

__all__ = ["ChildProcesses", "free_port", "http_ok", "live_api", "milvus_server", "prefect_worker", "api_server"]


def prefect_api_url() -> str:
    """The session's Prefect API (the test harness's server)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server: this session's Prefect API, a data dir, fast worker polls.

    A data dir other than the session's gets its own work pool: workers of one pool must share a
    catalog, and every stack of a test session shares the session's Prefect server."""
    from ingestflow.settings import get_settings

    env = dict(os.environ, PREFECT_API_URL=prefect_api_url(), INGESTFLOW_DATA_DIR=str(data_dir),
               PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
    if Path(data_dir).resolve() != get_settings().resolved_data_dir:
        env["INGESTFLOW_WORK_POOL"] = f"ingestflow-test-{abs(hash(str(Path(data_dir).resolve()))) % 10**8}"
    env.pop("INGESTFLOW_DATABASE_URL", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def milvus_server(db_file: Path) -> Iterator[str]:
    """A Milvus Lite server over ``db_file``; yields its URI."""
    port = free_port()
    procs = ChildProcesses()
    try:
        procs.start("milvus lite", [sys.executable, "-m", "ingestflow.orchestration.stack", "milvus", str(db_file),
                                    f"127.0.0.1:{port}"], dict(os.environ))
        procs.wait_until(lambda: port_open("127.0.0.1", port), "milvus lite", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        procs.stop()


@contextlib.contextmanager
def prefect_worker(env: dict[str, str], name: str = "test-worker", queue: str | None = None,
                   python: str | None = None, cwd: str | None = None) -> Iterator[ChildProcesses]:
    """A Prefect worker on pool ``ingestflow`` with ``env`` (its flow runs inherit it); ``queue``: only that
    queue; ``python``: another environment's interpreter (``python -m prefect``)."""
    procs = ChildProcesses()
    pool = env.get("INGESTFLOW_WORK_POOL", "ingestflow")
    prefect = [python, "-m", "prefect"] if python else [bin_path("prefect")]
    cmd = [*prefect, "worker", "start", "--pool", pool, "--type", "process",
           "--install-policy", "never", "--name", name, *(["--work-queue", queue] if queue else [])]
    try:
        procs.start("prefect worker", cmd, env, cwd=cwd, quiet=True)
        yield procs
    finally:
        procs.stop()


@contextlib.contextmanager
def api_server(env: dict[str, str]) -> Iterator[str]:
    """The API under uvicorn; yields its base URL."""
    port = free_port()
    procs = ChildProcesses()
    try:
        procs.start("api", [sys.executable, "-m", "uvicorn", "ingestflow.api.main:create_app", "--factory", "--host",
                            "127.0.0.1", "--port", str(port), "--log-level", "warning"], env)
        url = f"http://127.0.0.1:{port}"
        procs.wait_until(lambda: http_ok(f"{url}/health"), "the API", 90)
        yield url
    finally:
        procs.stop()


@contextlib.contextmanager
def live_api(workdir: Path, with_worker: bool = True) -> Iterator[str]:
    """Milvus Lite server + (a worker) + the API over a private data dir; yields the API's base URL."""
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    with milvus_server(data / "milvus.db") as milvus_uri:
        env = base_env(data, INGESTFLOW_MILVUS_URI=milvus_uri)
        with contextlib.ExitStack() as stack:
            if with_worker:
                stack.enter_context(prefect_worker(env))
            yield stack.enter_context(api_server(env))
