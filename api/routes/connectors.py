"""``/connectors``: create, validate, list, update, delete, list source files, upload, summary."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ingestflow.api import uploads
from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ok
from ingestflow.api.schemas.common import int_list, str_list
from ingestflow.api.schemas.connectors import ConnectorCreate, ConnectorUpdate, ConnectorValidate, SourceFilePublic
from ingestflow.connectors import build_connector, entry_for
from ingestflow.catalog import ops, queries
from ingestflow.errors import IngestError, ValidationFailed
from ingestflow.records import FileType
from ingestflow.services import connectors as connector_configs
from ingestflow.api import presenters

router = APIRouter(prefix="/connectors", tags=["connectors"])
MAX_LISTED_FILES = 10000


@router.post("")
def create_connector(body: ConnectorCreate, user: ApiUser) -> dict:
    """Create a connector; its config is validated against the kind's model (not its connectivity)."""
    entry = entry_for(body.source_type)
    config = connector_configs.storable_config(body.source_type, connector_configs.config_from_body(body, body.source_type))
    connector = ops.create_connector(body.name, entry.source_type, config, body.usage_type or [], username=user)
    return ok({"id": connector.id, "connector_id": connector.id})


@router.post("/validate")
def validate_connector(body: ConnectorValidate) -> dict:
    """Really connect with a connector's config (or a stored connector's): valid, or why not."""
    if body.connector_id is not None:
        connector = ops.get_connector(body.connector_id)
        source_type, config = connector.source_type, connector.config
    elif body.source_type is not None:
        source_type, config = body.source_type, connector_configs.config_from_body(body, body.source_type)
        entry_for(source_type)
    else:
        raise ValidationFailed("source_type (with its config) or connector_id is required")
    try:
        build_connector(source_type, config).validate()
    except IngestError as exc:
        return ok({"valid": False, "reason": exc.message, "code": exc.code})
    except Exception as exc:  # noqa: BLE001 - a source SDK's own error: report it, secrets scrubbed
        reason = connector_configs.scrub(f"{entry_for(source_type).kind} source error: {type(exc).__name__}: {exc}"[:500],
                                source_type, config or {})
        return ok({"valid": False, "reason": reason, "code": "ErrProvider"})
    return ok({"valid": True})


@router.get("/list")
def list_connectors(
    is_desc: bool = False,
    keyword: str = "",
    order_by: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
    source_type: Annotated[int | None, Query(ge=1, le=8)] = None,
    source_type_list: Annotated[list[str] | None, Query()] = None,
    status: str | None = None,
    status_list: Annotated[list[str] | None, Query()] = None,
    usage_type: Annotated[list[str] | None, Query()] = None,
) -> dict:
    types = int_list(source_type_list, "source_type_list", range(1, 9))
    if source_type is not None:
        types.append(source_type)
    statuses = str_list(status_list) + ([status] if status else [])
    rows, total = queries.list_connectors(keyword=keyword, source_types=types, statuses=statuses,
                                          usage_types=str_list(usage_type), order_by=order_by, is_desc=is_desc,
                                          page=page, page_size=page_size)
    related = queries.related_task_ids(c.id for c in rows)
    return ok({"connectors": [presenters.connector_public(c, related[c.id]) for c in rows], "total": total})


@router.get("/summary")
def summary() -> dict:
    """Counts of connectors by source_type and status, and of tasks and files by status."""
    return ok(queries.connector_summary())


@router.get("/files/list")
def list_files(
    connector_id: int,
    file_types: Annotated[list[str] | None, Query()] = None,
) -> dict:
    """The source's files (at most 10000), optionally only some seed file types."""
    types = int_list(file_types, "file_types", range(0, len(FileType)))
    connector = ops.get_connector(connector_id)
    items = build_connector(connector.source_type, connector.config).list(file_types=types or None)
    files = [SourceFilePublic(uri=i.uri, filename=i.name, size=i.size, type=int(i.file_type)).model_dump()
             for i in islice(items, MAX_LISTED_FILES)]
    return ok({"files": files, "truncated": len(files) >= MAX_LISTED_FILES})


@router.post("/upload")
async def upload(request: Request, user: ApiUser) -> dict:
    """Seed form (a): ``data`` file field(s) → stored in the upload area.
    Seed form (b): ``file`` + ``VolumeID`` + ``meta`` → stored, and a run-once load task into the volume."""
    async with request.form(max_files=1000, max_part_size=1024 * 1024) as form:
        return ok(await uploads.handle(form, user))


@router.put("/{connector_id}")
def update_connector(connector_id: int, body: ConnectorUpdate) -> dict:
    """Partial update: name, usage_type, config fields (a "******" secret keeps the stored one)."""
    connector = ops.get_connector(connector_id)
    fields: dict = {}
    if body.name is not None:
        fields["name"] = body.name
    if body.usage_type is not None:
        fields["usage_type"] = body.usage_type
    sent = connector_configs.config_from_body(body, connector.source_type)
    if sent is not None:
        fields["config"] = connector_configs.merged_config(connector, sent)
    other = [f for f in ("oss", "s3", "dify", "hdfs", "mo", "local", "minio")
             if f != entry_for(connector.source_type).config_field and body.config_for(f) is not None]
    if other:
        raise ValidationFailed(f"connector {connector_id} is of kind {entry_for(connector.source_type).kind!r}; "
                               f"field {other[0]!r} does not apply")
    if fields:
        queries.update_connector(connector_id, **fields)
    return ok()


@router.delete("/{connector_id}")
def delete_connector(connector_id: int) -> dict:
    queries.delete_connector(connector_id)
    return ok()

