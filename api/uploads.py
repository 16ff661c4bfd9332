"""``POST /connectors/upload``: store uploaded files safely, and (seed form b) load them.

Files go to the upload store (``connectors/upload.py``: the data dir's ``uploads/`` or an S3
bucket) as ``<batch id>/<name>``, which is their uri in the one upload connector (source_type 7).
Nothing stays behind when a request fails: the store never shows a partly written file, and
everything stored by the request is removed on any error.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ingestflow.catalog import catalog
from ingestflow.catalog.listing import record_items
from ingestflow.connectors import build_connector
from ingestflow.connectors.upload import UploadStore, store_from_settings
from ingestflow.errors import PayloadTooLarge, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.records import file_type_for
from ingestflow.services import connectors as connector_configs
from ingestflow.services import tasks as task_service
from ingestflow.settings import get_settings
from ingestflow.taskconfig import SourceConfig

_CHUNK = 1024 * 1024


def max_upload_bytes() -> int:
    """INGESTFLOW_MAX_UPLOAD_MB (default 200) in bytes, per file."""
    return int(get_settings().max_upload_mb * 1024 * 1024)


def safe_name(raw: str | None) -> str:
    """The file's base name; rejects empty names, NUL/control characters and ``..``."""
    if raw is None or not str(raw).strip():
        raise ValidationFailed("file name is empty")
    raw = str(raw)
    if any(unicodedata.category(c) == "Cc" for c in raw):
        raise ValidationFailed("file name contains control characters")
    parts = raw.replace("\\", "/").split("/")
    if ".." in (p.strip() for p in parts):
        raise ValidationFailed(f"file name {raw!r} must not contain '..'")
    name = parts[-1].strip()
    if not name or name in (".", ".."):
        raise ValidationFailed(f"file name {raw!r} has no base name")
    if len(name.encode("utf-8")) > 255:
        raise ValidationFailed("file name is longer than 255 bytes")
    return unicodedata.normalize("NFC", name)


def _parse_meta(raw: Any) -> list[dict[str, Any]]:
    if raw is None or raw == "":
        return []
    try:
        meta = json.loads(raw)
    except (TypeError, ValueError):
        raise ValidationFailed("meta must be a JSON array of {file_name, file_size, mime_type}") from None
    if isinstance(meta, dict):
        meta = [meta]
    if not isinstance(meta, list) or not all(isinstance(m, dict) for m in meta):
        raise ValidationFailed("meta must be a JSON array of {file_name, file_size, mime_type}")
    return meta


def _limited(upload: UploadFile, name: str, limit: int) -> Iterator[bytes]:
    """An upload's bytes in chunks (read in a worker thread); PayloadTooLarge once past ``limit``."""
    size = 0
    while chunk := upload.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"file {name!r} exceeds the upload limit of {limit // (1024 * 1024)} MB")
        yield chunk


def _discard(store: UploadStore, stored: list[dict[str, Any]]) -> None:
    for item in stored:
        try:
            store.delete(item["uri"])
        except Exception:  # noqa: BLE001, S110 - best effort: the request's own error is the one to report
            pass


async def handle(form: FormData, user: str) -> dict[str, Any]:
    """Store the form's files; form (b) also creates and starts a run-once load into ``VolumeID``."""
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    data = [f for f in form.getlist("data") if isinstance(f, UploadFile)]
    if not files and not data:
        raise ValidationFailed("field 'file' (with VolumeID and meta) or 'data' is required as a multipart file")
    volume_id = form.get("VolumeID") or form.get("volume_id")
    if files and not volume_id:
        raise ValidationFailed("VolumeID: field required with 'file'")
    meta = _parse_meta(form.get("meta"))
    uploads = files or data
    limit = max_upload_bytes()
    names: list[str] = []
    for i, up in enumerate(uploads):
        entry = meta[i] if i < len(meta) else {}
        name = safe_name(entry.get("file_name") or up.filename)
        if name in names:
            raise ValidationFailed(f"file name {name!r} is given twice")
        names.append(name)
        declared = entry.get("file_size")
        if isinstance(declared, int) and declared > limit:
            raise PayloadTooLarge(f"file {name!r} ({declared} bytes) exceeds the upload limit")
        if up.size is not None and up.size > limit:
            raise PayloadTooLarge(f"file {name!r} exceeds the upload limit of {limit // (1024 * 1024)} MB")
    if files:
        volume = await run_in_threadpool(_volume, str(volume_id).strip())
    store = store_from_settings()
    batch = snowflake_id()
    stored: list[dict[str, Any]] = []
    try:
        for up, name in zip(uploads, names, strict=True):
            uri = f"{batch}/{name}"
            size = await run_in_threadpool(store.put, uri, _limited(up, name, limit))
            stored.append({"uri": uri, "filename": name, "size": size, "type": int(file_type_for(name))})
        if files:
            return await run_in_threadpool(_load, volume, stored, user)
        connector = await run_in_threadpool(connector_configs.upload_connector)
        return {"connector_id": connector.id, "files": stored}
    except BaseException:
        # inline, not in a worker thread: this also runs when the request is cancelled
        _discard(store, stored)
        raise


def _volume(volume_id: str) -> Any:
    with catalog() as c:
        return c.volumes.get(volume_id)


def _load(volume: Any, stored: list[dict[str, Any]], user: str) -> dict[str, Any]:
    """Form (b): a run-once task over the stored files, file rows up front, run triggered."""
    connector = connector_configs.upload_connector()
    source = build_connector(connector.source_type, connector.config)
    file_ids: list[str] = []

    def add_files(task: Any) -> None:
        file_ids.extend(ref.id for ref in record_items(task, [source.stat(s["uri"]) for s in stored]))

    task = task_service.create_task(connector, volume, SourceConfig.once([s["uri"] for s in stored]), creator=user,
                                    before_run=add_files, name=f"upload {stored[0]['filename']}"[:255])
    return {"success": True, "file_id": file_ids[0], "task_id": task.id, "message": "文件上传成功",
            "results": [{"success": True, "file_id": fid, "message": "上传成功", "file_name": s["filename"],
                         "uri": s["uri"]} for fid, s in zip(file_ids, stored, strict=True)]}
