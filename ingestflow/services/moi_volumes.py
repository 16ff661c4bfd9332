"""MOI's volumes and folders (seed 000) over ingestflow's volumes.

A MOI volume is an ingestflow volume (one Milvus collection, one embedding model). MOI puts volumes
under a database under a catalog; this server has one fixed catalog and database (``DEFAULT_CATALOG``,
``DEFAULT_DATABASE``): a ``database_id`` sent on create is accepted and ignored, and full paths name
the fixed parents. A folder is a path prefix inside a volume (a row of ``volume_files``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from ingestflow.catalog import catalog
from ingestflow.catalog.models import LoadTask, Volume, VolumeFile
from ingestflow.errors import Conflict, IngestError, NotFound, ValidationFailed
from ingestflow.indexers.fusion import Fusion
from ingestflow.records import SourceType
from ingestflow.services import connectors as connector_configs
from ingestflow.services import tasks as task_service

DEFAULT_CATALOG = ("1", "ingestflow")
DEFAULT_DATABASE = ("1", "default")


@dataclass
class VolumeView:
    """A volume with its MOI counters."""

    volume: Volume
    files: int
    folders: int
    workflow_ref: bool


def check_name(raw: Any, what: str = "name") -> str:
    """A file or folder name: 1–255 UTF-8 bytes, no ``/`` or ``\\``, no control characters, not ``.``/``..``."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed(f"{what}: must be a non-empty string")
    name = unicodedata.normalize("NFC", raw.strip())
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationFailed(f"{what}: contains control characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ValidationFailed(f"{what}: {name!r} must be a single path segment (no '/', '\\', '.' or '..')")
    if len(name.encode("utf-8")) > 255:
        raise ValidationFailed(f"{what}: longer than 255 bytes")
    return name


# --- volumes ---------------------------------------------------------------------------------

KEEP: Any = object()  # ``update_volume(fusion=KEEP)``: leave the stored fusion as it is


def fusion_columns(fusion: Fusion | None) -> dict[str, Any]:
    """The volume columns that store ``fusion`` (None = NULL = the server default)."""
    return {"fusion_method": fusion.method if fusion else None,
            "fusion_dense_weight": float(fusion.dense_weight) if fusion else None}


def create_volume(name: str, description: str, embedding_model: str, embedding_dim: int, *,
                  tenant_code: str = "", org_code: str = "", fusion: Fusion | None = None) -> Volume:
    """A new volume (409 when the name is taken), with its own hybrid fusion when given."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("name: field required")
    with catalog() as c:
        volume = c.volumes.create(name.strip(), embedding_model, embedding_dim, description=description or "",
                                  tenant_code=tenant_code, org_code=org_code)
        return c.volumes.update(volume.id, **fusion_columns(fusion)) if fusion else volume


def volume_view(volume_id: str) -> VolumeView:
    """A volume and its file/folder counts; NotFound naming it."""
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        files, folders = c.volume_files.counts(volume.id)
        return VolumeView(volume, files, folders, c.workflow_refs.is_set(volume.id))


def update_volume(volume_id: str, name: str | None, description: str | None, fusion: Fusion | None = KEEP) -> Volume:
    """Rename a volume, change its description and/or its fusion (None = back to the server default);
    its collection keeps its id-based name."""
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        fields: dict[str, Any] = {}
        if name is not None and name.strip() and name.strip() != volume.name:
            name = name.strip()
            if len(name) > 255:
                raise ValidationFailed("name: longer than 255 characters")
            if c.volumes.by_name(name) is not None:
                raise Conflict(f"volume {name!r} already exists")
            fields["name"] = name
        if description is not None:
            fields["description"] = description
        if fusion is not KEEP:
            fields.update(fusion_columns(fusion))
        return c.volumes.update(volume.id, **fields) if fields else volume


def delete_volume(volume_id: str) -> None:
    """Delete an empty volume: 409 while it has files or a task other than its own emptied upload tasks.

    Upload tasks whose files were all deleted go with the volume (their deployments too)."""
    upload = connector_configs.upload_connector()
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        files = c.volume_files.of_volume(volume.id, files_only=True)
        if files:
            names = ", ".join(repr(f.name) for f in files[:3])
            raise Conflict(f"volume {volume.id} is not empty: it has {len(files)} file(s) ({names}"
                           f"{', …' if len(files) > 3 else ''}); delete them first")
        tasks = [c.tasks.get(t) for t in c.volumes.task_ids(volume.id)]
        busy = [t.id for t in tasks if t.connector_id != upload.id or c.files.known(t.id)]
    if busy:
        raise Conflict(f"volume {volume.id} is used by task(s) {', '.join(busy[:10])}; delete them first")
    for task in tasks:
        task_service.delete_task(task, keep_chunks=False)
    task_service.drop_collection(volume)
    with catalog() as c:
        c.volumes.delete(volume.id)


def set_workflow_ref(volume_id: str, on: bool) -> None:
    """Mark (or unmark) a volume as referenced by a workflow."""
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        c.workflow_refs.set(volume.id, on)


def volume_refs(volume_id: str) -> list[dict[str, str]]:
    """What refers to a volume: the load tasks loading into it (and a workflow, when marked)."""
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        tasks = c.volumes.task_ids(volume.id)
        refs = [_ref(volume, "load_task", t) for t in tasks]
        if c.workflow_refs.is_set(volume.id):
            refs.append(_ref(volume, "workflow", ""))
    return refs


def _ref(volume: Volume, ref_type: str, ref_id: str) -> dict[str, str]:
    return {"volume_id": volume.id, "volume_name": volume.name, "ref_type": ref_type, "ref_id": ref_id}


def full_paths(database_ids: list[Any], volume_ids: list[Any], folder_ids: list[Any]) -> dict[str, list[dict]]:
    """MOI full paths (catalog → database → volume → folders) of databases, volumes and folders."""
    out: dict[str, list[dict]] = {"database_full_path": [], "volume_full_path": [], "folder_full_path": []}
    root = [DEFAULT_CATALOG, DEFAULT_DATABASE]
    for db in database_ids or []:
        if str(db) != DEFAULT_DATABASE[0]:
            raise NotFound(f"database {db} does not exist (this server has one database, id {DEFAULT_DATABASE[0]})")
        out["database_full_path"].append(_path(root))
    with catalog() as c:
        for vid in volume_ids or []:
            volume = c.volumes.get(str(vid))
            out["volume_full_path"].append(_path([*root, (volume.id, volume.name)]))
        for fid in folder_ids or []:
            folder = c.volume_files.get_folder(str(fid))
            volume = c.volumes.get(folder.volume_id)
            chain = folder_chain(c.volume_files.folders([volume.id]), folder.id)
            out["folder_full_path"].append(_path([*root, (volume.id, volume.name), *((f.id, f.name) for f in chain)]))
    return out


def _path(parts: list[tuple[str, str]]) -> dict[str, list[str]]:
    return {"id_list": [p[0] for p in parts], "name_list": [p[1] for p in parts]}


def folder_chain(folders: dict[str, VolumeFile], folder_id: str) -> list[VolumeFile]:
    """The folders from the root down to ``folder_id`` (inclusive)."""
    chain: list[VolumeFile] = []
    seen: set[str] = set()
    while folder_id and folder_id in folders and folder_id not in seen:
        seen.add(folder_id)
        chain.append(folders[folder_id])
        folder_id = folders[folder_id].parent_id
    return list(reversed(chain))


def show_path(folders: dict[str, VolumeFile], row: VolumeFile) -> str:
    """``/folder/sub/name`` of a file or folder inside its volume."""
    return "/" + "/".join([*(f.name for f in folder_chain(folders, row.parent_id)), row.name])


# --- folders ---------------------------------------------------------------------------------

def create_folder(volume_id: str, parent_id: str, name: Any, user: str) -> VolumeFile:
    """A new folder (409 when its parent already has one of that name)."""
    name = check_name(name)
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        if parent_id:
            c.volume_files.get_folder(parent_id, volume.id)
        if c.volume_files.named(volume.id, parent_id, name, folder=True) is not None:
            raise Conflict(f"folder {name!r} already exists there")
        return c.volume_files.add(volume.id, parent_id, name, is_folder=True, created_by=user)


def ensure_folders(volume_id: str, segments: tuple[str, ...], user: str) -> tuple[str, list[str]]:
    """The folder at ``segments`` (created where missing, like ``mkdir -p``): (its id, ids created)."""
    parent, created = "", []
    with catalog() as c:
        for segment in segments:
            found = c.volume_files.named(volume_id, parent, segment, folder=True)
            if found is None:
                found = c.volume_files.add(volume_id, parent, segment, is_folder=True, created_by=user)
                created.append(found.id)
            parent = found.id
    return parent, created


def rename_folder(folder_id: str, name: Any) -> VolumeFile:
    """Rename a folder (paths of everything inside follow; uris and documents do not change)."""
    name = check_name(name)
    with catalog() as c:
        folder = c.volume_files.get_folder(folder_id)
        c.volume_files.rename(folder, name)
        return folder


def folder_refs(folder_id: str) -> list[dict[str, str]]:
    """The load tasks that loaded files inside a folder."""
    with catalog() as c:
        folder = c.volume_files.get_folder(folder_id)
        volume = c.volumes.get(folder.volume_id)
        tasks = sorted({r.task_id for r in c.volume_files.subtree(folder) if not r.is_folder and r.task_id})
    return [_ref(volume, "load_task", t) for t in tasks]


def remove_empty_upload_task(task_id: str) -> None:
    """Delete an upload task whose files are all gone (its deployment too); other tasks are kept."""
    with catalog() as c:
        task: LoadTask | None = c.tasks.find(task_id)
        if task is None or c.files.known(task.id):
            return
        upload = c.connectors.of_kind(SourceType.UPLOAD)
        if not upload or task.connector_id != upload[0].id:
            return
    try:
        task_service.delete_task(task, keep_chunks=False)
    except IngestError:  # the files are gone already; an unreachable Prefect only leaves an empty task behind
        pass
