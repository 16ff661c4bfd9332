"""Public shapes of catalog rows for the seed-002 family (secrets masked)."""

from __future__ import annotations

from typing import Any

from ingestflow.api.schemas.connectors import ConnectorPublic
from ingestflow.api.schemas.tasks import TaskFilePublic, TaskPublic
from ingestflow.catalog import ops, queries
from ingestflow.catalog.models import Connector, LoadTask, TaskFile
from ingestflow.connectors import entry_for
from ingestflow.errors import IngestError
from ingestflow.services.connectors import masked_config
from ingestflow.services.tasks import normalise_source_config


def connector_public(connector: Connector, related: list[str]) -> dict[str, Any]:
    entry = entry_for(connector.source_type)
    out = ConnectorPublic(id=connector.id, source_type=connector.source_type, name=connector.name,
                          status=connector.status, created_at=connector.created_at,
                          updated_at=connector.updated_at, username=connector.username,
                          related_task_ids=related, usage_type=list(connector.usage_type or [])).model_dump()
    out[entry.config_field] = masked_config(connector.source_type, connector.config or {})
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
