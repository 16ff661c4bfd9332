"""Seed 004's API family: envelope ``{"status", "code", "msg", "data"}`` and auth by ``moi-key`` or Bearer.

``status`` is ``success`` or ``fail``, ``code`` the HTTP status as an integer (200, 400, 401, 404, 500 …),
``data`` ``""`` on failure, as the seed writes it. The seed names no auth: our keys are accepted in a
``moi-key`` header or as ``Authorization: Bearer <key>`` (a tenant-bound key keeps its tenant); a call
without one is a 401 in this envelope, unless ``INGESTFLOW_SEED004_OPEN`` (off by default) opens the family
to key-less calls (an internal network), which then act as an admin.

A router joins the family with ``dependencies=FAMILY``: the first dependency marks the request so the
app's exception handlers (``api/main.py``) answer its errors in this envelope.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from ingestflow.api.deps import identify
from ingestflow.errors import AuthError
from ingestflow.settings import get_settings
from ingestflow.tenancy import ADMIN, Scope

NAME = "seed004"

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <api key>")
_moi_key = APIKeyHeader(name="moi-key", auto_error=False, description="API key (or send it as a Bearer token).")


class Envelope004(BaseModel):
    """Seed 004's envelope: ``data`` is ``""`` when there is nothing to return (and on every failure)."""

    status: str = "success"
    code: int = 200
    msg: str = ""
    data: Any = ""


def ok(msg: str, data: Any = "") -> dict[str, Any]:
    """A success."""
    return {"status": "success", "code": 200, "msg": msg, "data": data}


def error(status: int, msg: str) -> dict[str, Any]:
    """A failure for an HTTP status (the body's ``code`` is that status)."""
    return {"status": "fail", "code": int(status), "msg": msg, "data": ""}


def _mark(request: Request) -> None:
    request.state.family = NAME


def require_key(key: Annotated[str | None, Security(_moi_key)] = None,
                creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> Scope:
    """The caller a ``moi-key`` or Bearer key stands for; 401 when missing (unless the family is open) or unknown."""
    given = key or (creds.credentials if creds is not None else "")
    if not given:
        if get_settings().seed004_open:
            return ADMIN
        raise AuthError("missing api key: send a moi-key header or Authorization: Bearer <api key>")
    try:
        return identify(given)
    except AuthError:
        raise AuthError("invalid api key") from None


FAMILY = [Depends(_mark), Depends(require_key)]
Caller004 = Annotated[Scope, Depends(require_key)]
