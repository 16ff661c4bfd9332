"""Connector request/response models (seed 002 §连接器).

The per-kind config fields (``s3``, ``oss`` …) and the accepted ``source_type`` numbers are
derived from the connector registry, so a newly registered kind appears in the request models
and in OpenAPI without being listed here. Configs stay plain objects on the way in (the kind's
own model validates them, naming ``s3.<field>`` on error, and an update may send only some
fields), but OpenAPI documents each kind's fields, secrets as ``writeOnly`` passwords.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from ingestflow.api.schemas.common import IntId
from ingestflow.connectors.registry import CONNECTOR_REGISTRY, ConnectorEntry, describe_source_types, source_types


# --- derived from the registry ------------------------------------------------------------------

def _creatable_source_type(value: int) -> int:
    """A source_type a caller may create (registered, and not one the server creates itself)."""
    entry = next((e for e in CONNECTOR_REGISTRY.values() if int(e.source_type) == value), None)
    if entry is None:
        raise ValueError(f"unknown source_type {value}; known: {describe_source_types(creatable_only=True)}")
    if not entry.creatable:
        raise ValueError(f"source_type {value} ({entry.kind}) is created by the server itself, not through this API")
    return value


CreatableSourceType = Annotated[
    int, AfterValidator(_creatable_source_type),
    WithJsonSchema({"type": "integer", "enum": source_types(creatable_only=True),
                    "description": describe_source_types(creatable_only=True)}),
]


def _config_schema(entry: ConnectorEntry, *, partial: bool) -> dict[str, Any]:
    """OpenAPI schema of a kind's config object (``required`` left out for partial updates)."""
    schema = entry.config_model.model_json_schema()
    doc = f"{entry.kind} config (source_type {int(entry.source_type)}). {schema.get('description', '')}".strip()
    if "$defs" in schema:  # nested models would need their $defs hoisted: document a plain object
        return {"type": "object", "description": doc}
    out = {"type": "object", "description": doc, "properties": schema.get("properties", {}),
           "additionalProperties": schema.get("additionalProperties", True)}
    if not partial and schema.get("required"):
        out["required"] = schema["required"]
    return out


def _kind_fields(*, partial: bool, creatable_only: bool = True) -> dict[str, Any]:
    """One optional body field per kind (``s3``, ``oss`` …); the one matching source_type is used."""
    return {e.config_field: (Annotated[dict[str, Any], WithJsonSchema(_config_schema(e, partial=partial))] | None,
                             None)
            for e in CONNECTOR_REGISTRY.values() if e.creatable or not creatable_only}


class _Configs(BaseModel):
    """Base of the bodies that carry a kind's config under the kind's field."""

    model_config = ConfigDict(extra="ignore")

    def config_for(self, field: str) -> dict[str, Any] | None:
        """The config sent under a kind's body field (None when not sent)."""
        return getattr(self, field, None)


# --- requests -----------------------------------------------------------------------------------

class _ConnectorCreate(_Configs):
    name: str = Field(..., min_length=1, max_length=255)
    source_type: CreatableSourceType
    usage_type: list[Any] | None = None


class _ConnectorValidate(_Configs):
    source_type: CreatableSourceType | None = None
    connector_id: IntId | None = Field(None, description="A stored connector to validate instead of a config.")


class _ConnectorUpdate(_Configs):
    name: str | None = Field(None, min_length=1, max_length=255)
    usage_type: list[Any] | None = None


ConnectorCreate = create_model("ConnectorCreate", __base__=_ConnectorCreate, **_kind_fields(partial=False),
                               __doc__="A new connector: its kind (source_type) and that kind's config.")
ConnectorValidate = create_model("ConnectorValidate", __base__=_ConnectorValidate, **_kind_fields(partial=False),
                                 __doc__="A config to try (source_type + its kind's field), or a stored connector_id.")
ConnectorUpdate = create_model("ConnectorUpdate", __base__=_ConnectorUpdate, **_kind_fields(partial=True),
                               __doc__='A partial update; a secret sent back as "******" keeps the stored one.')


