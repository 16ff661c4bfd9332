"""Signed, expiring links to a volume file's or a temporary connector file's bytes (MOI download/preview links).

A link is ``<base>/links/<kind>/<id>?expires=<unix s>&inline=<0|1>&signature=<hex>``: the signature is
an HMAC-SHA256 over kind, id, expiry and disposition, so a link opens only that file, only until it
expires, and only as the caller asked (download or inline preview); anyone holding it can use it,
without the API key, as with an S3 presigned URL. The key is ``INGESTFLOW_URL_SIGNING_KEY``, by
default derived from the first API key (so every API process of a deployment agrees on it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from ingestflow.errors import Forbidden
from ingestflow.settings import get_settings

KINDS = ("files", "conn-files", "chat")
_fallback_key = secrets.token_bytes(32)  # no API key configured at all: links work within this process


@dataclass(frozen=True)
class Link:
    """A signed link and when it stops working."""

    url: str
    expires_at: int


def _key() -> bytes:
    settings = get_settings()
    if settings.url_signing_key is not None and settings.url_signing_key.get_secret_value():
        return settings.url_signing_key.get_secret_value().encode()
    if settings.api_keys:
        return hashlib.sha256(b"ingestflow-links\x00" + settings.api_keys[0].get_secret_value().encode()).digest()
    return _fallback_key


def _signature(kind: str, item_id: str, expires: int, inline: bool) -> str:
    message = f"{kind}\x1f{item_id}\x1f{expires}\x1f{int(inline)}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def sign(kind: str, item_id: str, base_url: str, *, inline: bool = False, ttl_s: int | None = None) -> Link:
    """A link to ``/links/<kind>/<id>`` valid for ``ttl_s`` (default ``INGESTFLOW_LINK_TTL_S``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    settings = get_settings()
    expires = int(time.time()) + int(ttl_s or settings.link_ttl_s)
    base = (settings.public_url or base_url).rstrip("/")
    query = urlencode({"expires": expires, "inline": int(inline),
                       "signature": _signature(kind, item_id, expires, inline)})
    return Link(f"{base}/links/{kind}/{item_id}?{query}", expires)


def verify(kind: str, item_id: str, expires: int, inline: bool, signature: str) -> None:
    """Forbidden unless the signature is this server's for exactly this link and it has not expired."""
    if kind not in KINDS or not hmac.compare_digest(_signature(kind, item_id, expires, inline), signature or ""):
        raise Forbidden("invalid link signature (links open only the file and mode they were made for)")
    if expires < time.time():
        raise Forbidden("this link has expired; ask for a new one")
