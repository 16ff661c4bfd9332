"""A WebHDFS REST test server (Hadoop WebHDFS docs), backed by a temporary directory.

Two ports as in a real cluster: the namenode (``/webhdfs/v1/<path>?op=…``) answers
LISTSTATUS, GETFILESTATUS, MKDIRS, DELETE and redirects OPEN / CREATE with
``307 Temporary Redirect`` to the datanode port, which serves / receives the bytes
(chunked request bodies accepted). Errors use the ``RemoteException`` JSON shape.
Boolean parameters are accepted case-insensitively (HdfsCLI sends ``True``). Users in
``denied_users`` get 403 AccessControlException.
"""

from __future__ import annotations

import json
import os
import shutil
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.servers.http import serve, shutdown
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

PREFIX = "/webhdfs/v1"
EXCEPTIONS = {
    "FileNotFoundException": ("java.io.FileNotFoundException", 404),
    "AccessControlException": ("org.apache.hadoop.security.AccessControlException", 403),
    "FileAlreadyExistsException": ("org.apache.hadoop.fs.FileAlreadyExistsException", 403),
    "IllegalArgumentException": ("java.lang.IllegalArgumentException", 400),
    "UnsupportedOperationException": ("java.lang.UnsupportedOperationException", 400),
}


class _Remote(Exception):
    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception, self.message = exception, message


class WebHdfsTestServer:
    """Namenode + datanode HTTP servers over ``root`` (a local directory = HDFS "/")."""

    def __init__(self, root: str | Path, denied_users: set[str] | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.denied_users = set(denied_users or ())
        self._servers: list[ThreadingHTTPServer] = []
        self.port = 0
        self.data_port = 0
        self.requests: list[tuple[str, str, str]] = []  # (role, method, path?query) log for tests

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> WebHdfsTestServer:
        self._servers = [serve(lambda h: self._handle("namenode", h)), serve(lambda h: self._handle("datanode", h))]
        self.port, self.data_port = (s.server_address[1] for s in self._servers)
        return self

    def stop(self) -> None:
        for srv in self._servers:
            shutdown(srv)
        self._servers = []

    # -- helpers ---------------------------------------------------------------------
    def local(self, hdfs_path: str) -> Path:
        """The local file backing an HDFS path (inside ``root``)."""
        clean = os.path.normpath("/" + hdfs_path.lstrip("/")).lstrip("/")
        return self.root / clean

    def _status(self, path: Path, suffix: str) -> dict[str, Any]:
        st = path.stat()
        is_dir = path.is_dir()
        return {
            "pathSuffix": suffix, "type": "DIRECTORY" if is_dir else "FILE", "length": 0 if is_dir else st.st_size,
            "modificationTime": st.st_mtime_ns // 1_000_000, "accessTime": 0 if is_dir else st.st_atime_ns // 1_000_000,
            "owner": "hdfs", "group": "supergroup", "permission": "755" if is_dir else "644",
            "blockSize": 0 if is_dir else 134217728, "replication": 0 if is_dir else 1,
            "fileId": st.st_ino, "childrenNum": len(os.listdir(path)) if is_dir else 0, "storagePolicy": 0,
        }

    @staticmethod
    def _read_body(h: BaseHTTPRequestHandler) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += h.rfile.read(size)
                h.rfile.readline()
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _json(self, h: BaseHTTPRequestHandler, obj: Any, status: int = 200) -> None:
        self._send(h, status, json.dumps(obj).encode())

    # -- dispatch --------------------------------------------------------------------
    def _handle(self, role: str, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        op = params.get("op", "").upper()
        self.requests.append((role, h.command, h.path))
        try:
            if not parts.path.startswith(PREFIX):
                raise _Remote("IllegalArgumentException", f"Invalid path: {parts.path}")
            hdfs_path = unquote(parts.path[len(PREFIX):]) or "/"
            user = params.get("user.name", "")
            if user in self.denied_users:
                raise _Remote("AccessControlException", f"Permission denied: user={user}, access=READ, inode=\"{hdfs_path}\"")
            if role == "namenode":
                self._namenode(h, op, hdfs_path, params)
            else:
                self._datanode(h, op, hdfs_path, params)
        except _Remote as exc:
            java, status = EXCEPTIONS[exc.exception]
            body = {"RemoteException": {"exception": exc.exception, "javaClassName": java, "message": exc.message}}
            if h.command in ("PUT", "POST") and h.headers.get("Content-Length"):
                self._read_body(h)
            self._json(h, body, status)

    def _redirect(self, h: BaseHTTPRequestHandler, hdfs_path: str) -> None:
        query = urlsplit(h.path).query
        location = f"http://127.0.0.1:{self.data_port}{PREFIX}{quote(hdfs_path)}?{query}"
        self._send(h, 307, b"", headers={"Location": location})

    def _namenode(self, h: BaseHTTPRequestHandler, op: str, hdfs_path: str, params: dict[str, str]) -> None:
        path = self.local(hdfs_path)
        if op in ("OPEN", "CREATE", "APPEND"):
            if op == "OPEN" and not path.is_file():
                raise _Remote("FileNotFoundException", f"File does not exist: {hdfs_path}")
            if op == "CREATE" and path.exists() and params.get("overwrite", "false").lower() != "true":
                raise _Remote("FileAlreadyExistsException", f"{hdfs_path} already exists")
            if h.command == "PUT" and h.headers.get("Content-Length") not in (None, "0"):
                self._read_body(h)  # bodies sent to the namenode are ignored, as on a real cluster
            self._redirect(h, hdfs_path)
        elif op == "GETFILESTATUS":
            if not path.exists():
                raise _Remote("FileNotFoundException", f"File does not exist: {hdfs_path}")
            self._json(h, {"FileStatus": self._status(path, "")})
        elif op == "LISTSTATUS":
            if not path.exists():
                raise _Remote("FileNotFoundException", f"File {hdfs_path} does not exist.")
            if path.is_dir():
                statuses = [self._status(path / name, name) for name in sorted(os.listdir(path))]
            else:
                statuses = [self._status(path, "")]
            self._json(h, {"FileStatuses": {"FileStatus": statuses}})
        elif op == "MKDIRS":
            path.mkdir(parents=True, exist_ok=True)
            self._json(h, {"boolean": True})
        elif op == "DELETE":
            if not path.exists():
                self._json(h, {"boolean": False})
            elif path.is_dir() and any(path.iterdir()) and params.get("recursive", "false").lower() != "true":
                raise _Remote("IllegalArgumentException", f"{hdfs_path} is non empty")
            else:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
                self._json(h, {"boolean": True})
        else:
            raise _Remote("UnsupportedOperationException", f"op={op} is not supported")

    def _datanode(self, h: BaseHTTPRequestHandler, op: str, hdfs_path: str, params: dict[str, str]) -> None:
        path = self.local(hdfs_path)
        if op == "OPEN":
            if not path.is_file():
                raise _Remote("FileNotFoundException", f"File does not exist: {hdfs_path}")
            data = path.read_bytes()
            offset = int(params.get("offset", 0) or 0)
            length = params.get("length")
            data = data[offset:offset + int(length)] if length else data[offset:]
            self._send(h, 200, data, "application/octet-stream")
        elif op in ("CREATE", "APPEND"):
            data = self._read_body(h)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab" if op == "APPEND" else "wb") as fh:
                fh.write(data)
            location = f"hdfs://127.0.0.1:{self.port}{quote(hdfs_path)}"
            self._send(h, 201 if op == "CREATE" else 200, b"", headers={"Location": location})
        else:
            raise _Remote("UnsupportedOperationException", f"op={op} is not supported on a datanode")
