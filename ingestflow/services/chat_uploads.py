"""Seed 004 ``/chat_service/upload`` and ``upload_and_parse``: files stored in the upload store, served by
signed links, parsed on a Prefect worker (``flows/chat_parse.py``) and waited for.

A chat file is stored at ``chat/<id>/<name>``; its public id is ``<id>.<base64url(name)>`` so the link
route can find it without a catalog row (the link's signature makes the id unforgeable).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import NotFound, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.orchestration.jobs import run_job
from ingestflow.settings import get_settings

PREFIX = "chat"
LINK_KIND = "chat"
LINK_TTL_S = 7 * 24 * 3600  # the longest a signed link lives: chat clients keep file_url in their history


@dataclass
class ChatFile:
    """A stored chat upload."""

    item_id: str
    name: str
    uri: str
    size: int


def _item_id(file_id: str, name: str) -> str:
    return f"{file_id}.{base64.urlsafe_b64encode(name.encode('utf-8')).decode('ascii').rstrip('=')}"


def store(name: str, chunks: Iterable[bytes]) -> ChatFile:
    """Store one upload under a fresh id."""
    file_id = snowflake_id()
    uri = f"{PREFIX}/{file_id}/{name}"
    size = store_from_settings().put(uri, chunks)
    return ChatFile(_item_id(file_id, name), name, uri, size)


def open_chat_file(item_id: str) -> tuple[str, int, BinaryIO]:
    """(name, size, stream) of a stored chat upload; NotFound for an unknown id."""
    file_id, _, encoded = item_id.partition(".")
    try:
        name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise NotFound(f"no chat file {item_id!r}") from None
    if not file_id.isdigit() or not name or "/" in name:
        raise NotFound(f"no chat file {item_id!r}")
    uri = f"{PREFIX}/{file_id}/{name}"
    store_ = store_from_settings()
    try:
        item = store_.stat(uri)
    except Exception:  # noqa: BLE001 - any store miss is a 404 here
        raise NotFound(f"no chat file {item_id!r}") from None
    return name, int(item.size), store_.open(uri)


def parse(files: list[ChatFile]) -> list[dict]:
    """Parse stored uploads on a worker (per-file limit ``parse_timeout_s``); one outcome per file, in order."""
    if not files:
        raise ValidationFailed("file or files: give at least one file")
    settings = get_settings()
    result_uri = f"{PREFIX}/{snowflake_id()}/_parsed.json"
    wait = min(settings.seed004_wait_s, settings.parse_timeout_s * len(files) + 60)
    run_job("ingestflow-chat-parse", {"files": [[f.uri, f.name] for f in files], "result_uri": result_uri},
            timeout_s=wait, tags=["ingestflow:seed004", "ingestflow:upload_and_parse"])
    store_ = store_from_settings()
    with store_.open(result_uri) as stream:
        outcomes = {o["uri"]: o for o in json.loads(stream.read().decode("utf-8"))}
    store_.delete(result_uri)
    return [outcomes.get(f.uri, {"content": "", "parse_success": False, "parse_error": "解析失败: 没有结果"})
            for f in files]
