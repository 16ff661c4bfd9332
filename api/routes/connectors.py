"""``/connectors``: create, validate, list, update, delete, list source files, upload, summary.

Every route declares its envelope (``response_model``) and error statuses; routes hand back plain
dicts and ``response_model_exclude_unset`` keeps the wire exactly what they built (no ``null``
for a field a shape does not have), while OpenAPI documents every field.
"""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ingestflow.api import presenters, uploads
from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ERRORS, NOT_SUPPORTED, Envelope, OkEnvelope, ok
from ingestflow.api.schemas.common import INT64_MAX, IntIdPath, Keyword, Page, int_list, str_list
from ingestflow.api.schemas.connectors import (
    ConnectorCreate, ConnectorCreated, ConnectorList, ConnectorSummary, ConnectorUpdate, ConnectorValidate,
    ConnectorValidation, SourceFileList, SourceFilePublic, UploadForm, UploadResult,
)
from ingestflow.catalog import catalog
from ingestflow.connectors import CONNECTOR_REGISTRY, build_connector, entry_for
from ingestflow.connectors.registry import describe_source_types, source_types
from ingestflow.errors import IngestError, ValidationFailed
from ingestflow.records import FileType
from ingestflow.services import connectors as connector_configs

router = APIRouter(prefix="/connectors", tags=["seed 002: connectors"])
MAX_LISTED_FILES = 10000
SOURCE_TYPE_HELP = f"Only this kind: {describe_source_types()}."


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: ERRORS[s] for s in statuses}


def _known_source_types(values: list[str] | None, field: str) -> list[int]:
    """Query source_type filters: registered numbers only (a list, comma-separated or repeated)."""
    known = source_types()
    numbers = int_list(values, field)
    for number in numbers:
        if number not in known:
            raise ValidationFailed(f"{field}: {number} is not a source_type; known: {describe_source_types()}")
    return numbers


@router.post("", response_model=Envelope[ConnectorCreated], responses=_errors(400, 401, 403))
def create_connector(body: ConnectorCreate, user: ApiUser) -> dict:
    """Create a connector; its config is validated against the kind's model (not its connectivity)."""
    entry = entry_for(body.source_type)
    config = connector_configs.storable_config(body.source_type, connector_configs.config_from_body(body, body.source_type))
    with catalog() as c:
        connector = c.connectors.create(body.name, entry.source_type, config, body.usage_type or [], username=user)
    return ok({"id": connector.id, "connector_id": connector.id})


@router.post("/validate", response_model=Envelope[ConnectorValidation], response_model_exclude_unset=True,
             responses=_errors(400, 401, 403, 404))
def validate_connector(body: ConnectorValidate) -> dict:
    """Really connect with a connector's config (or a stored connector's): valid, or why not.

    A source that rejects the credentials answers ``valid: false`` with code ``ErrSourceCredentials``
    and a reason naming the config fields to fix.
    """
    if body.connector_id is not None:
        with catalog() as c:
            connector = c.connectors.get(body.connector_id)
        source_type, config = connector.source_type, connector.config
    elif body.source_type is not None:
        source_type, config = body.source_type, connector_configs.config_from_body(body, body.source_type)
    else:
        raise ValidationFailed("source_type (with its config) or connector_id is required")
    try:
        build_connector(source_type, config).validate()
    except IngestError as exc:
        return ok({"valid": False, "reason": exc.message, "code": exc.code})
    except Exception as exc:  # noqa: BLE001 - a connector's own bug: report it, secrets scrubbed
        reason = connector_configs.scrub(f"{entry_for(source_type).kind} source error: {type(exc).__name__}: {exc}"[:500],
                                         source_type, config or {})
        return ok({"valid": False, "reason": reason, "code": "ErrProvider"})
    return ok({"valid": True})


@router.get("/list", response_model=Envelope[ConnectorList], response_model_exclude_unset=True,
            responses=_errors(400, 401, 403))
def list_connectors(
    is_desc: bool = False,
    keyword: Keyword = "",
    order_by: str = "",
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
    source_type: Annotated[int | None, Query(description=SOURCE_TYPE_HELP)] = None,
    source_type_list: Annotated[list[str] | None, Query(description="Several kinds: '4,5' or repeated.")] = None,
    status: str | None = None,
    status_list: Annotated[list[str] | None, Query()] = None,
    usage_type: Annotated[list[str] | None, Query()] = None,
) -> dict:
    """One page of connectors (secrets masked), filtered by name, kind, status and usage type."""
    types = _known_source_types(source_type_list, "source_type_list")
    if source_type is not None:
        types += _known_source_types([str(source_type)], "source_type")
    statuses = str_list(status_list) + ([status] if status else [])
    with catalog() as c:
        rows, total = c.connectors.list(keyword=keyword, source_types=types, statuses=statuses,
                                        usage_types=str_list(usage_type), order_by=order_by, is_desc=is_desc,
                                        page=page, page_size=page_size)
        related = c.connectors.related_task_ids(row.id for row in rows)
    return ok({"connectors": [presenters.connector_public(row, related[row.id]) for row in rows], "total": total})


