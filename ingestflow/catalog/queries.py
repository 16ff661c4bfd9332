"""Catalog queries the HTTP API needs: listing with filters and paging, counts, deletes.

Kept apart from ``ops`` (shared with the load flow) so the flow's write paths stay small.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select

from ingestflow.catalog.db import session_scope
from ingestflow.catalog.models import (
    Connector, DocumentState, LoadRun, LoadTask, SearchQuery, SegmentState, TaskFile, Volume,
)
from ingestflow.errors import Conflict, NotFound, ValidationFailed

CONNECTOR_ORDER = {"id": Connector.id, "name": Connector.name, "created_at": Connector.created_at,
                   "updated_at": Connector.updated_at, "source_type": Connector.source_type,
                   "status": Connector.status}
TASK_ORDER = {"id": LoadTask.id, "name": LoadTask.name, "created_at": LoadTask.created_at,
              "updated_at": LoadTask.updated_at, "status": LoadTask.status, "start_at": LoadTask.start_at,
              "end_at": LoadTask.end_at}


def _order(columns: dict[str, Any], order_by: str | None, default: str, is_desc: bool) -> Any:
    key = (order_by or "").strip() or default
    if key not in columns:
        raise ValidationFailed(f"order_by must be one of {', '.join(sorted(columns))}, not {key!r}")
    column = columns[key]
    return column.desc() if is_desc else column.asc()


# --- connectors ------------------------------------------------------------------------------

def list_connectors(*, keyword: str = "", source_types: Iterable[int] = (), statuses: Iterable[str] = (),
                    usage_types: Iterable[Any] = (), order_by: str | None = None, is_desc: bool = False,
                    page: int = 1, page_size: int = 10) -> tuple[list[Connector], int]:
    """Connectors matching the filters (usage_type: any overlap), one page, and the total."""
    query = select(Connector)
    if keyword:
        query = query.where(Connector.name.contains(keyword, autoescape=True))
    if source_types := [int(t) for t in source_types]:
        query = query.where(Connector.source_type.in_(source_types))
    if statuses := [str(s) for s in statuses]:
        query = query.where(Connector.status.in_(statuses))
    query = query.order_by(_order(CONNECTOR_ORDER, order_by, "id", is_desc), Connector.id)
    with session_scope() as s:
        rows = list(s.scalars(query))
    wanted = {str(u) for u in usage_types}
    if wanted:
        rows = [c for c in rows if wanted & {str(u) for u in (c.usage_type or [])}]
    start = (page - 1) * page_size
    return rows[start:start + page_size], len(rows)


def related_task_ids(connector_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = [int(i) for i in connector_ids]
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    with session_scope() as s:
        for cid, tid in s.execute(select(LoadTask.connector_id, LoadTask.id)
                                  .where(LoadTask.connector_id.in_(ids)).order_by(LoadTask.id)):
            out[int(cid)].append(str(tid))
    return out


def update_connector(connector_id: int, **fields: Any) -> Connector:
    with session_scope() as s:
        row = s.get(Connector, int(connector_id))
        if row is None:
            raise NotFound(f"connector {connector_id} does not exist")
        for key, value in fields.items():
            setattr(row, key, value)
        return row


def delete_connector(connector_id: int) -> None:
    """Delete a connector; Conflict while tasks still use it."""
    with session_scope() as s:
        row = s.get(Connector, int(connector_id))
        if row is None:
            raise NotFound(f"connector {connector_id} does not exist")
        used = list(s.scalars(select(LoadTask.id).where(LoadTask.connector_id == row.id)))
        if used:
            raise Conflict(f"connector {connector_id} is used by task(s) {', '.join(used[:10])}; delete them first")
        s.delete(row)


def find_connector_by_root(source_type: int, root: str, name: str) -> Connector | None:
    with session_scope() as s:
        for row in s.scalars(select(Connector).where(Connector.source_type == int(source_type),
                                                     Connector.name == name)):
            if (row.config or {}).get("root") == root:
                return row
    return None


def connector_summary() -> dict[str, Any]:
    with session_scope() as s:
        by_type = {str(t): n for t, n in s.execute(select(Connector.source_type, func.count())
                                                   .group_by(Connector.source_type))}
        by_status = {str(st): n for st, n in s.execute(select(Connector.status, func.count())
                                                       .group_by(Connector.status))}
        task_status = {str(st): n for st, n in s.execute(select(LoadTask.status, func.count())
                                                         .group_by(LoadTask.status))}
        file_status = {str(st): n for st, n in s.execute(select(TaskFile.status, func.count())
                                                         .group_by(TaskFile.status))}
    return {"total": sum(by_type.values()), "by_source_type": by_type, "by_status": by_status,
            "tasks": {"total": sum(task_status.values()), "by_status": task_status},
            "files": {"total": sum(file_status.values()), "by_status": file_status}}


# --- volumes ---------------------------------------------------------------------------------

def list_volumes(*, keyword: str = "", page: int = 1, page_size: int = 10, is_desc: bool = False
                 ) -> tuple[list[Volume], int]:
    query = select(Volume)
    if keyword:
        query = query.where(Volume.name.contains(keyword, autoescape=True))
    order = Volume.created_at.desc() if is_desc else Volume.created_at.asc()
    with session_scope() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(s.scalars(query.order_by(order, Volume.id).offset((page - 1) * page_size).limit(page_size)))
    return rows, int(total)


def volume_names(volume_ids: Iterable[str]) -> dict[str, str]:
    ids = list({str(v) for v in volume_ids})
    if not ids:
        return {}
    with session_scope() as s:
        return {vid: name for vid, name in s.execute(select(Volume.id, Volume.name).where(Volume.id.in_(ids)))}


def delete_volume(volume_id: str) -> Volume:
    """Delete a volume row; Conflict while tasks load into it. Returns the deleted row."""
    with session_scope() as s:
        row = s.get(Volume, str(volume_id))
        if row is None:
            raise NotFound(f"volume {volume_id} does not exist")
        used = list(s.scalars(select(LoadTask.id).where(LoadTask.volume_id == row.id)))
        if used:
            raise Conflict(f"volume {volume_id} is used by task(s) {', '.join(used[:10])}; delete them first")
        for state in (SegmentState, DocumentState, SearchQuery):  # the volume's knowledge-base state goes too
            s.execute(delete(state).where(state.volume_id == row.id))
        s.delete(row)
        return row


# --- tasks -----------------------------------------------------------------------------------

def interval_type_of(task: LoadTask) -> int:
    mode = ((task.source_config or {}).get("common_file_task_config") or {}).get("load_mode_config") or {}
    return int(mode.get("load_interval_type") or 0)


def list_tasks(*, interval_types: Iterable[int] = (), status: int | None = None, order_by: str | None = None,
               is_desc: bool = False, page: int = 1, page_size: int = 10) -> tuple[list[LoadTask], int]:
    query = select(LoadTask)
    if status is not None:
        query = query.where(LoadTask.status == int(status))
    query = query.order_by(_order(TASK_ORDER, order_by, "created_at", is_desc), LoadTask.id)
    with session_scope() as s:
        rows = list(s.scalars(query))
    wanted = {int(t) for t in interval_types}
    if wanted:
        rows = [t for t in rows if interval_type_of(t) in wanted]
    start = (page - 1) * page_size
    return rows[start:start + page_size], len(rows)


def page_task_files(task_id: str, *, status: int | None = None, page: int = 1, page_size: int = 100
                    ) -> tuple[list[TaskFile], int]:
    query = select(TaskFile).where(TaskFile.task_id == str(task_id))
    if status is not None:
        query = query.where(TaskFile.status == int(status))
    with session_scope() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(s.scalars(query.order_by(TaskFile.id).offset((page - 1) * page_size).limit(page_size)))
    return rows, int(total)


def files_by_id(task_id: str, file_ids: Iterable[str]) -> list[TaskFile]:
    """The task's files with these ids; NotFound naming the first id the task does not have."""
    ids = [str(f) for f in file_ids]
    with session_scope() as s:
        rows = {r.id: r for r in s.scalars(select(TaskFile).where(TaskFile.task_id == str(task_id),
                                                                  TaskFile.id.in_(ids)))}
    missing = [f for f in ids if f not in rows]
    if missing:
        raise NotFound(f"file {missing[0]} does not exist in task {task_id}")
    return [rows[f] for f in ids]


