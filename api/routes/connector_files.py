"""MOI's temporary connector files (seed 000 two-step upload): ``/connectors/file/{upload,preview,download,delete}``.

``upload`` stores files for ``INGESTFLOW_CONN_FILE_TTL_S`` and answers their ``conn_file_ids``;
``POST /connectors/upload`` with ``VolumeID`` and ``table_config.conn_file_ids`` (or
``/catalog/file/create`` with ``ref_file_id``) then makes them files of a volume.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ingestflow.api import moi_presenters as shapes
from ingestflow.api import uploads
from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ERRORS, NOT_SUPPORTED, Envelope, ok
from ingestflow.api.schemas.moi import ConnFileLink, ConnFileOut, ConnFileRef, ConnFilesUploaded, ConnPreview, ConnPreviewBody
from ingestflow.catalog import catalog
from ingestflow.connectors import build_connector
from ingestflow.errors import ValidationFailed
from ingestflow.services import file_links, moi_files

router = APIRouter(prefix="/connectors/file", tags=["seed 000: MOI connector files"], responses={**ERRORS, **NOT_SUPPORTED})

CONN_UPLOAD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                   "meta": {"type": "string", "description": 'JSON: [{"filename": "a.csv", "path": "/"}] per file'}}}}}}}


@router.post("/upload", response_model=Envelope[ConnFilesUploaded], openapi_extra=CONN_UPLOAD_FORM)
async def upload(request: Request, user: ApiUser) -> dict:
    """Files (``file``, with ``meta``) into temporary storage → ``conn_file_ids``; 413 past the upload limit."""
    async with request.form(max_files=1000, max_part_size=1024 * 1024) as form:
        return ok(await uploads.handle_conn_files(form, user))


def _preview(body: ConnPreviewBody) -> dict:
    header = body.columnNameRow if body.isColumnName else None
    start = body.rowStart or ((header or 0) + 1)
    csv = body.csv
    if body.conn_file_id:
        row = moi_files.conn_file(body.conn_file_id)
        name, stream, file_type = row.name, moi_files.open_bytes("conn-files", row.id)[2], row.file_type
    elif body.connector_id and body.uri:
        with catalog() as c:
            connector = c.connectors.get(body.connector_id)
        source = build_connector(connector.source_type, connector.config)
        item = source.stat(body.uri)
        name, stream, file_type = item.name, source.open(body.uri), int(item.file_type)
    else:
        raise ValidationFailed("conn_file_id (a temporary file) or connector_id with uri is required")
    rows = moi_files.preview_rows(name, stream, header_row=header, row_start=start,
                                  separator=csv.separator if csv else ",", quote=csv.delimiter if csv else '"')
    return {"conn_file_id": body.conn_file_id, "rows": rows, "file_type": body.file_type or file_type}


@router.post("/preview", response_model=Envelope[ConnPreview])
async def preview(body: ConnPreviewBody) -> dict:
    """The first rows of a temporary file (or of a connector's source file), one entry per column: CSV
    split into columns (``isColumnName``/``columnNameRow``: the header row, ``rowStart``: the first row
    shown), other text as one ``content`` column of lines, binary files none."""
    return ok(await run_in_threadpool(_preview, body))


@router.post("/download", response_model=Envelope[ConnFileLink])
def download(body: ConnFileRef, request: Request) -> dict:
    """A signed URL of the temporary file's bytes."""
    row = moi_files.conn_file(body.conn_file_id)
    return ok(shapes.link(file_links.sign("conn-files", row.id, str(request.base_url)), conn_file_id=row.id))


@router.post("/delete", response_model=Envelope[ConnFileOut])
def delete(body: ConnFileRef) -> dict:
    """Remove a temporary file (files made from it keep their own copy)."""
    moi_files.delete_conn_file(body.conn_file_id)
    return ok({"conn_file_id": body.conn_file_id})
