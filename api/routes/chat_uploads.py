"""Seed 004 ``POST /chat_service/upload`` and ``POST /chat_service/upload_and_parse`` (seed 004's envelope).

Files go to the upload store (``services/chat_uploads.py``); ``file_url`` is a signed link this server
serves (``/links/chat/…``, valid 7 days). Parsing runs on a Prefect worker, never here.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingestflow.api import seed004
from ingestflow.api.seed004 import Caller004, Envelope004
from ingestflow.api.uploads import max_upload_bytes, safe_name
from ingestflow.errors import PayloadTooLarge, ValidationFailed
from ingestflow.services import chat_uploads, file_links

router = APIRouter(prefix="/chat_service", tags=["seed 004: chat_service uploads"])
MAX_FILES = 20
_FORM = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"},
                                     "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


def _sync_chunks(upload: UploadFile, limit: int) -> Iterator[bytes]:
    size = 0
    while chunk := upload.file.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{upload.filename}: over the {limit}-byte upload limit (INGESTFLOW_MAX_UPLOAD_MB)")
        yield chunk


async def _uploads(request: Request, fields: tuple[str, ...]) -> list[UploadFile]:
    form = await request.form(max_files=MAX_FILES + 1)
    files = [v for f in fields for v in form.getlist(f) if isinstance(v, UploadFile)]
    if not files:
        raise ValidationFailed(f"{' or '.join(fields)}: field required (multipart/form-data with a file)")
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files per request")
    return files


async def _store(request: Request, upload: UploadFile) -> tuple[chat_uploads.ChatFile, str]:
    name = safe_name(upload.filename)
    stored = await run_in_threadpool(chat_uploads.store, name, _sync_chunks(upload, max_upload_bytes()))
    link = file_links.sign(chat_uploads.LINK_KIND, stored.item_id, str(request.base_url),
                           ttl_s=chat_uploads.LINK_TTL_S)
    return stored, link.url


@router.post("/upload", response_model=Envelope004, openapi_extra=_FORM)
async def upload(request: Request, caller: Caller004) -> dict:
    """Store one file (form field ``file``); ``file_url`` serves it back."""
    files = await _uploads(request, ("file",))
    if len(files) != 1:
        raise ValidationFailed("file: send exactly one file (upload_and_parse takes several)")
    stored, url = await _store(request, files[0])
    return seed004.ok("上传成功", {"file_url": url, "file_name": stored.name})


@router.post("/upload_and_parse", response_model=Envelope004, openapi_extra=_FORM)
async def upload_and_parse(request: Request, caller: Caller004) -> dict:
    """Store ``file``/``files`` and parse them (same parsers and OCR as loads) on a worker, each within
    ``parse_timeout_s``; one entry per file, failures included."""
    uploads = await _uploads(request, ("file", "files"))
    stored = [await _store(request, u) for u in uploads]
    outcomes = await run_in_threadpool(chat_uploads.parse, [s for s, _url in stored])
    data = []
    for (item, url), outcome in zip(stored, outcomes, strict=True):
        entry = {"file_name": item.name, "file_url": url, "content": outcome.get("content", ""),
                 "parse_success": bool(outcome.get("parse_success"))}
        if not entry["parse_success"]:
            entry["parse_error"] = outcome.get("parse_error") or "解析失败"
        data.append(entry)
    good = sum(e["parse_success"] for e in data)
    return seed004.ok(f"处理完成，成功{good}/{len(data)}个文件", data)
