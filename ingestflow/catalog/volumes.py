"""Volumes: load targets, each one Milvus collection bound to one embedding model."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from ingestflow.catalog.base import Repository
from ingestflow.catalog.models import (
    DatasetBatch, DocumentState, DocumentTombstone, LoadTask, SearchQuery, SegmentState, Volume, VolumeFile,
    VolumeWorkflowRef,
)
from ingestflow.errors import Conflict, ValidationFailed
from ingestflow.ids import snowflake_id


class Volumes(Repository[Volume]):
    """The volumes table."""

    model = Volume
    label = "volume"

    def create(self, name: str, embedding_model: str, embedding_dim: int, *, description: str = "",
               tenant_code: str = "", org_code: str = "", icon: str = "") -> Volume:
        """A new volume with its own collection name (``vol_<id>``); Conflict when the name is taken."""
        if not name or len(name) > 255:
            raise ValidationFailed("volume name must be 1–255 characters")
        if self.by_name(name) is not None:
            raise Conflict(f"volume {name!r} already exists")
        vid = snowflake_id()
        row = Volume(id=vid, name=name, description=description, collection=f"vol_{vid}",
                     embedding_model=embedding_model, embedding_dim=embedding_dim,
                     tenant_code=tenant_code, org_code=org_code, icon=icon)
        self.s.add(row)
        self.s.flush()
        return row

    def by_name(self, name: str) -> Volume | None:
        """The volume called ``name``, or None."""
        return self.s.scalar(select(Volume).where(Volume.name == name))

    def by_name_or_id(self, ref: str) -> Volume:
        """A volume named ``ref``, else the one with id ``ref`` (NotFound)."""
        return self.by_name(ref) or self.get(ref)

    def all(self) -> list[Volume]:
        """Every volume, oldest first."""
        return list(self.s.scalars(select(Volume).order_by(Volume.created_at, Volume.id)))

    def list(self, *, keyword: str = "", page: int = 1, page_size: int = 10,
             is_desc: bool = False) -> tuple[list[Volume], int]:
        """One page of volumes whose name contains ``keyword``, and the total."""
        query = select(Volume)
        if keyword:
            query = query.where(Volume.name.contains(keyword, autoescape=True))
        order = Volume.created_at.desc() if is_desc else Volume.created_at.asc()
        return self.page(query, page, page_size, order, Volume.id)

    def names(self, volume_ids: Iterable[str]) -> dict[str, str]:
        """volume id → name."""
        ids = list({str(v) for v in volume_ids})
        if not ids:
            return {}
        return dict(self.s.execute(select(Volume.id, Volume.name).where(Volume.id.in_(ids))).all())

    def task_ids(self, volume_id: str) -> list[str]:
        """Ids of the tasks loading into the volume."""
        return list(self.s.scalars(select(LoadTask.id).where(LoadTask.volume_id == str(volume_id))))

    def delete(self, volume_id: str) -> Volume:
        """Delete a volume row and its knowledge-base state; Conflict while tasks load into it."""
        row = self.get(volume_id)
        used = self.task_ids(row.id)
        if used:
            raise Conflict(f"volume {volume_id} is used by task(s) {', '.join(used[:10])}; delete them first")
        # the volume's knowledge-base state and its MOI files/folders go too
        for state in (SegmentState, DocumentState, SearchQuery, VolumeFile, VolumeWorkflowRef, DatasetBatch,
                      DocumentTombstone):
            self.s.execute(delete(state).where(state.volume_id == row.id))
        self.s.delete(row)
        return row
