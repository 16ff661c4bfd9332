"""Files and folders of volumes as MOI's catalog API shows them, temporary connector files, workflow refs.

A folder is a row with ``is_folder``; ``parent_id`` "" is the volume's root. File content is in the
upload store (``uri``), its load in the catalog's task files (``task_id`` + ``uri``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import delete, func, or_, select

from ingestflow.catalog.base import Repository, order_column
from ingestflow.catalog.models import ConnFile, TaskFile, VolumeFile, VolumeWorkflowRef, now_ts
from ingestflow.errors import Conflict, NotFound
from ingestflow.ids import snowflake_id
from ingestflow.records import FileType

ORDER = {"created_at": VolumeFile.created_at, "updated_at": VolumeFile.updated_at, "name": VolumeFile.name,
         "size": VolumeFile.size, "file_name": VolumeFile.name}


def stem_of(name: str) -> str:
    """A file name without its extension ("报告.txt" → "报告"; a name without one is its own stem)."""
    return PurePosixPath(name).stem if PurePosixPath(name).suffix else name


@dataclass
class FileQuery:
    """What ``/catalog/file/list`` asks for (None: no condition)."""

    volume_ids: Sequence[str] | None = None
    parent_ids: Sequence[str] | None = None
    names: Sequence[str] | None = None  # exact: the name or its stem
    names_like: Sequence[str] | None = None  # fuzzy: the name contains one of these
    keyword: str = ""  # the name contains it
    file_types: Sequence[int] | None = None
    ids: Sequence[str] | None = None
    kind: str = "all"  # "all" | "file" | "folder"
    order_by: str = "created_at"
    desc: bool = True
    page: int = 1
    page_size: int = 20


class VolumeFiles(Repository[VolumeFile]):
    """The volume_files table: files and folders."""

    model = VolumeFile
    label = "file"

    def get_file(self, file_id: str) -> VolumeFile:
        """A file (not a folder); NotFound naming it."""
        row = self.find(file_id)
        if row is None or row.is_folder:
            raise NotFound(f"file {file_id} does not exist")
        return row

    def get_folder(self, folder_id: str, volume_id: str | None = None) -> VolumeFile:
        """A folder (of ``volume_id`` when given); NotFound naming it."""
        row = self.find(folder_id)
        if row is None or not row.is_folder or (volume_id is not None and row.volume_id != str(volume_id)):
            where = f" in volume {volume_id}" if volume_id is not None else ""
            raise NotFound(f"folder {folder_id} does not exist{where}")
        return row

    def add(self, volume_id: str, parent_id: str, name: str, *, is_folder: bool = False, file_id: str | None = None,
            **fields: object) -> VolumeFile:
        """A new file or folder row."""
        row = VolumeFile(id=file_id or snowflake_id(), volume_id=str(volume_id), parent_id=parent_id or "", name=name,
                         stem=stem_of(name), is_folder=is_folder,
                         file_type=int(FileType.DIR) if is_folder else int(fields.pop("file_type", 0) or 0), **fields)
        self.s.add(row)
        self.s.flush()
        return row

    def rename(self, row: VolumeFile, name: str) -> None:
        """A new name in the same folder (Conflict when a sibling of the same kind has it)."""
        clash = self.named(row.volume_id, row.parent_id, name, folder=row.is_folder)
        if clash is not None and clash.id != row.id:
            kind = "folder" if row.is_folder else "file"
            raise Conflict(f"a {kind} named {name!r} already exists in {'that folder' if row.parent_id else 'the root'}")
        row.name, row.stem, row.updated_at = name, stem_of(name), now_ts()

    def named(self, volume_id: str, parent_id: str, name: str, *, folder: bool) -> VolumeFile | None:
        """The oldest file (or folder) called ``name`` in a folder."""
        return self.s.scalar(select(VolumeFile).where(
            VolumeFile.volume_id == str(volume_id), VolumeFile.parent_id == (parent_id or ""),
            VolumeFile.name == name, VolumeFile.is_folder.is_(folder)).order_by(VolumeFile.id).limit(1))

    def with_md5(self, volume_id: str, md5: str) -> VolumeFile | None:
        """The oldest file of the volume with this content."""
        return self.s.scalar(select(VolumeFile).where(
            VolumeFile.volume_id == str(volume_id), VolumeFile.md5 == md5,
            VolumeFile.is_folder.is_(False)).order_by(VolumeFile.id).limit(1))

    def folders(self, volume_ids: Iterable[str]) -> dict[str, VolumeFile]:
        """folder id → folder, of these volumes."""
        ids = list({str(v) for v in volume_ids})
        if not ids:
            return {}
        return {r.id: r for r in self.s.scalars(select(VolumeFile).where(VolumeFile.volume_id.in_(ids),
                                                                          VolumeFile.is_folder.is_(True)))}

    def subtree(self, folder: VolumeFile) -> list[VolumeFile]:
        """Everything inside a folder, at any depth (the folder itself not included)."""
        children: dict[str, list[VolumeFile]] = {}
        for row in self.s.scalars(select(VolumeFile).where(VolumeFile.volume_id == folder.volume_id)):
            children.setdefault(row.parent_id, []).append(row)
        out, todo = [], [folder.id]
        while todo:
            for row in children.get(todo.pop(), []):
                out.append(row)
                if row.is_folder:
                    todo.append(row.id)
        return out

    def of_volume(self, volume_id: str, *, files_only: bool = False) -> list[VolumeFile]:
        """A volume's rows (its files only when asked)."""
        query = select(VolumeFile).where(VolumeFile.volume_id == str(volume_id))
        if files_only:
            query = query.where(VolumeFile.is_folder.is_(False))
        return list(self.s.scalars(query.order_by(VolumeFile.id)))

    def with_ref(self, ref_file_id: str) -> list[VolumeFile]:
        """Files made from this temporary connector file."""
        return list(self.s.scalars(select(VolumeFile).where(VolumeFile.ref_file_id == str(ref_file_id),
                                                            VolumeFile.is_folder.is_(False))))

    def counts(self, volume_id: str) -> tuple[int, int]:
        """(files, folders) of a volume."""
        rows = dict(self.s.execute(select(VolumeFile.is_folder, func.count()).where(
            VolumeFile.volume_id == str(volume_id)).group_by(VolumeFile.is_folder)).all())
        return int(rows.get(False, 0)), int(rows.get(True, 0))

    def search(self, q: FileQuery) -> tuple[list[VolumeFile], int]:
        """One page of files/folders matching ``q`` (folders first) and the total."""
        query = select(VolumeFile)
        if q.volume_ids is not None:
            query = query.where(VolumeFile.volume_id.in_(list(q.volume_ids)))
        if q.parent_ids is not None:
            query = query.where(VolumeFile.parent_id.in_(list(q.parent_ids)))
        if q.ids is not None:
            query = query.where(VolumeFile.id.in_(list(q.ids)))
        if q.names is not None:
            query = query.where(or_(VolumeFile.name.in_(list(q.names)), VolumeFile.stem.in_(list(q.names))))
        if q.names_like is not None:
            query = query.where(or_(*(func.lower(VolumeFile.name).contains(w.lower(), autoescape=True)
                                      for w in q.names_like)) if q.names_like else VolumeFile.id.is_(None))
        if q.keyword:
            query = query.where(func.lower(VolumeFile.name).contains(q.keyword.lower(), autoescape=True))
        if q.file_types is not None:
            query = query.where(VolumeFile.file_type.in_([int(t) for t in q.file_types]))
        if q.kind != "all":
            query = query.where(VolumeFile.is_folder.is_(q.kind == "folder"))
        return self.page(query, q.page, q.page_size, VolumeFile.is_folder.desc(),
                         order_column(ORDER, q.order_by, "created_at", q.desc),
                         VolumeFile.id.desc() if q.desc else VolumeFile.id.asc())  # ids are time-ordered

    def load_rows(self, rows: Iterable[VolumeFile]) -> dict[str, TaskFile]:
        """file id → the task file that loads it (files whose task is gone have none)."""
        pairs = [(r.task_id, r.uri) for r in rows if not r.is_folder and r.task_id]
        if not pairs:
            return {}
        tasks = {t for t, _u in pairs}
        found = {(f.task_id, f.uri): f for f in self.s.scalars(select(TaskFile).where(TaskFile.task_id.in_(tasks)))}
        return {r.id: found[(r.task_id, r.uri)] for r in rows if (r.task_id, r.uri) in found}

    def remove(self, ids: Iterable[str]) -> None:
        """Delete rows."""
        ids = [str(i) for i in ids]
        for start in range(0, len(ids), 500):
            self.s.execute(delete(VolumeFile).where(VolumeFile.id.in_(ids[start:start + 500])))


