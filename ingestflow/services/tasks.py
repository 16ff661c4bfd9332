"""Load tasks and their Prefect deployments: create (all or nothing), delete, pause, resume;
dropping a task's or a volume's chunks."""

from __future__ import annotations

import copy
import logging
from typing import Any

from ingestflow.catalog import ops, queries
from ingestflow.catalog.models import Connector, LoadTask, Volume
from ingestflow.connectors import entry_for
from ingestflow.errors import IngestError, ValidationFailed
from ingestflow.orchestration import deployments as prefect_ops
from ingestflow.records import TaskStatus
from ingestflow.settings import get_settings

log = logging.getLogger("ingestflow.services")


def normalise_source_config(source_config: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(source_config or {})
    cfg = out.setdefault("common_file_task_config", {})
    mode = cfg.setdefault("load_mode_config", {})
    mode.setdefault("load_interval_type", 4)
    mode["interval"] = int(mode.get("interval") or 0)
    cfg.setdefault("uris", [])
    return out


def create_task(connector: Connector, volume: Volume, source_config: dict[str, Any], *, creator: str,
                before_run: Any = None, **fields: Any) -> LoadTask:
    """Catalog row + Prefect deployment (+ an immediate run for a run-once task); all or nothing.

    ``before_run(task)`` runs after the deployment exists and before the first run is created."""
    source_config = normalise_source_config(source_config)
    task = ops.create_task(connector.id, volume.id, source_config, creator=creator, **fields)
    deployment_id = None
    try:
        deployment_id = prefect_ops.create_task_deployment(task, entry_for(connector.source_type).kind, volume.name)
        task = ops.update_task(task.id, deployment_id=deployment_id)
        if before_run is not None:
            before_run(task)
        if prefect_ops.is_run_once(source_config):
            prefect_ops.run_deployment(deployment_id)
    except BaseException:
        if deployment_id:
            try:
                prefect_ops.delete(deployment_id)
            except IngestError:
                log.warning("could not remove deployment %s of a failed task", deployment_id)
        queries.delete_task_rows(task.id)
        raise
    return task


def delete_task(task: LoadTask, keep_chunks: bool) -> None:
    """Chunks (unless kept), then the deployment, then the catalog rows."""
    doc_ids = queries.chunk_doc_ids(task.id)
    if doc_ids and not keep_chunks:
        drop_chunks(ops.get_volume(task.volume_id), doc_ids)
    if task.deployment_id:
        prefect_ops.delete(task.deployment_id)
    queries.delete_task_rows(task.id)


def _store(volume: Volume):  # noqa: ANN202
    from ingestflow.indexers.milvus_store import VolumeStore

    settings = get_settings()
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    return VolumeStore(settings.resolved_milvus_uri, volume.collection, volume.embedding_dim, token)


def drop_chunks(volume: Volume, doc_ids: list[str]) -> None:
    from ingestflow.indexers.milvus_store import ChunkFilter

    store = _store(volume)
    if store.client.has_collection(volume.collection):
        for start in range(0, len(doc_ids), 500):
            store.delete(ChunkFilter(doc_ids=doc_ids[start:start + 500]))


def drop_collection(volume: Volume) -> None:
    _store(volume).drop()


def pause_task(task: LoadTask) -> int:
    ops.update_task(task.id, status=int(TaskStatus.PAUSING))
    running = False
    if task.deployment_id:
        prefect_ops.pause(task.deployment_id)
        prefect_ops.cancel_runs(task.deployment_id, ("SCHEDULED",))
        running = prefect_ops.has_running_flow(task.deployment_id)
    status = TaskStatus.PAUSING if running else TaskStatus.PAUSED
    ops.update_task(task.id, status=int(status))
    return int(status)


def resume_task(task: LoadTask) -> int:
    was_paused = task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED)
    if task.deployment_id:
        prefect_ops.resume(task.deployment_id)
    if not was_paused:
        return task.status
    ops.update_task(task.id, status=int(TaskStatus.RUNNING))
    if task.deployment_id and prefect_ops.is_run_once(task.source_config):
        prefect_ops.run_deployment(task.deployment_id)  # finish the files the pause left waiting
    return int(TaskStatus.RUNNING)


def require_deployment(task: LoadTask) -> str:
    if not task.deployment_id:
        raise ValidationFailed(f"task {task.id} has no Prefect deployment (created outside the API)")
    return task.deployment_id
