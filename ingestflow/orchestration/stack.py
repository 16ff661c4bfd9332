"""``ingestflow up``: the whole stack on 127.0.0.1, as supervised child processes of one command.

    prefect server  :4200   (PREFECT_HOME in the data dir; UI at http://127.0.0.1:4200)
    milvus lite     :19530  (the data dir's milvus.db served over gRPC, so the API and the
                             worker can share it; a Lite file can be opened by one process only)
    prefect worker × N      (pool ``work_pool``, default "ingestflow", type process; runs the installed package)
    API (uvicorn)   :8000   (docs at /docs)

A child that dies is restarted (back-off 1, 2, 4 … 30 s) and the restart is printed; the stack
stops only on Ctrl-C (SIGINT) or SIGTERM: terminate, wait, kill after a timeout.
``python -m ingestflow.orchestration.stack milvus DB_FILE ADDRESS`` runs only the Milvus Lite server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingestflow.orchestration.processes import ChildProcesses, http_ok, port_open
from ingestflow.settings import Settings, get_settings, prepare_environment

MAX_BACKOFF_S = 30.0


def stack_env(settings: Settings, prefect_port: int, milvus_uri: str | None) -> dict[str, str]:
    """The environment every child of the stack gets (one data dir, one Prefect API, one Milvus)."""
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(settings.resolved_prefect_home),
        "PREFECT_API_URL": f"http://127.0.0.1:{prefect_port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "INGESTFLOW_DATA_DIR": str(settings.resolved_data_dir),
    })
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "2")  # the API waits for job runs: pick them up quickly
    if milvus_uri:
        env["INGESTFLOW_MILVUS_URI"] = milvus_uri
    return env


def bin_path(name: str) -> str:
    """A console script of this environment (``prefect``), else the one on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


@dataclass
class Service:
    """One supervised child: how to start it and how to tell it is ready."""

    name: str
    cmd: list[str]
    ready: Callable[[], bool] = lambda: True
    ready_timeout_s: float = 60.0
    restarts: int = 0
    proc: subprocess.Popen | None = None
    next_start: float = 0.0
    backoff_s: float = field(default=1.0)
    alive: Callable[[], bool] | None = None  # probed while running: a live process that stopped serving is killed
    dead_after: int = 3  # consecutive failed probes (one per check, ≈ 1 s apart)
    failed_probes: int = 0


class Supervisor:
    """Starts services in order, restarts the ones that die (with back-off), stops all on request."""

    def __init__(self, env: dict[str, str], echo: Callable[[str], None] = print) -> None:
        self.env, self.echo = env, echo
        self.services: list[Service] = []
        self.procs = ChildProcesses()

    def start(self, service: Service) -> None:
        """Start a service and wait until it is ready (RuntimeError when it dies or times out)."""
        self.services.append(service)
        self._spawn(service)
        self.procs.wait_until(service.ready, service.name, service.ready_timeout_s)

    def _spawn(self, service: Service) -> None:
        service.proc = self.procs.start(service.name, service.cmd, self.env, cwd=self.env.get("INGESTFLOW_DATA_DIR"))

    def check(self) -> None:
        """Restart every service whose process has exited, each after its back-off."""
        now = time.monotonic()
        for service in self.services:
            proc = service.proc
            if proc is not None and proc.poll() is None:
                self._probe(service, proc)
            if proc is None or proc.poll() is None:
                continue
            if not service.next_start:
                service.next_start = now + service.backoff_s
                self.echo(f"{service.name} exited with code {proc.returncode}; restarting in {service.backoff_s:g} s")
                continue
            if now >= service.next_start:
                self.procs.children = [(n, p) for n, p in self.procs.children if p is not proc]
                self._spawn(service)
                service.restarts += 1
                service.next_start = 0.0
                service.backoff_s = min(service.backoff_s * 2, MAX_BACKOFF_S)
                self.echo(f"{service.name} restarted (restart {service.restarts})")

    def _probe(self, service: Service, proc: subprocess.Popen) -> None:
        """Kill (whole process group) a running service whose ``alive`` probe failed ``dead_after`` times in a
        row, so the exited-service path restarts it: e.g. Milvus Lite's wrapper alive with its port closed."""
        if service.alive is None:
            return
        if service.alive():
            service.failed_probes = 0
            return
        service.failed_probes += 1
        if service.failed_probes >= service.dead_after:
            self.echo(f"{service.name} is running but not answering; killing it to restart")
            service.failed_probes = 0
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait(timeout=10)

    def settle(self) -> None:
        """A service that stayed up for a while gets its short back-off back."""
        for service in self.services:
            if service.proc is not None and service.proc.poll() is None and not service.next_start:
                service.backoff_s = max(1.0, service.backoff_s / 2)

    def stop(self) -> None:
        self.procs.stop()