@router.get("/summary", response_model=Envelope[ConnectorSummary], responses=_errors(401, 403))
def summary() -> dict:
    """Counts of connectors by source_type and status, and of tasks and files by status."""
    with catalog() as c:
        return ok(c.connectors.summary())


@router.get("/files/list", response_model=Envelope[SourceFileList], responses=_errors(400, 401, 403, 404, 502, 503))
def list_files(
    connector_id: Annotated[int, Query(ge=0, le=INT64_MAX, description="The connector whose source to list.")],
    file_types: Annotated[list[str] | None, Query(description="Only these seed file types: '1,6' or repeated.")] = None,
) -> dict:
    """The source's files (at most 10000), optionally only some seed file types.

    A source that rejects the connector's credentials is a 400 ``ErrSourceCredentials`` naming the
    config fields to fix, never a 401 (that is only about the ``moi-key``).
    """
    types = int_list(file_types, "file_types", range(0, len(FileType)))
    with catalog() as c:
        connector = c.connectors.get(connector_id)
    items = build_connector(connector.source_type, connector.config).list(file_types=types or None)
    files = [SourceFilePublic(uri=i.uri, filename=i.name, size=i.size, type=int(i.file_type)).model_dump()
             for i in islice(items, MAX_LISTED_FILES)]
    return ok({"files": files, "truncated": len(files) >= MAX_LISTED_FILES})


UPLOAD_FORM = {"requestBody": {"required": True,
                               "content": {"multipart/form-data": {"schema": UploadForm.model_json_schema()}}}}


@router.post("/upload", response_model=Envelope[UploadResult], response_model_exclude_unset=True,
             responses={**_errors(400, 401, 403, 404, 409, 413, 502, 503), **NOT_SUPPORTED}, openapi_extra=UPLOAD_FORM)
async def upload(request: Request, user: ApiUser) -> dict:
    """Seed form (a): ``data`` file field(s) → stored in the upload area.
    Seed form (b) / MOI SDK: ``file`` + ``VolumeID`` + ``meta`` (``filename``, ``path``) + ``dedup`` → files
    of the volume and a run-once load task (``dedup`` skip/replace: no second document); or ``VolumeID`` +
    ``table_config.conn_file_ids`` (MOI's two-step upload). 501 for MOI table imports and archives.

    The form is read as a stream here (bounded part count and field size), not by FastAPI, so the
    request body is documented from ``UploadForm``.
    """
    async with request.form(max_files=1000, max_part_size=1024 * 1024) as form:
        return ok(await uploads.handle(form, user))


@router.put("/{connector_id}", response_model=OkEnvelope, responses=_errors(400, 401, 403, 404))
def update_connector(connector_id: IntIdPath, body: ConnectorUpdate) -> dict:
    """Partial update: name, usage_type, config fields (a "******" secret keeps the stored one)."""
    with catalog() as c:
        connector = c.connectors.get(connector_id)
    own = entry_for(connector.source_type)
    fields: dict = {}
    if body.name is not None:
        fields["name"] = body.name
    if body.usage_type is not None:
        fields["usage_type"] = body.usage_type
    other = [e.config_field for e in CONNECTOR_REGISTRY.values()
             if e.config_field != own.config_field and body.config_for(e.config_field) is not None]
    if other:
        raise ValidationFailed(f"connector {connector_id} is of kind {own.kind!r}; field {other[0]!r} does not apply")
    sent = connector_configs.config_from_body(body, connector.source_type)
    if sent is not None:
        fields["config"] = connector_configs.merged_config(connector, sent)
    if fields:
        with catalog() as c:
            c.connectors.update(connector_id, **fields)
    return ok()


@router.delete("/{connector_id}", response_model=OkEnvelope, responses=_errors(401, 403, 404, 409))
def delete_connector(connector_id: IntIdPath) -> dict:
    """Delete a connector; 409 while a task still uses it."""
    with catalog() as c:
        c.connectors.delete(connector_id)
    return ok()
