"""Request and response models of MOI's catalog API (seed 000: volumes, files, folders, connector files).

Field names are the MOI SDK's (``moi-python-sdk`` / ``moi-go-sdk`` models): requests name the object
``id`` (``volume_id`` / ``file_id`` / ``folder_id`` are accepted too), ids may be strings or numbers,
timestamps are RFC 3339 strings (UTC). Responses add ingestflow's own fields (a file's load status,
md5, task and document) after MOI's.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from ingestflow.api.schemas.common import Int64, IntId
from ingestflow.limits import MAX_KEYWORD_CHARS, MAX_PAGE
from ingestflow.api.schemas.search import FusionParams


def _text_id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError("must be an id (a string or a number)")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValueError("must be an id (a non-empty string of at most 64 characters, or a number)")
    return value.strip()


def _opt_id(value: Any) -> str:
    return "" if value in (None, "", 0) else _text_id(value)


ObjId = Annotated[str, BeforeValidator(_text_id)]
"""An object id: MOI sends strings (volumes, files) or numbers (databases); kept as a string."""
ParentId = Annotated[str, BeforeValidator(_opt_id)]
"""A folder id, or "" / null / 0 for a volume's root."""


class MoiBody(BaseModel):
    """MOI request bodies: unknown fields are ignored (the SDK sends MOI-only ones)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class IdBody(MoiBody):
    id: ObjId = Field(validation_alias=AliasChoices("id", "volume_id", "file_id", "folder_id"),
                      description="The object's id.")


class VolumeCreate(MoiBody):
    name: str = Field(..., min_length=1, max_length=255)
    database_id: Any = Field(None, description="Accepted and ignored: every volume is in the one default database.")
    description: str = Field("", validation_alias=AliasChoices("description", "comment"))
    fusion: FusionParams | None = Field(None, description="ingestflow extension: the volume's hybrid fusion.")


class VolumeUpdate(MoiBody):
    id: ObjId = Field(validation_alias=AliasChoices("id", "volume_id"))
    name: str | None = Field(None, max_length=255)
    description: str | None = Field(None, validation_alias=AliasChoices("description", "comment"))
    fusion: FusionParams | None = Field(None, description="ingestflow extension: the volume's hybrid fusion "
                                        "(null = the server default); not sent = unchanged.")


class FullPathBody(MoiBody):
    database_id_list: list[ObjId] | None = None
    volume_id_list: list[ObjId] | None = None
    folder_id_list: list[ObjId] | None = None


class ListFilter(MoiBody):
    name: str
    values: list[Annotated[str, Field(max_length=MAX_KEYWORD_CHARS)] | Int64] = Field(default_factory=list,
                                                                                      max_length=1000)
    fuzzy: bool = False


class CommonCondition(MoiBody):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=1000)
    order: str = Field("desc", description="asc or desc")
    order_by: str = ""
    filters: list[ListFilter] | None = None


class FileListBody(CommonCondition):
    """``keyword`` plus MOI's ``common_condition`` (the Go SDK sends its fields at the top level instead)."""

    keyword: str = Field("", max_length=MAX_KEYWORD_CHARS)
    common_condition: CommonCondition | None = None


class FileCreate(MoiBody):
    name: str = Field(..., min_length=1)
    volume_id: ObjId
    parent_id: ParentId = ""
    ref_file_id: ParentId = Field("", validation_alias=AliasChoices("ref_file_id", "conn_file_id"),
                                  description="The conn_file_id (from /connectors/file/upload) whose bytes become the file.")
    hash: str = Field("", description="When given, the content's MD5 must be this.")
    dedup: dict[str, Any] | None = None


class NameUpdate(MoiBody):
    id: ObjId = Field(validation_alias=AliasChoices("id", "file_id", "folder_id"))
    name: str


class FileLinkBody(MoiBody):
    file_id: ObjId = Field(validation_alias=AliasChoices("file_id", "id"))
    volume_id: ParentId = Field("", description="When given, the file must be in this volume.")


