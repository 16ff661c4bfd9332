"""Identifiers: 19-digit snowflake ids for API objects, deterministic ids for documents/chunks."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import uuid

_EPOCH_MS = 1288834974657  # Twitter's snowflake epoch: ids in 2025+ have 19 digits, like the seed's
_NAMESPACE = uuid.UUID("6f1c3f0e-8f6b-4d0a-9a55-2b1f1e6c9e21")

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_worker = os.getpid() & 0x3FF


def snowflake_id() -> str:
    """A new 19-digit, time-ordered id (string, as the seed sends task/file/volume ids)."""
    global _last_ms, _seq
    with _lock:
        now = int(time.time() * 1000)
        if now <= _last_ms:
            _seq = (_seq + 1) & 0xFFF
            if _seq == 0:
                _last_ms += 1
            now = _last_ms
        else:
            _seq = 0
        _last_ms = now
        return str(((now - _EPOCH_MS) << 22) | (_worker << 12) | _seq)


def document_id(volume_id: str, connector_id: int | str, uri: str, tenant_code: str = "", org_code: str = "") -> str:
    """Deterministic document id: the same source file in the same volume for the same tenant keeps its id.

    The tenant and org are part of the identity, so two tenants loading one file into one volume get two
    documents (and two chunk sets). A tenant-less document keeps the id it always had (no re-index).
    """
    key = f"{volume_id}\x1f{connector_id}\x1f{uri}"
    if tenant_code or org_code:
        key += f"\x1e{tenant_code}\x1f{org_code}"
    return str(uuid.uuid5(_NAMESPACE, key))


def content_hash(text: str) -> str:
    """SHA-256 of a chunk's text (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(doc_id: str, position: int, text_hash: str) -> str:
    """Deterministic chunk id from (document, position, content hash): upserts never duplicate."""
    return hashlib.sha1(f"{doc_id}:{position}:{text_hash}".encode()).hexdigest()


def slug(text: str) -> str:
    """A short, Prefect-friendly slug for names and tags."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:40] or "x"
