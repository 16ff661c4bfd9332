"""``GET /links/{files|conn-files|chat}/{id}``: the bytes behind a signed link (no moi-key: the signature is the key).

Made by ``/catalog/file/download`` (attachment), ``/catalog/file/preview_link`` (inline), seed 004's
``/chat_service/upload`` and
``/connectors/file/download``; see ``services/file_links.py``. Not in OpenAPI: clients follow the
URLs they were given, they do not build them.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ingestflow.records import mime_type_for
from ingestflow.services import chat_uploads, file_links, moi_files

router = APIRouter(prefix="/links", include_in_schema=False)


def _chunks(stream):  # noqa: ANN001, ANN202
    with stream:
        while chunk := stream.read(256 * 1024):
            yield chunk


@router.get("/{kind}/{item_id}")
async def content(
    kind: Annotated[str, Path(pattern="^(files|conn-files|chat)$")],
    item_id: str,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query()],
    inline: Annotated[int, Query(ge=0, le=1)] = 0,
) -> StreamingResponse:
    """The file's bytes with its name and content type (403 for a bad or expired link, 404 once deleted)."""
    file_links.verify(kind, item_id, expires, bool(inline), signature)
    opener = chat_uploads.open_chat_file if kind == "chat" else (lambda i: moi_files.open_bytes(kind, i))
    name, size, stream = await run_in_threadpool(opener, item_id)
    disposition = "inline" if inline else "attachment"
    headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}", "Content-Length": str(size),
               "Cache-Control": "private, no-store"}
    media = mime_type_for(name) if inline else "application/octet-stream"
    return StreamingResponse(_chunks(stream), media_type=media, headers=headers)
