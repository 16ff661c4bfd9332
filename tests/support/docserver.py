"""A local HTTP document server for URL-fetch tests: files by path, plus redirects, a slow and a big answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DocServer:
    """``docs[path] = bytes`` serves a file; ``/redirect?to=URL`` redirects; ``/slow`` trickles; ``/big`` is 2 MiB."""

    def __init__(self) -> None:
        self.docs: dict[str, bytes] = {}
        self.hits: list[str] = []
        self.base = ""


@contextmanager
def doc_server() -> Iterator[DocServer]:
    """A running server on 127.0.0.1 (a free port) for the block."""
    state = DocServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:  # noqa: ANN002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path, _, query = self.path.partition("?")
            state.hits.append(path)
            if path == "/redirect":
                self.send_response(302)
                self.send_header("Location", query.removeprefix("to="))
                self.end_headers()
            elif path == "/slow":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif path == "/big":
                body = b"y" * (2 * 1024 * 1024)
                self.send_response(200)
                self.end_headers()  # no Content-Length: the cap must hold while streaming
                self.wfile.write(body)
            elif path in state.docs:
                body = state.docs[path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
