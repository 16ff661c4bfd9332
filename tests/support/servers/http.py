"""The HTTP plumbing the protocol test servers share: a threaded server on 127.0.0.1 routing every method to one handler."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler], None]


def serve(handle: Handle, protocol: str = "HTTP/1.1") -> ThreadingHTTPServer:
    """A quiet ThreadingHTTPServer on a free 127.0.0.1 port whose GET/PUT/POST/DELETE/HEAD all call ``handle``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = protocol

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _any(self) -> None:
            handle(self)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def shutdown(server: ThreadingHTTPServer | None) -> None:
    """Stop a server from ``serve`` (None: nothing to do)."""
    if server is not None:
        server.shutdown()
        server.server_close()


class HttpTestServer:
    """Base of the protocol test servers: ``start()`` serves ``handle(request)`` on a free port; ``stop()``."""

    port = 0
    _server: ThreadingHTTPServer | None = None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self):  # noqa: ANN201 - returns the subclass
        self._server = serve(self.handle)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        shutdown(self._server)
        self._server = None
