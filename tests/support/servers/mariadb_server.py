"""A private MariaDB server for the ``mo`` connector's tests (MatrixOne speaks the MySQL protocol).

``start()`` initialises a data directory with ``mariadb-install-db``, runs ``mariadbd`` on
127.0.0.1 with a free port (grants on, so wrong passwords are rejected), waits until it
accepts connections, and creates a user (``acct:alice``, a MatrixOne-style login) with a
password and a test database. ``available()`` says whether the binaries are installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ingestflow.orchestration.processes import free_port


def available() -> bool:
    """True when mariadbd and mariadb-install-db are installed."""
    return bool(_binary("mariadbd") and _binary("mariadb-install-db"))


def _binary(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)


class MariaDbTestServer:
    """mariadbd in a temp dir; ``user``/``password``/``database`` are ready after start()."""

    def __init__(self, user: str = "acct:alice", password: str = "alice-pw", database: str = "ingest") -> None:
        self.user, self.password, self.database = user, password, database
        self.root_password = "root-pw"
        self.dir = Path(tempfile.mkdtemp(prefix="mariadb-"))
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> MariaDbTestServer:
        datadir = self.dir / "data"
        subprocess.run(
            [_binary("mariadb-install-db"), "--no-defaults", f"--datadir={datadir}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout,
        )
        self._proc = subprocess.Popen(
            [_binary("mariadbd"), "--no-defaults", f"--datadir={datadir}", f"--socket={self.dir}/sock",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--user=root", f"--pid-file={self.dir}/pid",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--skip-name-resolve", f"--log-error={self.dir}/err.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = self._root(unix_socket=f"{self.dir}/sock")
                break
            except Exception:  # noqa: BLE001 - not up yet
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd did not start: {(self.dir / 'err.log').read_text()[-2000:]}")
                time.sleep(0.2)
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (self.user, self.password))
            cur.execute(f"GRANT ALL ON `{self.database}`.* TO %s@'%%'", (self.user,))
        conn.close()
        return self

    def _root(self, **kwargs: Any) -> Any:
        import pymysql

        return pymysql.connect(user="root", password="", connect_timeout=2, autocommit=True, charset="utf8mb4", **kwargs)

    def connect(self) -> Any:
        """A pymysql connection as the test user to the test database (for seeding)."""
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                               database=self.database, autocommit=True, charset="utf8mb4")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
