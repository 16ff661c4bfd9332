"""``ingestflow up``: the whole stack on 127.0.0.1, as child processes of one command.

    prefect server  :4200   (PREFECT_HOME in the data dir; UI at http://127.0.0.1:4200)
    milvus lite     :19530  (the data dir's milvus.db served over gRPC, so the API and the
                             worker can share it; a Lite file can be opened by one process only)
    prefect worker          (pool "ingestflow", type process; runs the installed package)
    API (uvicorn)   :8000   (docs at /docs)

Ctrl-C (SIGINT) or SIGTERM stops every child: terminate, wait, kill after a timeout.
``python -m ingestflow.orchestration.stack milvus DB_FILE ADDRESS`` runs only the Milvus Lite server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ingestflow.settings import Settings, get_settings, prepare_environment


@dataclass
class Stack:
    """Child processes of ``ingestflow up``, stopped in reverse order."""

    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, env=env, cwd=env.get("INGESTFLOW_DATA_DIR"), start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self, timeout: float = 10.0) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.children.clear()

    def dead(self) -> str | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None


def wait_http(url: str, timeout: float, stack: Stack) -> None:
    """Poll ``url`` until it answers 2xx; RuntimeError on timeout or when a child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (problem := stack.dead()) is not None:
            raise RuntimeError(problem)
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def wait_port(host: str, port: int, timeout: float, stack: Stack) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (problem := stack.dead()) is not None:
            raise RuntimeError(problem)
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{host}:{port} did not open within {timeout:.0f}s")


def stack_env(settings: Settings, prefect_port: int, milvus_uri: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(settings.resolved_prefect_home),
        "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "INGESTFLOW_DATA_DIR": str(settings.resolved_data_dir),
    })
    if milvus_uri:
        env["INGESTFLOW_MILVUS_URI"] = milvus_uri
    return env


def up(api_port: int = 8000, prefect_port: int = 4200, milvus_port: int = 19530, with_milvus: bool = True,
       echo=print) -> int:  # noqa: ANN001
    """Start server, Milvus, worker and API; block until a signal or a child dies."""
    settings = prepare_environment(get_settings())
    bin_dir = Path(sys.executable).parent
    prefect = str(bin_dir / "prefect") if (bin_dir / "prefect").exists() else "prefect"
    use_lite_server = with_milvus and not settings.milvus_uri
    milvus_uri = f"http://127.0.0.1:{milvus_port}" if use_lite_server else None
    env = stack_env(settings, prefect_port, milvus_uri)
    stack = Stack()
    stopping = {"signal": None}

    def on_signal(signum, _frame) -> None:  # noqa: ANN001
        stopping["signal"] = signum
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        echo(f"data dir: {settings.resolved_data_dir}")
        stack.start("prefect server", [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(prefect_port)],
                    env)
        wait_http(f"http://127.0.0.1:{prefect_port}/api/health", 120, stack)
        if use_lite_server:
            db_file = str(settings.resolved_data_dir / "milvus.db")
            stack.start("milvus lite", [sys.executable, "-m", "ingestflow.orchestration.stack", "milvus", db_file,
                                        f"127.0.0.1:{milvus_port}"], env)
            wait_port("127.0.0.1", milvus_port, 60, stack)
        stack.start("prefect worker", [prefect, "worker", "start", "--pool", "ingestflow", "--type", "process",
                                       "--install-policy", "never"], env)
        stack.start("api", [sys.executable, "-m", "uvicorn", "ingestflow.api.main:create_app", "--factory",
                            "--host", "127.0.0.1", "--port", str(api_port)], env)
        wait_http(f"http://127.0.0.1:{api_port}/health", 60, stack)
        echo(f"API:       http://127.0.0.1:{api_port}  (docs: http://127.0.0.1:{api_port}/docs)")
        echo(f"Prefect:   http://127.0.0.1:{prefect_port}")
        echo(f"Milvus:    {milvus_uri or settings.resolved_milvus_uri}")
        echo("Ctrl-C stops everything.")
        while (problem := stack.dead()) is None:
            time.sleep(1)
        echo(f"stopping: {problem}")
        return 1
    except KeyboardInterrupt:
        echo("stopping…")
        return 0
    except RuntimeError as exc:
        echo(f"start-up failed: {exc}")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stack.stop()


def serve_milvus(db_file: str, address: str) -> None:
    """Run Milvus Lite over gRPC on ``address`` until SIGTERM/SIGINT."""
    from milvus_lite.server import Server

    server = Server(db_file, address=address)
    if not server.init() or not server.start():
        raise SystemExit(f"milvus lite could not start on {address}")

    def _stop(_signum, _frame) -> None:  # noqa: ANN001
        server.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "milvus":
        serve_milvus(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: python -m ingestflow.orchestration.stack milvus DB_FILE HOST:PORT")
