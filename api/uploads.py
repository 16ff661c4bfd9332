"""``POST /connectors/upload``: store uploaded files safely, and (seed form b) load them.

Files land in ``settings.uploads_dir/<batch id>/<name>``; the upload area is the root of a
``local`` connector named "uploads", so a stored file's uri is ``<batch id>/<name>``.
Nothing stays behind when a request fails: files are written to a temp name and renamed, and
everything stored by the request is removed on any error.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ingestflow.connectors import build_connector
from ingestflow.catalog import ops
from ingestflow.errors import PayloadTooLarge, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.records import SourceType, file_type_for
from ingestflow.settings import get_settings
from ingestflow.services import connectors as connector_configs
from ingestflow.services import tasks as task_service

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


async def _save(upload: UploadFile, dest: Path, limit: int) -> int:
    """Copy an upload to ``dest`` (temp name, then rename); PayloadTooLarge past ``limit``."""
    tmp = dest.with_name(f".{dest.name}.part")
    size = 0
    try:
        with tmp.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"file {dest.name!r} exceeds the upload limit of {limit // (1024 * 1024)} MB")
                out.write(chunk)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return size


async def handle(form: FormData, user: str) -> dict[str, Any]:
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
    names = []
    for i, up in enumerate(uploads):
        entry = meta[i] if i < len(meta) else {}
        names.append(safe_name(entry.get("file_name") or up.filename))
        declared = entry.get("file_size")
        if isinstance(declared, int) and declared > limit:
            raise PayloadTooLarge(f"file {names[-1]!r} ({declared} bytes) exceeds the upload limit")
        if up.size is not None and up.size > limit:
            raise PayloadTooLarge(f"file {names[-1]!r} exceeds the upload limit of {limit // (1024 * 1024)} MB")
    if files:
        volume = await run_in_threadpool(ops.get_volume, str(volume_id).strip())
    batch = snowflake_id()
    batch_dir = get_settings().uploads_dir / batch
    stored: list[dict[str, Any]] = []
    try:
        batch_dir.mkdir(parents=True, exist_ok=False)
        for up, name in zip(uploads, names, strict=True):
            if any(s["filename"] == name for s in stored):
                raise ValidationFailed(f"file name {name!r} is given twice")
            size = await _save(up, batch_dir / name, limit)
            stored.append({"uri": f"{batch}/{name}", "filename": name, "size": size,
                           "type": int(file_type_for(name))})
        if files:
            return await run_in_threadpool(_load, volume, stored, user)
        connector = await run_in_threadpool(connector_configs.upload_connector)
        return {"connector_id": connector.id, "files": stored}
    except BaseException:
        shutil.rmtree(batch_dir, ignore_errors=True)
        raise


def _load(volume: Any, stored: list[dict[str, Any]], user: str) -> dict[str, Any]:
    """Form (b): a run-once task over the stored files, file rows up front, run triggered."""
    connector = connector_configs.upload_connector()
    source_config = {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4, "interval": 0},
                                                 "uris": [s["uri"] for s in stored]}}
    source = build_connector(SourceType.LOCAL, connector.config)
    file_ids: list[str] = []

    def add_files(task: Any) -> None:
        file_ids.extend(ops.sync_listing(task, source.stat(s["uri"]), "")[0] for s in stored)

    task = task_service.create_task(connector, volume, source_config, creator=user, before_run=add_files,
                                name=f"upload {stored[0]['filename']}"[:255])
    return {"success": True, "file_id": file_ids[0], "task_id": task.id, "message": "文件上传成功",
            "results": [{"success": True, "file_id": fid, "message": "上传成功", "file_name": s["filename"],
                         "uri": s["uri"]} for fid, s in zip(file_ids, stored, strict=True)]}
