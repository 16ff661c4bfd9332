"""Seed 003's API family: envelope ``{"code", "data", "message"}`` and ``Authorization: Bearer`` auth.

A router joins the family with ``dependencies=FAMILY``: the first dependency marks the request so the
app's exception handlers (``api/main.py``) answer its errors in this envelope, the second checks the
Bearer key (the same admin and tenant-bound keys as seed 002's ``moi-key``; a tenant key keeps its tenant).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingestflow.api.deps import identify
from ingestflow.errors import AuthError
from ingestflow.tenancy import Scope

NAME = "seed003"
CODES = {400: "validate_error", 401: "unauthorized", 403: "forbidden", 404: "not_found"}
"""Seed 003's error codes by HTTP status; any other failure is ``fail``."""

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
BearerCaller = Annotated[Scope, Depends(require_bearer)]
