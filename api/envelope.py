"""The seed's response envelope: ``{"code": "OK", "msg": "OK", "data": ...}``."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every response: ``code`` "OK" or an error code, ``msg``, and ``data`` when there is any."""

    code: str = "OK"
    msg: str = "OK"
    data: T | None = None


def ok(data: Any = None) -> dict[str, Any]:
    """A success envelope (``data`` left out when None)."""
    body: dict[str, Any] = {"code": "OK", "msg": "OK"}
    if data is not None:
        body["data"] = data
    return body


def error(code: str, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg}
