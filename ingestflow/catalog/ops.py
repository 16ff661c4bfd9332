"""Catalog operations shared by the CLI, the load flow and the API."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from ingestflow.catalog.db import session_scope
from ingestflow.catalog.models import Connector, LoadRun, LoadTask, TaskFile, Volume, now_ts
from ingestflow.errors import Conflict, NotFound, ValidationFailed
from ingestflow.ids import document_id, snowflake_id
from ingestflow.records import DocStage, FileStatus, SourceItem


# --- volumes ---------------------------------------------------------------------------------

def create_volume(name: str, embedding_model: str, embedding_dim: int, *, description: str = "",
                  tenant_code: str = "", org_code: str = "") -> Volume:
    """A new volume with its own collection name (vol_<id>)."""
    if not name or len(name) > 255:
        raise ValidationFailed("volume name must be 1–255 characters")
    with session_scope() as s:
        if s.scalar(select(Volume).where(Volume.name == name)):
            raise Conflict(f"volume {name!r} already exists")
        vid = snowflake_id()
        volume = Volume(id=vid, name=name, description=description, collection=f"vol_{vid}",
                        embedding_model=embedding_model, embedding_dim=embedding_dim,
                        tenant_code=tenant_code, org_code=org_code)
        s.add(volume)
        return volume


def get_volume(volume_id: str) -> Volume:
    with session_scope() as s:
        volume = s.get(Volume, str(volume_id))
        if volume is None:
            raise NotFound(f"volume {volume_id} does not exist")
        return volume


def find_volume(name: str) -> Volume | None:
    with session_scope() as s:
        return s.scalar(select(Volume).where(Volume.name == name))


def list_volumes() -> list[Volume]:
    with session_scope() as s:
        return list(s.scalars(select(Volume).order_by(Volume.created_at)))


# --- connectors ------------------------------------------------------------------------------

def create_connector(name: str, source_type: int, config: dict[str, Any], usage_type: list[Any] | None = None,
                     username: str = "admin") -> Connector:
    """Store a connector (config already validated by its kind's model)."""
    with session_scope() as s:
        next_id = (s.scalar(select(func.max(Connector.id))) or 100000) + 1
        connector = Connector(id=next_id, name=name, source_type=int(source_type), config=config,
                              usage_type=usage_type or [], username=username)
        s.add(connector)
        return connector


def get_connector(connector_id: int) -> Connector:
    with session_scope() as s:
        connector = s.get(Connector, int(connector_id))
        if connector is None:
            raise NotFound(f"connector {connector_id} does not exist")
        return connector


# --- tasks -----------------------------------------------------------------------------------

def create_task(connector_id: int, volume_id: str, source_config: dict[str, Any], *, name: str = "",
                process_config: dict[str, Any] | None = None, config_type: int = 1, creator: str = "admin",
                tenant_code: str = "", org_code: str = "") -> LoadTask:
    """A new load task (status 1: runnable)."""
    get_connector(connector_id)
    get_volume(volume_id)
    with session_scope() as s:
        task = LoadTask(id=snowflake_id(), name=name, connector_id=int(connector_id), volume_id=str(volume_id),
                        source_config=source_config, process_config=process_config or {}, config_type=config_type,
                        creator=creator, tenant_code=tenant_code, org_code=org_code, status=1)
        s.add(task)
        return task


def get_task(task_id: str) -> LoadTask:
    with session_scope() as s:
        task = s.get(LoadTask, str(task_id))
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        return task


def update_task(task_id: str, **fields: Any) -> LoadTask:
    with session_scope() as s:
        task = s.get(LoadTask, str(task_id))
        if task is None:
            raise NotFound(f"task {task_id} does not exist")
        for key, value in fields.items():
            setattr(task, key, value)
        task.updated_at = now_ts()
        return task


# --- task files ------------------------------------------------------------------------------

def sync_listing(task: LoadTask, item: SourceItem, fingerprint: str) -> tuple[str, str]:
    """Record one listed item; returns (file id, "new" | "changed" | "unchanged" | "retry").

    "changed" covers both a new source version and a new pipeline fingerprint.
    """
    with session_scope() as s:
        row = s.scalar(select(TaskFile).where(TaskFile.task_id == task.id, TaskFile.uri == item.uri))
        if row is None:
            row = TaskFile(id=snowflake_id(), task_id=task.id, volume_id=task.volume_id,
                           doc_id=document_id(task.volume_id, task.connector_id, item.uri), uri=item.uri,
                           name=item.name, file_type=int(item.file_type), size=item.size,
                           source_version=item.version, status=int(FileStatus.WAITING), stage=DocStage.WAITING.value)
            s.add(row)
            return row.id, "new"
        if row.status == FileStatus.FAILED and row.source_version == item.version:
            kind = "failed"  # poison file: retried by POST /task/retry or when its content changes
        elif row.status != FileStatus.SUCCESS:
            kind = "retry"  # waiting / in flight when a run died: redo it
        elif row.indexed_version != f"{item.version}#{fingerprint}":
            kind = "changed"
        else:
            kind = "unchanged"
        row.name, row.size, row.file_type, row.source_version = item.name, item.size, int(item.file_type), item.version
        return row.id, kind


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


_KNOWN = (TaskFile.id, TaskFile.uri, TaskFile.doc_id, TaskFile.name, TaskFile.size, TaskFile.file_type,
          TaskFile.status, TaskFile.source_version, TaskFile.indexed_version)


def diff_listing(task: LoadTask, items: Iterable[SourceItem], fingerprint: str,
                 batch: int = 2000) -> Iterator[tuple[FileRef, str]]:
    """Diff a listing against the catalog in bulk; yields (file, "new"|"changed"|"unchanged"|"retry"|"failed").

    One query loads the task's known files; new rows are inserted and changed metadata updated
    in one statement per ``batch`` items. The version compared is per file (never a watermark),
    so files sharing an mtime are never stranded. Same classification as ``sync_listing``.
    When the listing fails part-way, what was listed before is recorded and yielded, then the
    error propagates.
    """
    diff = _ListingDiff(task, fingerprint)
    source = iter(items)
    while True:
        try:
            item = next(source, None)
        except Exception:
            yield from diff.flush()
            raise
        if item is None:
            break
        diff.add(item)
        if len(diff.out) >= batch:
            yield from diff.flush()
    yield from diff.flush()


class _ListingDiff:
    """The state of one ``diff_listing``: known rows, pending inserts/updates, classified items."""

    def __init__(self, task: LoadTask, fingerprint: str) -> None:
        self.task, self.fingerprint = task, fingerprint
        with session_scope() as s:
            self.known = {r.uri: r for r in s.execute(select(*_KNOWN).where(TaskFile.task_id == task.id))}
        self.seen: set[str] = set()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.out: list[tuple[FileRef, str]] = []

    def add(self, item: SourceItem) -> None:
        if item.uri in self.seen:
            return  # overlapping uris list a file twice
        self.seen.add(item.uri)
        task, row = self.task, self.known.get(item.uri)
        if row is None:
            ref = FileRef(snowflake_id(), document_id(task.volume_id, task.connector_id, item.uri), item.uri,
                          item.name, int(item.file_type), item.version, int(item.size or 0))
            self.inserts.append({"id": ref.id, "task_id": task.id, "volume_id": task.volume_id, "doc_id": ref.doc_id,
                                 "uri": item.uri, "name": item.name, "file_type": ref.file_type, "size": item.size,
                                 "source_version": item.version, "status": int(FileStatus.WAITING),
                                 "stage": DocStage.WAITING.value, "created_at": now_ts(), "updated_at": now_ts()})
            self.out.append((ref, "new"))
            return
        if row.status == FileStatus.FAILED and row.source_version == item.version:
            kind = "failed"  # poison file: retried by POST /task/retry or when its content changes
        elif row.status != FileStatus.SUCCESS:
            kind = "retry"  # waiting / in flight when a run died / queued by POST /task/retry
        elif row.indexed_version != f"{item.version}#{self.fingerprint}":
            kind = "changed"
        else:
            kind = "unchanged"
        if (row.name, row.size, row.file_type, row.source_version) != (item.name, item.size, int(item.file_type),
                                                                       item.version):
            self.updates.append({"id": row.id, "name": item.name, "size": item.size,
                                 "file_type": int(item.file_type), "source_version": item.version})
        self.out.append((FileRef(row.id, row.doc_id, item.uri, item.name, int(item.file_type), item.version,
                                 int(item.size or 0)), kind))

    def flush(self) -> Iterator[tuple[FileRef, str]]:
        if self.inserts or self.updates:
            with session_scope() as s:
                if self.inserts:
                    s.execute(insert(TaskFile), self.inserts)
                if self.updates:
                    s.execute(update(TaskFile), self.updates)
            self.inserts.clear()
            self.updates.clear()
        out, self.out = self.out, []
        yield from out


def file_refs(file_ids: Iterable[str]) -> list[FileRef]:
    """FileRefs of the given task files (a retry run), in the given order; unknown ids are skipped."""
    ids = [str(f) for f in file_ids]
    with session_scope() as s:
        rows = {r.id: r for r in s.execute(select(*_KNOWN).where(TaskFile.id.in_(ids)))}
    return [FileRef(r.id, r.doc_id, r.uri, r.name, int(r.file_type), r.source_version, int(r.size or 0))
            for r in (rows.get(i) for i in ids) if r is not None]


def known_file_ids(task_id: str) -> dict[str, str]:
    """file id -> doc id of every file the catalog has for a task."""
    with session_scope() as s:
        return dict(s.execute(select(TaskFile.id, TaskFile.doc_id).where(TaskFile.task_id == str(task_id))).all())


def mark_files(updates: list[dict[str, Any]]) -> None:
    """Several files' fields in one transaction (each dict has ``id``)."""
    if not updates:
        return
    now = now_ts()
    with session_scope() as s:
        s.execute(update(TaskFile), [{"updated_at": now, **u} for u in updates])


def stage_fields(stage: DocStage, at: float | None = None) -> dict[str, Any]:
    """The status and seed-003 timestamp fields a move to ``stage`` sets."""
    now = time.time() if at is None else at
    return {"stage": stage.value, **{
        DocStage.WAITING: {"status": int(FileStatus.WAITING)},
        DocStage.PARSING: {"processing_started_at": now, "start_time": int(now), "status": int(FileStatus.PROCESSING),
                           "reason": "", "completed_at": None, "stopped_at": None, "parsing_completed_at": None,
                           "splitting_completed_at": None},
        DocStage.SPLITTING: {"parsing_completed_at": now},
        DocStage.INDEXING: {"splitting_completed_at": now},
        DocStage.COMPLETED: {"completed_at": now, "end_time": int(now), "status": int(FileStatus.SUCCESS)},
        DocStage.ERROR: {"stopped_at": now, "end_time": int(now), "status": int(FileStatus.FAILED)},
    }.get(stage, {})}


def delete_files(file_ids: list[str]) -> None:
    from sqlalchemy import delete

    with session_scope() as s:
        s.execute(delete(TaskFile).where(TaskFile.id.in_([str(f) for f in file_ids])))


def get_file(file_id: str) -> TaskFile:
    with session_scope() as s:
        row = s.get(TaskFile, str(file_id))
        if row is None:
            raise NotFound(f"file {file_id} does not exist")
        return row


def mark_file(file_id: str, **fields: Any) -> None:
    """Update a task file's status/stage/timestamps."""
    fields.setdefault("updated_at", now_ts())
    with session_scope() as s:
        s.execute(update(TaskFile).where(TaskFile.id == str(file_id)).values(**fields))


def mark_stage(file_id: str, stage: DocStage, **fields: Any) -> None:
    """Move a document to a processing stage, stamping the seed-003 timestamp for it."""
    now = time.time()
    stamp = {
        DocStage.PARSING: {"processing_started_at": now, "start_time": int(now), "status": int(FileStatus.PROCESSING),
                           "reason": "", "completed_at": None, "stopped_at": None},
        DocStage.SPLITTING: {"parsing_completed_at": now},
        DocStage.INDEXING: {"splitting_completed_at": now},
        DocStage.COMPLETED: {"completed_at": now, "end_time": int(now), "status": int(FileStatus.SUCCESS)},
        DocStage.ERROR: {"stopped_at": now, "end_time": int(now), "status": int(FileStatus.FAILED)},
    }.get(stage, {})
    mark_file(file_id, stage=stage.value, **stamp, **fields)


def task_files(task_id: str, status: int | None = None) -> list[TaskFile]:
    with session_scope() as s:
        query = select(TaskFile).where(TaskFile.task_id == str(task_id))
        if status is not None:
            query = query.where(TaskFile.status == int(status))
        return list(s.scalars(query.order_by(TaskFile.id)))


def file_counts(task_id: str) -> dict[int, int]:
    """Number of files per status for a task."""
    with session_scope() as s:
        rows = s.execute(select(TaskFile.status, func.count()).where(TaskFile.task_id == str(task_id))
                         .group_by(TaskFile.status)).all()
        return {int(status): int(count) for status, count in rows}


# --- runs ------------------------------------------------------------------------------------

def start_run(task_id: str, flow_run_id: str | None) -> str:
    with session_scope() as s:
        run = LoadRun(id=snowflake_id(), task_id=str(task_id), flow_run_id=flow_run_id, started_at=time.time())
        s.add(run)
        return run.id


def close_dead_runs(task_id: str, reason: str) -> int:
    """Mark the task's runs still 'running' as crashed (their process is gone); returns how many."""
    with session_scope() as s:
        result = s.execute(update(LoadRun).where(LoadRun.task_id == str(task_id), LoadRun.status == "running")
                           .values(status="crashed", ended_at=time.time(), error=reason))
        return int(result.rowcount or 0)


def completed_run_since(task_id: str, due_at: float) -> float | None:
    """Start time of a completed run that was in flight at ``due_at`` or began after it, else None."""
    with session_scope() as s:
        return s.scalar(select(func.max(LoadRun.started_at)).where(
            LoadRun.task_id == str(task_id), LoadRun.status == "completed",
            (LoadRun.started_at >= due_at) | (LoadRun.ended_at >= due_at)))


def finish_run(run_id: str, status: str, **counters: Any) -> None:
    with session_scope() as s:
        s.execute(update(LoadRun).where(LoadRun.id == run_id).values(status=status, ended_at=time.time(), **counters))


def get_run(run_id: str) -> LoadRun:
    with session_scope() as s:
        run = s.get(LoadRun, run_id)
        if run is None:
            raise NotFound(f"run {run_id} does not exist")
        return run


def slug(text: str) -> str:
    """A short, Prefect-friendly slug for names and tags."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:40] or "x"
