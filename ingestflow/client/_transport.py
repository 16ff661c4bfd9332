"""What the sync and async clients share about httpx: request arguments and transport errors."""

from __future__ import annotations

from typing import Any

import httpx

from ingestflow.client._core import Call, ClientConfig, clean_params
from ingestflow.client.errors import IngestflowConnectionError


def request_kwargs(call: Call) -> dict[str, Any]:
    """httpx ``request(**kwargs)`` for a Call."""
    kwargs: dict[str, Any] = {"method": call.method, "url": call.path}
    if call.params is not None:
        kwargs["params"] = clean_params(call.params) if isinstance(call.params, dict) else call.params
    if call.json is not None:
        kwargs["json"] = call.json
    if call.files is not None:
        kwargs["files"] = call.files
    if call.data is not None:
        kwargs["data"] = call.data
    if call.timeout is not None:
        kwargs["timeout"] = call.timeout
    return kwargs


def transport_error(call: Call, config: ClientConfig, exc: httpx.HTTPError) -> IngestflowConnectionError:
    """A connection/timeout error naming the URL (never the key)."""
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return IngestflowConnectionError(f"{call.method} {config.base_url}{call.path} {kind}: {type(exc).__name__}: {exc}")
