"""Sans-IO core of the client: every endpoint is written once, as a generator.

An operation is a generator that yields ``Call`` (an HTTP request to make) or ``Sleep`` (a pause)
and receives the decoded ``data`` of each call's envelope; its return value is the typed result.
``IngestflowClient`` (sync, httpx.Client) and ``AsyncIngestflowClient`` (httpx.AsyncClient) only
differ in how they execute those steps (``drive_sync`` / ``drive_async``), so the request building
and response parsing of an endpoint exist in one place and cannot drift between the two.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ingestflow.client.errors import IngestflowAPIError, api_error

T = TypeVar("T")

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_API_KEY = "ingestflow-dev-key"
DEFAULT_TIMEOUT = 60.0
OK_CODES = {"ok", "success"}


@dataclass(frozen=True)
class Call:
    """One HTTP request: method, path (relative to the base URL), query params, JSON or multipart body."""

    method: str
    path: str
    params: list[tuple[str, Any]] | dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class Sleep:
    """Pause the operation (used by polling helpers)."""

    seconds: float


Step = Call | Sleep
Operation = Generator[Step, Any, T]


@dataclass
class ClientConfig:
    """Where and how to call: base URL, ``moi-key``, timeout (seconds), extra headers."""

    base_url: str = ""
    api_key: str = ""
    timeout: float = DEFAULT_TIMEOUT
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_url = (self.base_url or os.environ.get("INGESTFLOW_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.api_key = self.api_key or os.environ.get("INGESTFLOW_API_KEY") or DEFAULT_API_KEY

    def all_headers(self) -> dict[str, str]:
        # seed 002 routes read moi-key, seed 003's (/datasets…) the Bearer header: the same key in both
        return {"moi-key": self.api_key, "Authorization": f"Bearer {self.api_key}", "accept": "application/json",
                **self.headers}

    def __repr__(self) -> str:  # the key never appears in logs or tracebacks
        return f"ClientConfig(base_url={self.base_url!r}, api_key='******', timeout={self.timeout})"


def clean_params(params: dict[str, Any]) -> list[tuple[str, Any]]:
    """Query params without None values; lists become repeated keys; bools become true/false."""
    out: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple, set, frozenset)) else [value]:
            out.append((key, str(item).lower() if isinstance(item, bool) else item))
    return out


def decode(call: Call, status_code: int, content: bytes) -> Any:
    """The ``data`` of a success envelope; an ``IngestflowAPIError`` carrying the server's code and msg otherwise."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        snippet = content[:200].decode("utf-8", "replace")
        raise api_error(status_code, "ErrNotJSON", f"the server did not answer JSON: {snippet!r}",
                        method=call.method, path=call.path) from None
    if not isinstance(body, dict):
        body = {"code": "OK" if status_code < 400 else "ErrHTTP", "data": body}
    code = str(body.get("code", "OK" if status_code < 400 else "ErrHTTP"))
    if "status" in body and isinstance(body.get("code"), int):  # seed 004: {"status", "code": 200, "msg", "data"}
        code = "OK" if body["status"] == "success" else str(body["status"])
    if status_code >= 400 or code.lower() not in OK_CODES:
        msg = body.get("msg") or body.get("message") or body.get("detail") or ""
        raise api_error(status_code, code, str(msg), method=call.method, path=call.path)
    return body.get("data")


def operation(fn: Callable[..., Operation[T]]) -> Callable[..., Any]:
    """Turn a generator-based operation into a client method (sync result or awaitable, per client).

    The raw generator function stays reachable as ``method.op`` so operations can compose:
    ``task = yield from Endpoints.get_task.op(self, task_id)``."""

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._drive(fn(self, *args, **kwargs))

    method.op = fn  # type: ignore[attr-defined]
    return method


def drive_sync(gen: Operation[T], send: Callable[[Call], Any], sleep: Callable[[float], None]) -> T:
    """Run an operation with a blocking ``send``."""
    try:
        step = next(gen)
        while True:
            if isinstance(step, Sleep):
                sleep(step.seconds)
                result = None
            else:
                result = send(step)
            step = gen.send(result)
    except StopIteration as stop:
        return stop.value


async def drive_async(gen: Operation[T], send: Callable[[Call], Any], sleep: Callable[[float], Any]) -> T:
    """Run an operation with an awaitable ``send`` and ``sleep``."""
    try:
        step = next(gen)
        while True:
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                result = None
            else:
                result = await send(step)
            step = gen.send(result)
    except StopIteration as stop:
        return stop.value


def expect_dict(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise IngestflowAPIError(200, "ErrUnexpectedResponse", f"{what}: expected an object, got {type(data).__name__}")
    return data
