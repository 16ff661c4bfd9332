"""Child processes and readiness checks: what ``ingestflow up`` and the tests' servers are built on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 2xx."""
    try:
        return httpx.get(url, timeout=2).is_success
    except httpx.HTTPError:
        return False


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the child's process group (its session), if any of it is left."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class ChildProcesses:
    """Named child processes, each in its own session, stopped in reverse order."""

    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, cmd: list[str], env: dict[str, str], *, cwd: str | None = None,
              quiet: bool = False) -> subprocess.Popen:
        """Start ``cmd`` (``quiet``: its output discarded)."""
        out = subprocess.DEVNULL if quiet else None
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, start_new_session=True, stdout=out, stderr=out)
        self.children.append((name, proc))
        return proc

    def dead(self) -> str | None:
        """"<name> exited with code N" for the first child that is gone, else None."""
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate every child (newest first) with its process group, wait, kill what is left after ``timeout``.

        Each child leads its own session, so the group also holds what it started (Milvus Lite's binary,
        a worker's flow-run processes): nothing is orphaned."""
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
            _signal_group(proc, signal.SIGKILL)  # what the leader left behind when it exited
        self.children.clear()

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float, every_s: float = 0.3) -> None:
        """Poll ``check`` until true; RuntimeError when ``timeout`` passes or a child dies first."""
        deadline = time.monotonic() + timeout
        while not check():
            if (problem := self.dead()) is not None:
                raise RuntimeError(f"{problem} while waiting for {what}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
            time.sleep(every_s)

    def wait_http(self, url: str, timeout: float) -> None:
        """Wait until ``url`` answers 2xx."""
        self.wait_until(lambda: http_ok(url), url, timeout)

    def wait_port(self, host: str, port: int, timeout: float) -> None:
        """Wait until host:port accepts connections."""
        self.wait_until(lambda: port_open(host, port), f"{host}:{port}", timeout)
