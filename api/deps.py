"""Shared dependencies: the ``moi-key`` API key check and the caller it identifies.

Two kinds of key (settings): ``api_keys`` are admin keys (every route, every tenant);
``tenant_api_keys`` entries ``key:tenant_code[:org_code]`` are bound to a tenant (and org): they
may only search and read/edit documents, and every query they make is filtered server-side to
their tenant/org whatever the request says. Admin routes refuse them.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader

from ingestflow.errors import AuthError, Forbidden
from ingestflow.settings import get_settings
from ingestflow.tenancy import ADMIN, Scope

_moi_key = APIKeyHeader(name="moi-key", auto_error=False, description="API key (header name is case-insensitive).")


def _matches(given: bytes, secret: str) -> bool:
    return hmac.compare_digest(given, secret.encode())


def identify(key: str | None) -> Scope:
    """The scope a ``moi-key`` value stands for; AuthError when it is missing or unknown."""
    if not key:
        raise AuthError("missing moi-key header")
    given = key.encode()
    settings = get_settings()
    if any(_matches(given, k.get_secret_value()) for k in settings.api_keys):
        return ADMIN
    for entry in settings.tenant_api_keys:
        secret, _, scope = entry.get_secret_value().partition(":")
        if secret and scope and _matches(given, secret):
            tenant, _, org = scope.partition(":")
            return Scope(tenant_code=tenant, org_code=org or None)
    raise AuthError("invalid moi-key")


def require_caller(key: Annotated[str | None, Security(_moi_key)] = None) -> Scope:
    """Any valid key: admin or tenant-bound (search and document routes)."""
    return identify(key)


def require_api_key(key: Annotated[str | None, Security(_moi_key)] = None) -> str:
    """An admin key (connectors, volumes, tasks); a tenant-bound key is refused."""
    if not identify(key).is_admin:
        raise Forbidden("this moi-key is bound to a tenant: it may only search and use the document routes")
    return "admin"


ApiUser = Annotated[str, Depends(require_api_key)]
CallerDep = Annotated[Scope, Depends(require_caller)]
