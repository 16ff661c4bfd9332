"""MOI's catalog API for volumes, files and folders (seed 000; ``moi-python-sdk`` calls these unchanged).

``/catalog/volume/*``, ``/catalog/file/*``, ``/catalog/folder/*``: all POST with a JSON body, in seed
002's envelope with the ``moi-key`` header. A volume is an ingestflow volume (under one fixed
catalog and database), a file in it is a document, a folder a path prefix. Errors keep their HTTP
status (400, 404, 409, 413, 501 …), so the SDK raises ``moi.HTTPError`` whose ``body`` is the
error envelope.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ingestflow.api import moi_presenters as shapes
from ingestflow.api import uploads
from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ERRORS, NOT_SUPPORTED, Envelope, ok
from ingestflow.api.presenters import fusion_of
from ingestflow.api.routes.volumes import embedding_dimension
from ingestflow.api.schemas.moi import (
    CommonCondition, DeletedIds, FileCreate, FileCreated, FileLink, FileList, FileLinkBody, FileListBody,
    FilePublic, FolderCreate, FullPathBody, FullPaths, IdBody, IdOut, NamedIdOut, NameUpdate, PreviewContent, RefList,
    VolumeCreate, VolumeInfo, VolumeUpdate,
)
from ingestflow.catalog.volume_files import FileQuery
from ingestflow.errors import NotFound, ValidationFailed
from ingestflow.services import file_links, moi_files, moi_volumes
from ingestflow.settings import get_settings

router = APIRouter(prefix="/catalog", tags=["seed 000: MOI volumes, files, folders"], responses={**ERRORS, **NOT_SUPPORTED})

FILTERS = ("volume_id", "parent_id", "file_name", "name", "file_type", "type", "id")


# --- volumes ---------------------------------------------------------------------------------

@router.post("/volume/create", response_model=Envelope[IdOut])
def create_volume(body: VolumeCreate) -> dict:
    """A volume with the server's embedding model; ``database_id`` is accepted and ignored (one fixed database)."""
    model = get_settings().embedding_model
    volume = moi_volumes.create_volume(body.name, body.description, model, embedding_dimension(model),
                                       fusion=fusion_of(body.fusion))
    return ok({"id": volume.id})


@router.post("/volume/info", response_model=Envelope[VolumeInfo])
def volume_info(body: IdBody) -> dict:
    """A volume: name, description, workflow ref, times, and its file/folder counts."""
    return ok(shapes.volume_info(moi_volumes.volume_view(body.id)))


@router.post("/volume/update", response_model=Envelope[IdOut])
def update_volume(body: VolumeUpdate) -> dict:
    """Rename a volume and/or change its description or (ingestflow extension) its hybrid fusion."""
    fusion = fusion_of(body.fusion) if "fusion" in body.model_fields_set else moi_volumes.KEEP
    return ok({"id": moi_volumes.update_volume(body.id, body.name, body.description, fusion).id})


@router.post("/volume/delete", response_model=Envelope[IdOut])
def delete_volume(body: IdBody) -> dict:
    """Delete an empty volume and its collection; 409 while it has files (delete them first)."""
    moi_volumes.delete_volume(body.id)
    return ok({"id": body.id})


@router.post("/volume/ref_list", response_model=Envelope[RefList])
def volume_refs(body: IdBody) -> dict:
    """What refers to the volume: the load tasks that load into it (and a workflow when marked)."""
    return ok({"list": moi_volumes.volume_refs(body.id)})


@router.post("/volume/full_path", response_model=Envelope[FullPaths])
def full_path(body: FullPathBody) -> dict:
    """Catalog → database → volume (→ folders) ids and names of databases, volumes and folders."""
    return ok(moi_volumes.full_paths(body.database_id_list or [], body.volume_id_list or [],
                                     body.folder_id_list or []))


