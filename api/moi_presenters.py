"""Public shapes of MOI's catalog objects (seed 000): volumes, files, folders, links."""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from typing import Any

from ingestflow.api.presenters import fusion_public
from ingestflow.api.schemas.moi import FileLink, FilePublic, VolumeInfo
from ingestflow.records import FileType
from ingestflow.services.file_links import Link
from ingestflow.services.moi_files import FileView
from ingestflow.services.moi_volumes import DEFAULT_CATALOG, DEFAULT_DATABASE, VolumeView


def rfc3339(ts: int | float | None) -> str:
    """Unix seconds as MOI's timestamp strings (UTC, RFC 3339)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts or 0)))


def volume_info(view: VolumeView) -> VolumeInfo:
    """MOI's ``VolumeInfoResponse`` and ingestflow's volume fields."""
    v = view.volume
    return VolumeInfo(id=v.id, name=v.name, description=v.description or "", ref=view.workflow_ref,
                      created_at=rfc3339(v.created_at), updated_at=rfc3339(v.updated_at),
                      database_id=DEFAULT_DATABASE[0], catalog_id=DEFAULT_CATALOG[0], embedding_model=v.embedding_model,
                      embedding_dim=v.embedding_dim, fusion=fusion_public(v), file_count=view.files,
                      folder_count=view.folders)


def file_public(view: FileView) -> FilePublic:
    """A file or folder as MOI lists it, with its load."""
    row, load = view.row, view.load
    ext = "" if row.is_folder else PurePosixPath(row.name).suffix.lstrip(".").lower()
    return FilePublic(
        id=row.id, name=row.name, file_type=str(int(FileType.DIR) if row.is_folder else row.file_type),
        show_type="dir" if row.is_folder else ext, file_ext=ext, origin_file_ext=ext, ref_file_id=row.ref_file_id or "",
        size=int(row.size or 0), volume_id=row.volume_id, volume_name=view.volume_name, volume_reserved=False,
        ref_workflow_id="", parent_id=row.parent_id or "", show_path=view.path, save_path=row.uri or "",
        created_at=rfc3339(row.created_at), created_by=row.created_by or "", updated_at=rfc3339(row.updated_at),
        is_dir=bool(row.is_folder), type=int(row.file_type), md5=row.md5 or "", task_id=row.task_id or "",
        document_id=row.doc_id or "", load_status=int(load.status) if load else 0, stage=load.stage if load else "",
        reason=(load.reason or "") if load else "", segment_count=int(load.segment_count or 0) if load else 0)


def link(value: Link, **extra: Any) -> dict[str, Any]:
    """A signed link, under both of MOI's names for it."""
    return {**FileLink(link=value.url, url=value.url, expires_at=value.expires_at).model_dump(), **extra}
