"""What the routes do beyond one catalog call: connector configs (secrets kept, masked on the
way out), task ↔ Prefect deployment lifecycle, public shapes."""

from __future__ import annotations

import copy
import logging
from typing import Any

from pydantic import SecretStr

from ingestflow.api.schemas.connectors import ConnectorPublic
from ingestflow.api.schemas.tasks import TaskFilePublic, TaskPublic
from ingestflow.connectors import entry_for, parse_config
from ingestflow.orchestration import deployments as prefect_ops
from ingestflow.catalog import ops, queries
from ingestflow.catalog.models import Connector, LoadTask, TaskFile, Volume
from ingestflow.errors import IngestError, ValidationFailed
from ingestflow.records import SourceType, TaskStatus
from ingestflow.settings import get_settings

log = logging.getLogger("ingestflow.api")
MASK = "******"
UPLOAD_CONNECTOR_NAME = "uploads"


# --- connector configs -----------------------------------------------------------------------

def _walk(value: Any, secret: Any) -> Any:
    if isinstance(value, SecretStr):
        return secret(value)
    if isinstance(value, dict):
        return {k: _walk(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, secret) for v in value]
    return value


def secret_fields(source_type: int) -> set[str]:
    model = entry_for(source_type).config_model
    return {name for name, f in model.model_fields.items() if "SecretStr" in str(f.annotation)}


def storable_config(source_type: int, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a kind's config and return it as stored (secrets in clear, for the connector)."""
    parsed = parse_config(source_type, raw)
    return _walk(parsed.model_dump(), lambda s: s.get_secret_value())


def masked_config(source_type: int, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config with every secret replaced by "******"."""
    secrets = secret_fields(source_type)
    try:
        dumped = entry_for(source_type).config_model.model_validate(stored).model_dump()
    except Exception:  # noqa: BLE001 - a config stored by an older version: mask by field name
        dumped = dict(stored)
    return {k: (MASK if k in secrets and v not in (None, "") else _walk(v, lambda _s: MASK))
            for k, v in dumped.items()}


def scrub(text: str, source_type: int, raw: dict[str, Any]) -> str:
    """``text`` with every secret value of a config replaced by the mask."""
    for name in secret_fields(source_type):
        value = raw.get(name)
        value = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(value, str) and len(value) >= 3:
            text = text.replace(value, MASK)
    return text


def merged_config(connector: Connector, sent: dict[str, Any]) -> dict[str, Any]:
    """A partial config update: sent fields replace stored ones; a masked secret keeps the stored one."""
    secrets = secret_fields(connector.source_type)
    merged = dict(connector.config or {})
    for key, value in sent.items():
        if key in secrets and value == MASK:
            continue
        merged[key] = value
    return storable_config(connector.source_type, merged)


def config_from_body(body: Any, source_type: int) -> dict[str, Any] | None:
    return body.config_for(entry_for(source_type).config_field)


def connector_public(connector: Connector, related: list[str]) -> dict[str, Any]:
    entry = entry_for(connector.source_type)
    out = ConnectorPublic(id=connector.id, source_type=connector.source_type, name=connector.name,
                          status=connector.status, created_at=connector.created_at,
                          updated_at=connector.updated_at, username=connector.username,
                          related_task_ids=related, usage_type=list(connector.usage_type or [])).model_dump()
    out[entry.config_field] = masked_config(connector.source_type, connector.config or {})
    return out


def upload_connector() -> Connector:
    """The connector over the upload area (a ``local`` connector rooted at settings.uploads_dir)."""
    root = get_settings().uploads_dir
    root.mkdir(parents=True, exist_ok=True)
    found = queries.find_connector_by_root(SourceType.LOCAL, str(root), UPLOAD_CONNECTOR_NAME)
    if found is not None:
        return found
    return ops.create_connector(UPLOAD_CONNECTOR_NAME, SourceType.LOCAL,
                               storable_config(SourceType.LOCAL, {"root": str(root)}), usage_type=["upload"])


# --- tasks -----------------------------------------------------------------------------------

def normalise_source_config(source_config: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(source_config or {})
    cfg = out.setdefault("common_file_task_config", {})
    mode = cfg.setdefault("load_mode_config", {})
    mode.setdefault("load_interval_type", 4)
    mode["interval"] = int(mode.get("interval") or 0)
    cfg.setdefault("uris", [])
    return out


def task_public(task: LoadTask, connector_types: dict[int, int], volume_names: dict[str, str]) -> dict[str, Any]:
    return TaskPublic(id=task.id, source_connector_id=task.connector_id,
                      source_connector_type=connector_types.get(task.connector_id, 0), volume_id=task.volume_id,
                      volume_name=volume_names.get(task.volume_id, ""), name=task.name or "", status=task.status,
                      creator=task.creator, source_config=normalise_source_config(task.source_config),
                      start_at=task.start_at or 0, end_at=task.end_at or 0, created_at=task.created_at,
                      updated_at=task.updated_at).model_dump()


def tasks_public(tasks: list[LoadTask]) -> list[dict[str, Any]]:
    types = {}
    for cid in {t.connector_id for t in tasks}:
        try:
            types[cid] = ops.get_connector(cid).source_type
        except IngestError:
            types[cid] = 0
    names = queries.volume_names(t.volume_id for t in tasks)
    return [task_public(t, types, names) for t in tasks]


def file_public(row: TaskFile, volume_name: str, user: str) -> dict[str, Any]:
    return TaskFilePublic(id=row.id, name=row.name, type=row.file_type, status=row.status, size=row.size,
                          update_time=row.updated_at, other_metadata="", reason=row.reason or "", user=user,
                          start_time=row.start_time or 0, end_time=row.end_time or 0,
                          path=f"/{volume_name}/{row.uri.lstrip('/')}", stage=row.stage,
                          segment_count=row.segment_count).model_dump()


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