@router.post("/volume/add_ref_workflow", response_model=Envelope[IdOut])
def add_workflow_ref(body: IdBody) -> dict:
    """Mark the volume as referenced by a workflow (its info then says ``ref: true``)."""
    moi_volumes.set_workflow_ref(body.id, True)
    return ok({"id": body.id})


@router.post("/volume/remove_ref_workflow", response_model=Envelope[IdOut])
def remove_workflow_ref(body: IdBody) -> dict:
    """Unmark it."""
    moi_volumes.set_workflow_ref(body.id, False)
    return ok({"id": body.id})


# --- files -----------------------------------------------------------------------------------

async def _create(body: FileCreate, user: str) -> dict:
    if not body.ref_file_id:
        raise ValidationFailed("ref_file_id: give the conn_file_id of bytes uploaded with POST /connectors/file/upload "
                               "(or upload straight into the volume with POST /connectors/upload)")
    outcome = await uploads.import_conn_file(body.volume_id, body.ref_file_id, body.name, body.parent_id, body.dedup,
                                             body.hash, user)
    return ok(FileCreated(id=outcome.file_id, name=outcome.incoming.name, status=outcome.status,
                          task_id=outcome.task_id).model_dump())


@router.post("/file/create", response_model=Envelope[FileCreated])
async def create_file(body: FileCreate, user: ApiUser) -> dict:
    """A file in a volume folder from a temporary connector file (``ref_file_id`` = its conn_file_id), loaded
    like an upload; ``dedup`` as in ``/connectors/upload``."""
    return await _create(body, user)


@router.post("/file/upload", response_model=Envelope[FileCreated])
async def upload_file(body: FileCreate, user: ApiUser) -> dict:
    """The same as ``/catalog/file/create`` (MOI's SDK sends JSON here, no bytes)."""
    return await _create(body, user)


@router.post("/file/info", response_model=Envelope[FilePublic])
def file_info(body: IdBody) -> dict:
    """A file: MOI's fields, then its md5 and load (status, stage, reason, segments, task, document)."""
    return ok(shapes.file_public(moi_files.file_view(body.id)))


@router.post("/file/update", response_model=Envelope[IdOut])
def update_file(body: NameUpdate) -> dict:
    """Rename a file (409 when its folder has a file of that name); search shows the new name."""
    return ok({"id": moi_files.rename_file(body.id, body.name).row.id})


@router.post("/file/delete", response_model=Envelope[IdOut])
def delete_file(body: IdBody) -> dict:
    """Delete a file: its chunks (gone from search), its rows, its bytes; 409 while it is being loaded."""
    return ok({"id": moi_files.delete_file(body.id).id})


@router.post("/file/delete_ref", response_model=Envelope[DeletedIds])
def delete_file_ref(body: IdBody) -> dict:
    """Delete the files made from a temporary connector file (``id`` = its conn_file_id)."""
    return ok({"id": body.id, "deleted_ids": moi_files.delete_files_made_from(body.id)})


def _query(body: FileListBody) -> FileQuery:
    """MOI's ``keyword`` + ``common_condition`` (nested, as the Python SDK sends it, or at the top level)."""
    cond: CommonCondition = body.common_condition or body
    order = (cond.order or "desc").lower()
    if order not in ("asc", "desc"):
        raise ValidationFailed(f"common_condition.order: {cond.order!r} is not asc or desc")
    q = FileQuery(keyword=body.keyword.strip(), order_by=cond.order_by or "created_at", desc=order == "desc",
                  page=cond.page, page_size=cond.page_size)
    for flt in cond.filters or []:
        values = [str(v) for v in flt.values]
        if flt.name == "volume_id":
            q.volume_ids = values
        elif flt.name == "parent_id":
            q.parent_ids = values
        elif flt.name in ("file_name", "name"):
            if flt.fuzzy:
                q.names_like = [v for v in values if v]
            else:
                q.names = values
        elif flt.name == "id":
            q.ids = values
        elif flt.name == "file_type":
            try:
                q.file_types = [int(v) for v in values]
            except ValueError:
                raise ValidationFailed("filters.file_type: values are seed file types (numbers; 10 = folder)") from None
        elif flt.name == "type":
            kinds = {"file" if v == "file" else "folder" for v in values if v in ("file", "folder", "dir")}
            if len(kinds) != 1 or len(values) != 1:
                raise ValidationFailed("filters.type: one of 'file' or 'folder'")
            q.kind = kinds.pop()
        else:
            raise ValidationFailed(f"filters: unknown filter {flt.name!r}; known: {', '.join(FILTERS)}")
    return q


