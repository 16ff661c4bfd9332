"""Seed 003 §3.1/§3.2: ``POST /upload-files/file`` and ``/upload-files/image`` into our upload store.

The seed stores into Tencent COS; ingestflow stores into its own upload store (data dir or S3) and
serves images itself at ``GET /upload-files/images/<key>`` without a key: an image URL goes into an
``<img>`` tag (as the seed's CDN URL would), and its key is a random uuid, so it cannot be guessed.
"""

from __future__ import annotations

import re
import uuid
from pathlib import PurePosixPath

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ingestflow.api import seed003
from ingestflow.api.schemas.datasets import ImageUrl, UploadFilePublic
from ingestflow.api.uploads import safe_name, store_one
from ingestflow.catalog import catalog
from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import NotFound, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.records import mime_type_for
from ingestflow.settings import get_settings

router = APIRouter(prefix="/upload-files", tags=["seed 003: upload files"], responses=seed003.ERRORS)
public = APIRouter(prefix="/upload-files", tags=["seed 003: upload files"])
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}
_IMAGE_KEY = re.compile(r"^[0-9a-f]{32}\.(jpg|jpeg|png|gif)$")


def _limit() -> int:
    return int(get_settings().seed003_max_upload_mb * 1024 * 1024)


def _record(file_id: str, account: str, name: str, uri: str, size: int, md5: str, is_image: bool) -> int:
    with catalog() as c:
        return c.upload_files.add(file_id, account, name, uri, size, md5, is_image=is_image).created_at


@router.post("/file", response_model=seed003.Seed003Envelope[UploadFilePublic])
async def upload_file(caller: seed003.BearerCaller, file: UploadFile = File(...)) -> dict:  # noqa: B008
    """§3.1: one file (≤ ``INGESTFLOW_SEED003_MAX_UPLOAD_MB``, 15 MB) → its upload-file record."""
    name = safe_name(file.filename)
    file_id, store = snowflake_id(), store_from_settings()
    uri = f"seed003/{file_id}/{name}"
    size, md5 = await store_one(store, file, name, uri, _limit())
    try:
        created = await run_in_threadpool(_record, file_id, caller.tenant_code or "", name, uri, size, md5, False)
    except BaseException:
        await run_in_threadpool(store.delete, uri)
        raise
    return seed003.ok({"id": seed003.to_uuid(file_id), "account_id": seed003.account_uuid(caller.tenant_code),
                       "name": name, "key": uri, "size": size, "extension": PurePosixPath(name).suffix.lower(),
                       "mime_type": mime_type_for(name), "created_at": created})


@router.post("/image", response_model=seed003.Seed003Envelope[ImageUrl])
async def upload_image(request: Request, caller: seed003.BearerCaller,
                       file: UploadFile = File(...)) -> dict:  # noqa: B008
    """§3.2: a jpg/jpeg/png/gif image → ``image_url`` served by this server."""
    name = safe_name(file.filename)
    ext = PurePosixPath(name).suffix.lower()
    if ext not in IMAGE_TYPES:
        raise ValidationFailed(f"file: {name!r} is not an image of type jpg, jpeg, png or gif")
    key = f"{uuid.uuid4().hex}{ext}"
    file_id, store = snowflake_id(), store_from_settings()
    uri = f"seed003/images/{key}"
    size, md5 = await store_one(store, file, name, uri, _limit())
    try:
        await run_in_threadpool(_record, file_id, caller.tenant_code or "", name, uri, size, md5, True)
    except BaseException:
        await run_in_threadpool(store.delete, uri)
        raise
    base = get_settings().public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return seed003.ok({"image_url": f"{base}/upload-files/images/{key}"})


def _chunks(stream):  # noqa: ANN001, ANN202
    with stream:
        while chunk := stream.read(256 * 1024):
            yield chunk


@public.get("/images/{key}", include_in_schema=False)
async def image(key: str) -> StreamingResponse:
    """An uploaded image's bytes (no key: see the module docstring)."""
    if not _IMAGE_KEY.match(key):
        raise NotFound("image not found")
    store = store_from_settings()
    try:
        stream = await run_in_threadpool(store.open, f"seed003/images/{key}")
    except (OSError, NotFound):
        raise NotFound("image not found") from None
    return StreamingResponse(_chunks(stream), media_type=IMAGE_TYPES[PurePosixPath(key).suffix],
                             headers={"Cache-Control": "public, max-age=86400"})
