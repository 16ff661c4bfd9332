"""Seed 003's API family: envelope ``{"code", "data", "message"}`` and ``Authorization: Bearer`` auth.

A router joins the family with ``dependencies=FAMILY``: the first dependency marks the request so the
app's exception handlers (``api/main.py``) answer its errors in this envelope, the second checks the
Bearer key (the same admin and tenant-bound keys as seed 002's ``moi-key``; a tenant key keeps its tenant).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from ingestflow.api.deps import identify
from ingestflow.errors import AuthError, ValidationFailed
from ingestflow.tenancy import Scope

NAME = "seed003"
PREFIXES = ("/datasets", "/upload-files")
"""Paths of this family (an unmatched path under them still answers in this envelope)."""
CODES = {400: "validate_error", 401: "unauthorized", 403: "forbidden", 404: "not_found"}
"""Seed 003's error codes by HTTP status; any other failure is ``fail``."""

T = TypeVar("T")


class Seed003Envelope(BaseModel, Generic[T]):
    """A success: ``code`` "success", the data, and the seed's message ("" or e.g. "创建知识库成功")."""

    code: str = "success"
    data: T
    message: str = ""


class Seed003ErrorEnvelope(BaseModel):
    """A failure: ``code`` validate_error | unauthorized | forbidden | not_found | fail, ``data`` {}."""

    code: str
    data: dict[str, Any] = Field(default_factory=dict)
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Seed003ErrorEnvelope, "description": f"{CODES.get(status, 'fail')} (HTTP {status})"}
    for status in (400, 401, 403, 404, 409, 413)}
"""The statuses a route of this family may answer besides 200, in its envelope (for OpenAPI)."""

_TAG = 0x1D5E_ED00_3000  # custom_a of a uuid that carries a snowflake id: "ingestflow, seed 003"
_LOW62 = (1 << 62) - 1
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_NAMESPACE = uuid.UUID("0c9b7a1e-5d3f-4e8a-9f21-6a7b8c9d0e1f")

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <api key>")


def ok(data: Any = None, message: str = "") -> dict[str, Any]:
    """A success: ``data`` is ``{}`` when there is none, as in the seed's examples."""
    return {"code": "success", "data": {} if data is None else data, "message": message}


def error(status: int, message: str) -> dict[str, Any]:
    """An error envelope for an HTTP status."""
    return {"code": CODES.get(status, "fail"), "data": {}, "message": message}


def _mark(request: Request) -> None:
    request.state.family = NAME


def require_bearer(creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> Scope:
    """The caller a Bearer key stands for; 401 when missing or unknown."""
    if creds is None or not creds.credentials:
        raise AuthError("missing Authorization: Bearer <api key> header")
    try:
        return identify(creds.credentials)
    except AuthError:
        raise AuthError("invalid api key") from None


FAMILY = [Depends(_mark), Depends(require_bearer)]
MARK = [Depends(_mark)]
"""A key-less route of the family (served images): its errors still in this envelope."""
BearerCaller = Annotated[Scope, Depends(require_bearer)]


# --- ids ---------------------------------------------------------------------------------------
# Seed 003 types every id as a uuid. Volumes, upload files and query records have 19-digit snowflake
# ids (seed 002 shows them): a snowflake maps to a uuid and back without storage (RFC 9562 version 8,
# "custom": a fixed 48-bit tag, then the 63-bit id), so seed 002 and 003 name the same object by two
# spellings and a path accepts either. Document ids already are uuids; a segment's uuid is the first
# 128 bits of its chunk id (a SHA-1), resolved within its document.

def to_uuid(snowflake: str | int) -> str:
    """The uuid spelling of a snowflake id."""
    n = int(snowflake)
    value = (_TAG << 80) | (0x8 << 76) | ((n >> 62) << 64) | (0b10 << 62) | (n & _LOW62)
    return str(uuid.UUID(int=value))


def from_uuid(value: str, field: str) -> str:
    """The snowflake id a path or body names (its uuid spelling, or the digits themselves); 400 otherwise."""
    text = str(value).strip()
    if _DIGITS.match(text):
        return text
    try:
        n = uuid.UUID(text).int
    except ValueError:
        raise ValidationFailed(f"{field}: {value!r} is not a uuid") from None
    if n >> 80 != _TAG or (n >> 76) & 0xF != 0x8 or (n >> 62) & 0b11 != 0b10:
        return "0"  # a well-formed uuid this server never issued: "not found" downstream
    return str((((n >> 64) & 0xFFF) << 62) | (n & _LOW62))


def check_uuid(value: str, field: str) -> str:
    """A path id that must be a uuid (documents, segments): 400 when it is not one."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise ValidationFailed(f"{field}: {value!r} is not a uuid") from None


def segment_uuid(chunk_id: str) -> str:
    """A segment's uuid: the first 128 bits of its chunk id (a hex SHA-1)."""
    try:
        return str(uuid.UUID(hex=chunk_id[:32]))
    except ValueError:  # not a hex chunk id: a stable uuid of it instead
        return str(uuid.uuid5(_NAMESPACE, chunk_id))


def account_uuid(tenant_code: str | None) -> str:
    """Seed 003's ``account_id``: a stable uuid of the caller's tenant (admin keys share one)."""
    return str(uuid.uuid5(_NAMESPACE, f"account\x1f{tenant_code or ''}"))