class UploadForm(BaseModel):
    """The multipart form of ``POST /connectors/upload`` (documentation: the route streams the form itself).

    Form (a): ``data`` file(s), stored in the upload area. Form (b): ``file`` + ``VolumeID`` (+ ``meta``):
    stored, then loaded into the volume by a run-once task.
    """

    data: list[bytes] | None = Field(None, description="Form (a): file(s) to store (repeat the field for several).")
    file: list[bytes] | None = Field(None, description="Form (b): file(s) to store and load into VolumeID.")
    VolumeID: str | None = Field(None, description="Form (b): id of the volume to load into; required with file.")
    volume_id: str | None = Field(None, description="Same as VolumeID.")
    meta: str | None = Field(None, description='JSON array, one entry per file: the MOI SDK\'s {"filename", "path"} '
                                               '(name and folder in the volume) or the seed\'s {"file_name", '
                                               '"file_size", "mime_type"}; the name replaces the part\'s file name.')
    dedup: str | None = Field(None, description='JSON {"by": ["name", "md5"], "strategy": "skip" | "replace"}: '
                                                "a duplicate is skipped (no second document) or replaces the old one.")
    table_config: str | None = Field(None, description='JSON {"conn_file_ids": [...]}: import temporary files from '
                                                       "POST /connectors/file/upload instead of sending file parts.")
    file_types: str | None = Field(None, description="JSON list of seed file types: other files are not imported.")
    path_regex: str | None = Field(None, description="Only files whose folder/name path matches are imported.")


# --- responses ----------------------------------------------------------------------------------

class ConnectorCreated(BaseModel):
    """The new connector's id (under both names the seed's clients read)."""

    id: int
    connector_id: int


class ConnectorValidation(BaseModel):
    """Whether the source accepted the config; when not, why (``code`` is the error's code)."""

    valid: bool
    reason: str | None = None
    code: str | None = None


class ConnectorPublic(BaseModel):
    """A connector as listed; its config goes under its kind's field with secrets masked."""

    id: int
    source_type: int
    name: str
    status: str
    created_at: int
    updated_at: int
    username: str
    related_task_ids: list[str]
    usage_type: list[Any]


ConnectorListed = create_model(
    "ConnectorListed", __base__=ConnectorPublic,
    **{e.config_field: (dict[str, Any] | None, Field(None, description=f"{e.kind} config, secrets as \"******\" "
                                                                         f"(only the connector's own kind)."))
       for e in CONNECTOR_REGISTRY.values()},
    __doc__="A connector as listed, with its config under its kind's field (secrets masked).",
)


class ConnectorList(BaseModel):
    """One page of connectors and the total over all pages."""

    connectors: list[ConnectorListed]
    total: int


class SourceFilePublic(BaseModel):
    """A file (object, row set, document) of a connector's source."""

    uri: str
    filename: str
    size: int
    type: int


class SourceFileList(BaseModel):
    """A source's files; ``truncated`` when the listing stopped at its limit."""

    files: list[SourceFilePublic]
    truncated: bool


class StatusCounts(BaseModel):
    """A total and the counts by status."""

    total: int
    by_status: dict[str, int]


class ConnectorSummary(BaseModel):
    """Connectors by source_type and status; tasks and files by status."""

    total: int
    by_source_type: dict[str, int]
    by_status: dict[str, int]
    tasks: StatusCounts
    files: StatusCounts


class UploadedFile(BaseModel):
    """A stored upload: its uri in the upload connector (``<batch id>/<name>``)."""

    uri: str
    filename: str
    size: int
    type: int


class UploadLoadResult(BaseModel):
    """One file of form (b) and its id (= its task file id; for a skipped duplicate, the existing file's)."""

    success: bool
    file_id: str
    message: str
    file_name: str
    uri: str
    status: str | None = Field(None, description="created, skipped (dedup), replaced (dedup) or filtered.")
    task_id: str | None = Field(None, description="The task that loads it (a skipped duplicate: the one that did).")
    volume_id: str | None = None
    parent_id: str | None = Field(None, description='Its folder ("" = the root).')
    path: str | None = Field(None, description="Its path in the volume, /folder/name.")
    size: int | None = None
    md5: str | None = None


class UploadResult(BaseModel):
    """Form (a): ``connector_id`` and ``files``. Form (b): ``success``, ``file_id``, ``task_id``, ``message``, ``results``."""

    connector_id: int | None = None
    files: list[UploadedFile] | None = None
    success: bool | None = None
    file_id: str | None = None
    task_id: str | None = None
    message: str | None = None
    results: list[UploadLoadResult] | None = None
