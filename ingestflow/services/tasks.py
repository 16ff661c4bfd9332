"""Load tasks and their Prefect deployments: create (all or nothing), update, delete, pause, resume,
run now, retry; dropping a task's or a volume's chunks. Status changes go through ``catalog.lifecycle``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ingestflow.catalog import catalog, lifecycle
from ingestflow.catalog.models import Connector, LoadTask, Volume
from ingestflow.connectors import entry_for
from ingestflow.errors import Conflict, IngestError, ValidationFailed
from ingestflow.indexers.milvus_store import ChunkFilter, volume_store
from ingestflow.orchestration import deployments
from ingestflow.records import FileStatus
from ingestflow.taskconfig import LoadMode, ProcessConfig, SourceConfig

log = logging.getLogger("ingestflow.services")


def create_task(connector: Connector, volume: Volume, source: SourceConfig, *, creator: str,
                before_run: Callable[[LoadTask], Any] | None = None, process: ProcessConfig | None = None,
                tags: list[str] | None = None, **fields: Any) -> LoadTask:
    """Catalog row + Prefect deployment (+ an immediate run for a run-once task); all or nothing.

    ``before_run(task)`` runs after the deployment exists and before the first run is created; ``tags``
    go on the deployment (and so on its flow runs) besides the task/connector/volume ones."""
    with catalog() as c:
        task = c.tasks.create(connector.id, volume.id, source, creator=creator, process=process, **fields)
    deployment_id = None
    try:
        deployment_id = deployments.create_task_deployment(task, entry_for(connector.source_type).kind, volume.name,
                                                           tags)
        with catalog() as c:
            task = c.tasks.update(task.id, deployment_id=deployment_id)
        if before_run is not None:
            before_run(task)
        if source.load_mode.run_once:
            deployments.run_deployment(deployment_id)
    except BaseException:
        if deployment_id:
            try:
                deployments.delete(deployment_id)
            except IngestError:
                log.warning("could not remove deployment %s of a failed task", deployment_id)
        with catalog() as c:
            c.tasks.delete(task.id)
        raise
    return task


def update_task(task: LoadTask, *, load_mode: LoadMode | None = None, uris: list[str] | None = None,
                name: str | None = None) -> None:
    """Change a task's load mode and/or uris; its deployment schedule follows (a run-once task runs again)."""
    source = task.source
    if load_mode is not None:
        source.common_file_task_config.load_mode_config = load_mode
    if uris is not None:
        source.common_file_task_config.uris = uris
    run_now = source.load_mode.run_once and not lifecycle.is_paused(task) and bool(task.deployment_id)
    with catalog() as c:
        c.tasks.update(task.id, source_config=source.dump(), **({"name": name} if name is not None else {}))
        if run_now:
            lifecycle.rerun_requested(c, task)
    if task.deployment_id:
        try:
            deployments.replace_schedules(task.deployment_id, source)
        except BaseException:
            with catalog() as c:
                c.tasks.update(task.id, source_config=task.source_config, status=task.status)
            raise
        refresh_description(task.id)
        if run_now:
            deployments.run_deployment(task.deployment_id)


def refresh_description(task_id: str) -> None:
    """The deployment's description after an edit (its name, uris, schedule); best effort."""
    with catalog() as c:
        task = c.tasks.get(task_id)
        connector = c.connectors.get(task.connector_id)
        volume = c.volumes.get(task.volume_id)
    try:
        deployments.update_description(task.deployment_id, deployments.describe(
            task, entry_for(connector.source_type).kind, volume.name))
    except IngestError as exc:  # the edit itself is saved; the description catches up on the next edit
        log.warning("task %s: could not update its deployment's description: %s", task_id, exc.message)


def delete_task(task: LoadTask, keep_chunks: bool) -> None:
    """Chunks (unless kept), then the deployment, then the catalog rows."""
    with catalog() as c:
        doc_ids = c.tasks.chunk_doc_ids(task.id)
        volume = c.volumes.get(task.volume_id)
    if doc_ids and not keep_chunks:
        drop_chunks(volume, doc_ids)
    if task.deployment_id:
        deployments.delete(task.deployment_id)
    with catalog() as c:
        c.tasks.delete(task.id)


def drop_chunks(volume: Volume, doc_ids: list[str]) -> None:
    """Delete these documents' chunks from the volume's collection."""
    store = volume_store(volume)
    if store.exists():
        for start in range(0, len(doc_ids), 500):
            store.delete(ChunkFilter(doc_ids=doc_ids[start:start + 500]))


def drop_collection(volume: Volume) -> None:
    """Drop the volume's collection with all its chunks."""
    volume_store(volume).drop()


def pause_task(task: LoadTask) -> int:
    """No new runs; a run in flight finishes its current files (status 2, then 3)."""
    with catalog() as c:
        lifecycle.pause_requested(c, task)
    running = False
    if task.deployment_id:
        deployments.pause(task.deployment_id)
        deployments.cancel_runs(task.deployment_id, ("SCHEDULED",))
        running = deployments.has_running_flow(task.deployment_id)
    with catalog() as c:
        return int(lifecycle.pause_settled(c, task, running))


def resume_task(task: LoadTask) -> int:
    """The schedule runs again; a paused run-once task runs for the files it has left."""
    was_paused = lifecycle.is_paused(task)
    if task.deployment_id:
        deployments.resume(task.deployment_id)
    with catalog() as c:
        status = lifecycle.resumed(c, task)
    if was_paused and task.deployment_id and task.source.load_mode.run_once:
        deployments.run_deployment(task.deployment_id)  # finish the files the pause left waiting
    return int(status)


def run_task(task: LoadTask) -> str:
    """Start a run now whatever the schedule (409 while paused); returns the Prefect flow run id."""
    if lifecycle.is_paused(task):
        raise Conflict(f"task {task.id} is paused; resume it first")
    return deployments.run_deployment(require_deployment(task), {"task_id": task.id})


def retry_task(task: LoadTask, file_ids: list[str]) -> tuple[list[str], str | None]:
    """Re-run failed files (all failed files when ``file_ids`` is empty); (their ids, the flow run id)."""
    with catalog() as c:
        if file_ids:
            rows = c.files.of_task_by_id(task.id, file_ids)
            not_failed = [r.id for r in rows if r.status != FileStatus.FAILED]
            if not_failed:
                raise ValidationFailed(f"file {not_failed[0]} of task {task.id} has not failed; "
                                       f"only failed files retry")
        else:
            rows = c.files.of_task(task.id, status=int(FileStatus.FAILED))
    if not rows:
        return [], None
    deployment_id = require_deployment(task)
    ids = [r.id for r in rows]
    with catalog() as c:
        c.files.mark(lifecycle.retrying(ids))
    try:
        flow_run_id = deployments.run_deployment(deployment_id, {"task_id": task.id, "file_ids": ids})
    except BaseException:
        with catalog() as c:
            c.files.mark(lifecycle.retry_not_started(ids))
        raise
    return ids, flow_run_id


def require_deployment(task: LoadTask) -> str:
    """The task's deployment id; ValidationFailed for a task created outside the API."""
    if not task.deployment_id:
        raise ValidationFailed(f"task {task.id} has no Prefect deployment (created outside the API)")
    return task.deployment_id