class FolderCreate(MoiBody):
    name: str
    volume_id: ObjId
    parent_id: ParentId = ""


class ConnFileRef(MoiBody):
    conn_file_id: ObjId


class CsvOptions(MoiBody):
    separator: str = ","
    delimiter: str = '"'
    isEscape: bool = True  # noqa: N815 - MOI's field name


class ConnPreviewBody(MoiBody):
    conn_file_id: ParentId = ""
    connector_id: IntId = 0
    uri: str = ""
    isColumnName: bool = False  # noqa: N815 - MOI's field names
    columnNameRow: int = Field(1, ge=1)  # noqa: N815
    rowStart: int = Field(0, ge=0, le=1000)  # noqa: N815
    csv: CsvOptions | None = None
    file_type: int = 0


# --- responses --------------------------------------------------------------------------------

class IdOut(BaseModel):
    id: str


class NamedIdOut(BaseModel):
    id: str
    name: str


class FileCreated(NamedIdOut):
    status: str = Field(description="created, skipped (a duplicate: id is the existing file) or replaced.")
    task_id: str = Field(description="The load task to poll with GET /task/get.")


class VolumeInfo(BaseModel):
    id: str
    name: str
    description: str
    ref: bool
    created_at: str
    updated_at: str
    database_id: str
    catalog_id: str
    embedding_model: str
    embedding_dim: int
    fusion: FusionParams | None = None
    file_count: int
    folder_count: int


class VolumeRef(BaseModel):
    volume_id: str
    volume_name: str
    ref_type: str
    ref_id: str


class RefList(BaseModel):
    list: list[VolumeRef]


class FullPath(BaseModel):
    id_list: list[str]
    name_list: list[str]


class FullPaths(BaseModel):
    database_full_path: list[FullPath]
    volume_full_path: list[FullPath]
    folder_full_path: list[FullPath]


class FilePublic(BaseModel):
    """MOI's ``VolumeChildrenResponse`` / ``FileInfoResponse``, then ingestflow's load fields."""

    id: str
    name: str
    file_type: str = Field(description="The seed file type number as a string ('10' for a folder).")
    show_type: str = Field(description="The extension ('pdf', 'txt'), 'dir' for a folder.")
    file_ext: str
    origin_file_ext: str
    ref_file_id: str
    size: int
    volume_id: str
    volume_name: str
    volume_reserved: bool
    ref_workflow_id: str
    parent_id: str
    show_path: str
    save_path: str
    created_at: str
    created_by: str
    updated_at: str
    is_dir: bool
    type: int
    md5: str
    task_id: str
    document_id: str
    load_status: int = Field(description="Seed 002 file status of its load (5 loaded, 4 failed …; 0 folder or none).")
    stage: str
    reason: str
    segment_count: int


class FileList(BaseModel):
    total: int
    list: list[FilePublic]


class FileLink(BaseModel):
    link: str = Field(description="A signed URL of this server; no moi-key needed until it expires.")
    url: str = Field(description="The same URL (MOI names it link or url depending on the call).")
    expires_at: int


class PreviewContent(BaseModel):
    file_id: str
    name: str
    mime_type: str
    size: int
    encoding: str = Field(description="'utf-8' (text) or 'base64'.")
    content: str
    truncated: bool


class ConnFilePublic(BaseModel):
    conn_file_id: str
    filename: str
    path: str
    size: int
    md5: str
    type: int


class ConnFilesUploaded(BaseModel):
    conn_file_ids: list[str]
    files: list[ConnFilePublic]


class PreviewRow(BaseModel):
    number: int
    columnName: str  # noqa: N815 - MOI's field names
    columnValues: list[str]  # noqa: N815
    charNumber: str  # noqa: N815
    charColumnName: str  # noqa: N815


class ConnPreview(BaseModel):
    conn_file_id: str
    rows: list[PreviewRow]
    file_type: int


class ConnFileLink(FileLink):
    conn_file_id: str


class ConnFileOut(BaseModel):
    conn_file_id: str


class DeletedIds(BaseModel):
    id: str
    deleted_ids: list[str]