@router.post("/file/list", response_model=Envelope[FileList])
def list_files(body: FileListBody) -> dict:
    """Files and folders (folders first), filtered by ``volume_id``, ``parent_id`` ("" = the root),
    ``file_name`` (exact: the name or the name without its extension; ``fuzzy``: contains), ``file_type``,
    ``type`` (file/folder), ``id``; ``keyword``: the name contains it. Without ``parent_id``: every depth."""
    views, total = moi_files.list_files(_query(body))
    return ok({"total": total, "list": [shapes.file_public(v) for v in views]})


def _file_in(body: FileLinkBody) -> str:
    view = moi_files.file_view(body.file_id)
    if body.volume_id and view.row.volume_id != body.volume_id:
        raise NotFound(f"file {body.file_id} does not exist in volume {body.volume_id}")
    return view.row.id


@router.post("/file/download", response_model=Envelope[FileLink])
def download_link(body: FileLinkBody, request: Request) -> dict:
    """A signed URL that downloads the file's bytes (``INGESTFLOW_LINK_TTL_S``, no moi-key needed)."""
    return ok(shapes.link(file_links.sign("files", _file_in(body), str(request.base_url))))


@router.post("/file/preview_link", response_model=Envelope[FileLink])
def preview_link(body: FileLinkBody, request: Request) -> dict:
    """A signed URL that shows the file inline in a browser (its own content type)."""
    return ok(shapes.link(file_links.sign("files", _file_in(body), str(request.base_url), inline=True)))


@router.post("/file/preview_stream", response_model=Envelope[PreviewContent])
async def preview_stream(body: FileLinkBody) -> dict:
    """The file's first MiB in the envelope: UTF-8 text as is, anything else base64."""
    file_id = await run_in_threadpool(_file_in, body)
    return ok(await run_in_threadpool(moi_files.preview_content, file_id))


# --- folders ---------------------------------------------------------------------------------

@router.post("/folder/create", response_model=Envelope[NamedIdOut])
def create_folder(body: FolderCreate, user: ApiUser) -> dict:
    """A folder in a volume (``parent_id`` "" = the root); 409 when the parent has one of that name."""
    folder = moi_volumes.create_folder(body.volume_id, body.parent_id, body.name, user)
    return ok({"id": folder.id, "name": folder.name})


@router.post("/folder/update", response_model=Envelope[IdOut])
def update_folder(body: NameUpdate) -> dict:
    """Rename a folder (the paths of its files follow)."""
    return ok({"id": moi_volumes.rename_folder(body.id, body.name).id})


@router.post("/folder/delete", response_model=Envelope[IdOut])
def delete_folder(body: IdBody) -> dict:
    """Delete a folder and everything in it (files as ``/catalog/file/delete`` does)."""
    return ok({"id": moi_files.delete_folder(body.id).id})


@router.post("/folder/clean", response_model=Envelope[IdOut])
def clean_folder(body: IdBody) -> dict:
    """Delete everything in a folder, keep the folder."""
    return ok({"id": moi_files.delete_folder(body.id, keep_folder=True).id})


@router.post("/folder/ref_list", response_model=Envelope[RefList])
def folder_refs(body: IdBody) -> dict:
    """The load tasks that loaded files inside the folder."""
    return ok({"list": moi_volumes.folder_refs(body.id)})
