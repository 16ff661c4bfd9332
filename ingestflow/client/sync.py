"""``IngestflowClient``: the blocking client (httpx.Client) over the shared operations."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ingestflow.client._core import Call, ClientConfig, Operation, decode, drive_sync
from ingestflow.client._endpoints import Endpoints
from ingestflow.client._query import QueryEndpoints
from ingestflow.client._transport import request_kwargs, transport_error


class IngestflowClient(Endpoints, QueryEndpoints):
    """Blocking client of the ingestflow API.

    >>> with IngestflowClient("http://127.0.0.1:8000", api_key="…") as api:
    ...     task_id = api.create_task(connector_id, volume.id)

    ``base_url`` / ``api_key`` default to $INGESTFLOW_API_URL / $INGESTFLOW_API_KEY (then the local
    dev defaults); ``timeout`` is per request, in seconds. Errors: ``ingestflow.client.errors``."""

    def __init__(self, base_url: str = "", api_key: str = "", timeout: float = 60.0,
                 headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.config = ClientConfig(base_url, api_key, timeout, dict(headers or {}))
        self._http = httpx.Client(base_url=self.config.base_url, headers=self.config.all_headers(),
                                  timeout=timeout, transport=transport)

    def _send(self, call: Call) -> Any:
        try:
            response = self._http.request(**request_kwargs(call))
        except httpx.HTTPError as exc:
            raise transport_error(call, self.config, exc) from None
        return decode(call, response.status_code, response.content)

    def _drive(self, gen: Operation[Any]) -> Any:
        return drive_sync(gen, self._send, time.sleep)

    def health(self) -> bool:
        """True when the server answers ``/health``."""
        try:
            return self._http.get("/health", timeout=5).is_success
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> IngestflowClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IngestflowClient({self.config.base_url!r})"
