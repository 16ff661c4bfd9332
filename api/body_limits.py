"""Request bodies bounded, and the key checked, before any body byte is read (pure ASGI middleware).

FastAPI reads a JSON body before it runs a route's dependencies, and Starlette spools a multipart
form to temporary files before the route sees it: without this, a request with no key could make
the API read (and hold, or spool to /tmp) any body it is sent before answering 401. Here, for a
request that carries a body:

1. the key the route requires is looked up in the app's OpenAPI security requirements (``moi-key``,
   seed 003's Bearer, or seed 004's either of them) and checked as the route's dependency would: a missing or unknown key gets its
   401 at once, in the route family's envelope — the body is never read (a valid tenant key on an
   admin route still gets its 403 from the route);
2. a ``Content-Length`` over the limit gets a 413 at once; a body without one (chunked) is counted as
   it streams and the request stops with a 413 at the limit — the app sees a disconnect.

Limits: multipart bodies of the upload routes ``INGESTFLOW_MAX_UPLOAD_MB`` (+ 1 MiB for the form's other
fields); every other body ``INGESTFLOW_MAX_BODY_MB``. The route itself still checks each uploaded file's size.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.security import HTTPAuthorizationCredentials
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingestflow.api import seed003, seed004
from ingestflow.api.deps import identify
from ingestflow.api.envelope import error
from ingestflow.errors import IngestError, PayloadTooLarge
from ingestflow.settings import get_settings

MIB = 1024 * 1024
FORM_FIELDS_BYTES = MIB
"""What a multipart body may hold besides its files (meta, dedup, VolumeID … and the part headers)."""


def body_limit(content_type: str, takes_uploads: bool) -> tuple[int, str]:
    """(bytes, setting) bounding a request body of this content type (the upload limit only on upload routes)."""
    settings = get_settings()
    if takes_uploads and content_type.lower().startswith("multipart/"):
        return int(settings.max_upload_mb * MIB) + FORM_FIELDS_BYTES, "INGESTFLOW_MAX_UPLOAD_MB"
    return int(settings.max_body_mb * MIB), "INGESTFLOW_MAX_BODY_MB"


class _AuthTable:
    """Which key each operation requires, and whether it takes multipart uploads, read once from the app's
    own OpenAPI (security requirements: ``moi-key`` header or seed 003's Bearer; request body media types):
    what the routes declare, declared once."""

    def __init__(self) -> None:
        self._rows: list[tuple[re.Pattern[str], str, str, bool]] | None = None

    def _build(self, app: Any) -> list[tuple[re.Pattern[str], str, str, bool]]:
        schema = app.openapi()
        schemes = schema.get("components", {}).get("securitySchemes", {})
        rows = []
        for path, operations in schema.get("paths", {}).items():
            regex = compile_path(path)[0]
            for method, operation in operations.items():
                kinds = {_kind(schemes.get(name, {})) for requirement in operation.get("security", [])
                         for name in requirement}
                # seed 004 takes either header; seed 003 only Bearer; seed 002 only moi-key
                kind = ("either" if {"bearer", "moi-key"} <= kinds else "bearer" if "bearer" in kinds
                        else "moi-key" if "moi-key" in kinds else "")
                uploads = "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
                rows.append((regex, method.upper(), kind, uploads))
        return rows

    def route(self, scope: Scope) -> tuple[str, bool]:
        """(key kind: "moi-key", "bearer" or "" for a public route or one the schema does not show,
        takes multipart uploads)."""
        if self._rows is None:
            self._rows = self._build(scope["app"])
        path, method = scope.get("path", ""), scope.get("method", "")
        return next(((kind, up) for regex, m, kind, up in self._rows if m == method and regex.match(path)), ("", False))


def _kind(scheme: dict[str, Any]) -> str:
    if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return "bearer"
    if scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "moi-key":
        return "moi-key"
    return ""


def _bearer_of(headers: dict[bytes, bytes]) -> HTTPAuthorizationCredentials | None:
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) \
        if scheme.lower() == "bearer" and token.strip() else None


def _check_key(kind: str, headers: dict[bytes, bytes]) -> None:
    """The key check the route's dependencies make (AuthError, with their messages)."""
    if kind == "bearer":
        seed003.require_bearer(_bearer_of(headers))
    elif kind == "either":
        key = headers.get(b"moi-key")
        seed004.require_key(key.decode("latin-1") if key else None, _bearer_of(headers))
    elif kind == "moi-key":
        key = headers.get(b"moi-key")
        identify(key.decode("latin-1") if key else None)


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # uvicorn refuses a malformed one before the app sees it


class BodyLimits:
    """ASGI middleware: auth before the body, body bounded (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._auth = _AuthTable()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = _content_length(headers)
        if not length and b"transfer-encoding" not in headers:  # no body to guard
            await self.app(scope, receive, send)
            return
        kind, takes_uploads = self._auth.route(scope)
        family = {"bearer": seed003.NAME, "either": seed004.NAME}.get(kind)
        limit, setting = body_limit(headers.get(b"content-type", b"").decode("latin-1"), takes_uploads)
        try:
            _check_key(kind, headers)
            if length is not None and length > limit:
                raise _too_large(length, limit, setting)
        except IngestError as exc:
            await _answer(send, family, exc)
            return
        await self._bounded(scope, receive, send, family, limit, setting)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, family: str | None, limit: int,
                       setting: str) -> None:
        """Run the app with a receive that stops at ``limit`` bytes: a 413 goes out, the app sees a disconnect."""
        state = {"read": 0, "started": False, "rejected": False}

        async def bounded_receive() -> Message:
            if state["rejected"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    state["rejected"] = True
                    if not state["started"]:
                        await _answer(send, family, _too_large(None, limit, setting))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["rejected"]:
                return  # our 413 is the answer; whatever the app makes of the disconnect is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            if not state["rejected"]:
                raise
            # the app failed on the disconnect we gave it after the 413: nothing more to say


def _too_large(length: int | None, limit: int, setting: str) -> PayloadTooLarge:
    size = f" ({length} bytes)" if length is not None else ""
    kind = "upload" if setting == "INGESTFLOW_MAX_UPLOAD_MB" else "request body"
    return PayloadTooLarge(f"the request body{size} exceeds the {kind} limit of {limit / MIB:g} MB ({setting})")


async def _answer(send: Send, family: str | None, exc: IngestError) -> None:
    """An error response in the family's envelope (the same bodies as the app's exception handlers)."""
    if family == seed003.NAME:
        body = seed003.error(exc.http_status, exc.message)
    elif family == seed004.NAME:
        body = seed004.error(exc.http_status, exc.message)
    else:
        body = error(exc.code, exc.message)
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