def up(api_port: int = 8000, prefect_port: int = 4200, milvus_port: int = 19530, workers: int = 1,
       echo: Callable[[str], None] = print) -> int:
    """Start server, Milvus, worker(s) and API; supervise them until SIGINT/SIGTERM."""
    settings = prepare_environment(get_settings())
    use_lite_server = not settings.milvus_uri
    milvus_uri = f"http://127.0.0.1:{milvus_port}" if use_lite_server else None
    supervisor = Supervisor(stack_env(settings, prefect_port, milvus_uri), echo)
    stopping = {"signal": None}

    def on_signal(signum, _frame) -> None:  # noqa: ANN001
        stopping["signal"] = signum
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    prefect = bin_path("prefect")
    try:
        echo(f"data dir: {settings.resolved_data_dir}")
        supervisor.start(Service("prefect server", [prefect, "server", "start", "--host", "127.0.0.1", "--port",
                                                    str(prefect_port)],
                                 lambda: http_ok(f"http://127.0.0.1:{prefect_port}/api/health"), 120))
        if use_lite_server:
            db_file = str(settings.resolved_data_dir / "milvus.db")
            milvus_up = lambda: port_open("127.0.0.1", milvus_port)  # noqa: E731
            supervisor.start(Service("milvus lite", [sys.executable, "-m", "ingestflow.orchestration.stack", "milvus",
                                                     db_file, f"127.0.0.1:{milvus_port}"], milvus_up, alive=milvus_up))
        for i in range(workers):
            supervisor.start(Service(f"prefect worker {i + 1}" if workers > 1 else "prefect worker",
                                     [prefect, "worker", "start", "--pool", settings.work_pool, "--type", "process",
                                      "--install-policy", "never", "--name", f"ingestflow-{os.uname().nodename}-{i + 1}"]))
        supervisor.start(Service("api", [sys.executable, "-m", "uvicorn", "ingestflow.api.main:create_app", "--factory",
                                         "--host", "127.0.0.1", "--port", str(api_port)],
                                 lambda: http_ok(f"http://127.0.0.1:{api_port}/health")))
        echo(f"API:       http://127.0.0.1:{api_port}  (docs: http://127.0.0.1:{api_port}/docs)")
        echo(f"Prefect:   http://127.0.0.1:{prefect_port}")
        echo(f"Milvus:    {milvus_uri or settings.resolved_milvus_uri}")
        echo("Ctrl-C stops everything.")
        ticks = 0
        while True:
            time.sleep(1)
            supervisor.check()
            ticks += 1
            if ticks % 60 == 0:
                supervisor.settle()
    except KeyboardInterrupt:
        echo("stopping…")
        return 0
    except RuntimeError as exc:
        echo(f"start-up failed: {exc}")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        supervisor.stop()


def serve_milvus(db_file: str, address: str) -> None:
    """Run Milvus Lite over gRPC on ``address`` until SIGTERM/SIGINT."""
    import warnings

    with warnings.catch_warnings():  # milvus_lite imports the deprecated pkg_resources
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        from milvus_lite.server import Server

    server = Server(db_file, address=address)
    if not server.init() or not server.start():
        raise SystemExit(f"milvus lite could not start on {address}")

    def _stop(_signum, _frame) -> None:  # noqa: ANN001
        server.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while server._p is not None and server._p.poll() is None:  # noqa: SLF001 - milvus-lite exposes no status
        time.sleep(1)
    # the milvus binary died: release its file lock (held by this process) and exit, so the supervisor restarts us
    code = server._p.returncode if server._p is not None else None  # noqa: SLF001
    server.stop()
    raise SystemExit(f"milvus lite's server process exited (code {code}); its file lock is released")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "milvus":
        serve_milvus(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: python -m ingestflow.orchestration.stack milvus DB_FILE HOST:PORT")
