"""Seed 002's response envelope: ``{"code": "OK", "msg": "OK", "data": ...}``.

Every route of this family declares ``response_model=Envelope[XPublic]`` (or ``OkEnvelope`` when it
returns no data) so ``/docs`` and generated clients describe the real body, and the error statuses
it can send (``ERRORS``), each with the error envelope.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class OkEnvelope(BaseModel):
    """A success without data: ``{"code": "OK", "msg": "OK"}``."""

    code: str = "OK"
    msg: str = "OK"


class Envelope(OkEnvelope, Generic[T]):
    """A success with data."""

    data: T


class ErrorEnvelope(BaseModel):
    """An error: ``code`` names it (``ErrValidation``, ``ErrNotFound`` …), ``msg`` says what is wrong."""

    code: str
    msg: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Bad input (the field is named)", 401: "Missing or invalid moi-key",
            403: "A tenant-bound key on an admin route", 404: "Unknown id", 409: "Conflicts with the current state",
            413: "Too large", 501: "Not supported by this server", 502: "A source or sink failed",
            503: "A source, sink or Prefect is unreachable"}
    return {s: {"model": ErrorEnvelope, "description": text[s]} for s in statuses}


ERRORS = _errors(400, 401, 403, 404, 409, 413, 502, 503)
"""The statuses a route of this family may send besides 200 (FastAPI's default 422 is never sent: bad
input is a 400)."""
NOT_SUPPORTED = _errors(501)
"""A 501 ``ErrNotSupported``: routes that refuse some of MOI's options (table imports, archives) add it."""


def ok(data: Any = None) -> dict[str, Any]:
    """A success envelope (``data`` left out when None)."""
    body: dict[str, Any] = {"code": "OK", "msg": "OK"}
    if data is not None:
        body["data"] = data
    return body


def error(code: str, msg: str) -> dict[str, Any]:
    """An error envelope."""
    return {"code": code, "msg": msg}