def set_file_status(file_ids: Iterable[str], status: int) -> None:
    from sqlalchemy import update

    from ingestflow.catalog.models import now_ts

    ids = [str(f) for f in file_ids]
    if ids:
        with session_scope() as s:
            s.execute(update(TaskFile).where(TaskFile.id.in_(ids)).values(status=int(status), updated_at=now_ts()))


def task_runs(task_id: str, limit: int = 100) -> list[LoadRun]:
    with session_scope() as s:
        return list(s.scalars(select(LoadRun).where(LoadRun.task_id == str(task_id))
                              .order_by(LoadRun.started_at.desc()).limit(limit)))


def running_run_exists(task_id: str) -> bool:
    with session_scope() as s:
        return bool(s.scalar(select(func.count()).select_from(LoadRun)
                             .where(LoadRun.task_id == str(task_id), LoadRun.ended_at.is_(None))))


def chunk_doc_ids(task_id: str) -> list[str]:
    """Doc ids of a task's files that may have chunks and that no other task shares."""
    with session_scope() as s:
        doc_ids = set(s.scalars(select(TaskFile.doc_id).where(TaskFile.task_id == str(task_id),
                                                              (TaskFile.segment_count > 0) | (TaskFile.status != 1))))
        if doc_ids:
            doc_ids -= set(s.scalars(select(TaskFile.doc_id).where(TaskFile.doc_id.in_(list(doc_ids)),
                                                                   TaskFile.task_id != str(task_id))))
    return sorted(doc_ids)


def tasks_using_volume(volume_id: str) -> list[str]:
    with session_scope() as s:
        return list(s.scalars(select(LoadTask.id).where(LoadTask.volume_id == str(volume_id))))


def delete_task_rows(task_id: str) -> list[str]:
    """Delete a task with its files and runs; returns the doc ids whose chunks should go."""
    with session_scope() as s:
        task = s.get(LoadTask, str(task_id))
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        # only files that may have chunks (anything past "waiting"), and not shared with another task
        doc_ids = set(s.scalars(select(TaskFile.doc_id).where(TaskFile.task_id == task.id,
                                                              (TaskFile.segment_count > 0) | (TaskFile.status != 1))))
        s.execute(delete(TaskFile).where(TaskFile.task_id == task.id))
        s.execute(delete(LoadRun).where(LoadRun.task_id == task.id))
        s.delete(task)
        if doc_ids:
            doc_ids -= set(s.scalars(select(TaskFile.doc_id).where(TaskFile.doc_id.in_(list(doc_ids)))))
            for state in (SegmentState, DocumentState):  # per-document state of the documents that go
                s.execute(delete(state).where(state.doc_id.in_(sorted(doc_ids))))
    return sorted(doc_ids)


def counts() -> dict[str, int]:
    """Row counts per table (tests check that failed requests leave nothing behind)."""
    with session_scope() as s:
        return {m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Connector, Volume, LoadTask, TaskFile, LoadRun)}
