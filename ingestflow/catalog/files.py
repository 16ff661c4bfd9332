"""Task files: one source file of a task and the document it becomes (seed 002 file + seed 003 document).

Stage and status changes are built by ``catalog.lifecycle``; this module stores and finds rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from ingestflow.catalog.base import Repository
from ingestflow.catalog.models import TaskFile, now_ts
from ingestflow.errors import NotFound
from ingestflow.records import FileStatus


@dataclass(frozen=True)
class FileRef:
    """What the load flow needs about one task file, so it never re-reads the row."""

    id: str
    doc_id: str
    uri: str
    name: str
    file_type: int
    source_version: str
    size: int = 0


REF_COLUMNS = (TaskFile.id, TaskFile.uri, TaskFile.doc_id, TaskFile.name, TaskFile.size, TaskFile.file_type,
               TaskFile.status, TaskFile.source_version, TaskFile.indexed_version, TaskFile.next_attempt_at)


def ref_of(row: Any) -> FileRef:
    """The FileRef of a row (an ORM row or a ``REF_COLUMNS`` result)."""
    return FileRef(row.id, row.doc_id, row.uri, row.name, int(row.file_type), row.source_version, int(row.size or 0))


class TaskFiles(Repository[TaskFile]):
    """The task_files table."""

    model = TaskFile
    label = "file"

    def refs(self, file_ids: Iterable[str]) -> list[FileRef]:
        """FileRefs of the given files, in the given order; unknown ids are skipped."""
        ids = [str(f) for f in file_ids]
        rows = {r.id: r for r in self.s.execute(select(*REF_COLUMNS).where(TaskFile.id.in_(ids)))}
        return [ref_of(rows[i]) for i in ids if i in rows]

    def known(self, task_id: str) -> dict[str, str]:
        """file id → doc id of every file the catalog has for a task."""
        return dict(self.s.execute(select(TaskFile.id, TaskFile.doc_id).where(TaskFile.task_id == str(task_id))).all())

    def mark(self, updates: list[dict[str, Any]]) -> None:
        """Several files' fields in one statement (each dict has ``id``)."""
        if updates:
            now = now_ts()
            self.s.execute(update(TaskFile), [{"updated_at": now, **u} for u in updates])

    def attempt(self, file_ids: Iterable[str], worker: str) -> None:
        """Files whose fetch + parse starts now on ``worker``: one more attempt each."""
        ids = [str(f) for f in file_ids]
        if ids:
            self.s.execute(update(TaskFile).where(TaskFile.id.in_(ids))
                           .values(attempts=TaskFile.attempts + 1, worker=worker[:255], updated_at=now_ts()))

    def deferrals(self, file_ids: Iterable[str]) -> dict[str, int]:
        """file id → how many runs in a row an outage left it due."""
        ids = [str(f) for f in file_ids]
        return dict(self.s.execute(select(TaskFile.id, TaskFile.deferrals).where(TaskFile.id.in_(ids))).all()) if ids else {}

    def in_flight(self, task_id: str) -> list[FileRef]:
        """The task's files a run was working on (parsing or indexing)."""
        rows = self.s.execute(select(*REF_COLUMNS).where(TaskFile.task_id == str(task_id),
                                                         TaskFile.status == int(FileStatus.PROCESSING)))
        return [ref_of(r) for r in rows]

    def delete(self, file_ids: Iterable[str]) -> None:
        """Remove file rows."""
        self.s.execute(delete(TaskFile).where(TaskFile.id.in_([str(f) for f in file_ids])))

    def of_task(self, task_id: str, status: int | None = None) -> list[TaskFile]:
        """A task's files (only one status when given), in id order."""
        query = select(TaskFile).where(TaskFile.task_id == str(task_id))
        if status is not None:
            query = query.where(TaskFile.status == int(status))
        return list(self.s.scalars(query.order_by(TaskFile.id)))

    def list(self, task_id: str, *, status: int | None = None, page: int = 1,
             page_size: int = 100) -> tuple[list[TaskFile], int]:
        """One page of a task's files and the total."""
        query = select(TaskFile).where(TaskFile.task_id == str(task_id))
        if status is not None:
            query = query.where(TaskFile.status == int(status))
        return self.page(query, page, page_size, TaskFile.id)

    def counts(self, task_id: str) -> dict[int, int]:
        """Number of files per status for a task."""
        rows = self.s.execute(select(TaskFile.status, func.count()).where(TaskFile.task_id == str(task_id))
                              .group_by(TaskFile.status)).all()
        return {int(status): int(count) for status, count in rows}

    def of_task_by_id(self, task_id: str, file_ids: Iterable[str]) -> list[TaskFile]:
        """The task's files with these ids, in order; NotFound naming the first id the task does not have."""
        ids = [str(f) for f in file_ids]
        rows = {r.id: r for r in self.s.scalars(select(TaskFile).where(TaskFile.task_id == str(task_id),
                                                                       TaskFile.id.in_(ids)))}
        missing = [f for f in ids if f not in rows]
        if missing:
            raise NotFound(f"file {missing[0]} does not exist in task {task_id}")
        return [rows[f] for f in ids]
