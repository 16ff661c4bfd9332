"""``AsyncIngestflowClient``: the asyncio client (httpx.AsyncClient) over the same operations.

Every endpoint method of ``IngestflowClient`` exists here with the same signature and returns
an awaitable of the same typed result."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ingestflow.client._core import Call, ClientConfig, Operation, decode, drive_async
from ingestflow.client._endpoints import Endpoints
from ingestflow.client._query import QueryEndpoints
from ingestflow.client._transport import request_kwargs, transport_error


class AsyncIngestflowClient(Endpoints, QueryEndpoints):
    """Async client of the ingestflow API: ``await api.get_task(task_id)``; use ``async with``."""

    def __init__(self, base_url: str = "", api_key: str = "", timeout: float = 60.0,
                 headers: dict[str, str] | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = ClientConfig(base_url, api_key, timeout, dict(headers or {}))
        self._http = httpx.AsyncClient(base_url=self.config.base_url, headers=self.config.all_headers(),
                                       timeout=timeout, transport=transport)

    async def _send(self, call: Call) -> Any:
        try:
            response = await self._http.request(**request_kwargs(call))
        except httpx.HTTPError as exc:
            raise transport_error(call, self.config, exc) from None
        return decode(call, response.status_code, response.content)

    def _drive(self, gen: Operation[Any]) -> Any:
        return drive_async(gen, self._send, asyncio.sleep)

    async def health(self) -> bool:
        """True when the server answers ``/health``."""
        try:
            return (await self._http.get("/health", timeout=5)).is_success
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncIngestflowClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncIngestflowClient({self.config.base_url!r})"