class ConnFiles(Repository[ConnFile]):
    """Temporary connector files (two-step uploads)."""

    model = ConnFile
    label = "conn file"

    def add(self, conn_id: str, name: str, path: str, size: int, md5: str, file_type: int, uri: str,
            created_by: str) -> ConnFile:
        """Record a stored temporary file."""
        row = ConnFile(id=conn_id, name=name, path=path, size=size, md5=md5, file_type=file_type, uri=uri,
                       created_by=created_by)
        self.s.add(row)
        self.s.flush()
        return row

    def older_than(self, ts: int) -> list[ConnFile]:
        """Files stored before ``ts`` (expired)."""
        return list(self.s.scalars(select(ConnFile).where(ConnFile.created_at < ts)))

    def remove(self, ids: Iterable[str]) -> None:
        """Delete rows."""
        self.s.execute(delete(ConnFile).where(ConnFile.id.in_([str(i) for i in ids])))


class WorkflowRefs:
    """Volumes marked as referenced by a workflow."""

    def __init__(self, session) -> None:  # noqa: ANN001
        self.s = session

    def is_set(self, volume_id: str) -> bool:
        return self.s.get(VolumeWorkflowRef, str(volume_id)) is not None

    def set(self, volume_id: str, on: bool) -> None:
        row = self.s.get(VolumeWorkflowRef, str(volume_id))
        if on and row is None:
            self.s.add(VolumeWorkflowRef(volume_id=str(volume_id)))
        elif not on and row is not None:
            self.s.delete(row)
