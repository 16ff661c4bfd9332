"""Shared dependencies: the ``moi-key`` API key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader

from ingestflow.errors import AuthError
from ingestflow.settings import get_settings

_moi_key = APIKeyHeader(name="moi-key", auto_error=False, description="API key (header name is case-insensitive).")


def require_api_key(key: Annotated[str | None, Security(_moi_key)] = None) -> str:
    """Accept a request whose ``moi-key`` header matches one of settings.api_keys."""
    if not key:
        raise AuthError("missing moi-key header")
    given = key.encode()
    if not any(hmac.compare_digest(given, k.get_secret_value().encode()) for k in get_settings().api_keys):
        raise AuthError("invalid moi-key")
    return "admin"


ApiUser = Annotated[str, Depends(require_api_key)]
