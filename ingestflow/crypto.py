"""Connector secrets encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings.

The key is ``INGESTFLOW_SECRET_KEY`` — one Fernet key, or several separated by commas: the first
encrypts, every one decrypts (rotation: put the new key first, run ``ingestflow secrets rotate``,
then drop the old one). Unset, a key is generated once into ``<data_dir>/secret.key`` (mode 0600)
and reused; every process sharing a catalog (API, workers, a PostgreSQL catalog on several hosts)
must then see the same file or the same setting.

A stored config is ``{"$fernet": "<token>"}``; a clear config written by an older release is read as
it is and encrypted when next written (migration 0007 encrypts them all at upgrade).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ingestflow.errors import SecretKeyError
from ingestflow.settings import get_settings

MARKER = "$fernet"
KEY_FILE = "secret.key"
_lock = threading.Lock()
_cache: dict[tuple[str, str], Any] = {}


def _key_file(data_dir: Path) -> Path:
    """``<data_dir>/secret.key``, created once with a fresh key (0600; a concurrent creator wins)."""
    from cryptography.fernet import Fernet

    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
    return path


def keys() -> list[bytes]:
    """The configured Fernet keys, newest first."""
    settings = get_settings()
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        return [k.strip().encode() for k in settings.secret_key.get_secret_value().split(",") if k.strip()]
    return [_key_file(settings.resolved_data_dir).read_bytes().strip()]


def _fernet() -> Any:
    from cryptography.fernet import Fernet, MultiFernet

    settings = get_settings()
    ident = (str(settings.resolved_data_dir), settings.secret_key.get_secret_value() if settings.secret_key else "")
    with _lock:
        box = _cache.get(ident)
        if box is None:
            try:
                box = MultiFernet([Fernet(k) for k in keys()])
            except ValueError:
                raise SecretKeyError("INGESTFLOW_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes), "
                                     "comma-separated (make one with `ingestflow secrets new-key`)") from None
            _cache[ident] = box
        return box


def is_encrypted(value: Any) -> bool:
    """Whether a stored config is an encrypted one."""
    return isinstance(value, dict) and set(value) == {MARKER}


def encrypt(config: dict[str, Any] | None) -> dict[str, str]:
    """A config as stored: one Fernet token of its JSON."""
    token = _fernet().encrypt(json.dumps(config or {}, ensure_ascii=False).encode("utf-8"))
    return {MARKER: token.decode("ascii")}


def decrypt(stored: Any) -> Any:
    """A stored config in clear (a clear one from an older release is returned as it is)."""
    if not is_encrypted(stored):
        return stored
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(_fernet().decrypt(stored[MARKER].encode("ascii")))
    except InvalidToken:
        raise SecretKeyError("connector secrets cannot be decrypted: INGESTFLOW_SECRET_KEY (or data_dir/secret.key) "
                             "is not the key they were encrypted with") from None


def rotate(stored: Any) -> dict[str, str]:
    """A stored config re-encrypted with the newest key (clear ones encrypted)."""
    if not is_encrypted(stored):
        return encrypt(stored)
    from cryptography.fernet import InvalidToken

    try:
        return {MARKER: _fernet().rotate(stored[MARKER].encode("ascii")).decode("ascii")}
    except InvalidToken:
        raise SecretKeyError("a connector's secrets cannot be decrypted with any configured key") from None
