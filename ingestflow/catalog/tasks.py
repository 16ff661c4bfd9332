"""Load tasks (seed 002 ``/task``): a connector's uris loaded into a volume on a schedule.

Status changes go through ``catalog.lifecycle``; this module stores and finds tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from ingestflow.catalog.base import Repository, order_column
from ingestflow.catalog.models import DocumentState, LoadRun, LoadTask, SegmentState, TaskFile
from ingestflow.ids import snowflake_id
from ingestflow.records import TaskStatus
from ingestflow.taskconfig import ProcessConfig, SourceConfig

ORDER = {"id": LoadTask.id, "name": LoadTask.name, "created_at": LoadTask.created_at,
         "updated_at": LoadTask.updated_at, "status": LoadTask.status, "start_at": LoadTask.start_at,
         "end_at": LoadTask.end_at}


class Tasks(Repository[LoadTask]):
    """The load_tasks table."""

    model = LoadTask
    label = "task"

    def create(self, connector_id: int, volume_id: str, source: SourceConfig, *, name: str = "",
               process: ProcessConfig | None = None, config_type: int = 1, creator: str = "admin",
               tenant_code: str = "", org_code: str = "") -> LoadTask:
        """A new load task (status 1: runnable); the connector and the volume must exist."""
        from ingestflow.catalog.connectors import Connectors
        from ingestflow.catalog.volumes import Volumes

        Connectors(self.s).get(connector_id)
        Volumes(self.s).get(volume_id)
        row = LoadTask(id=snowflake_id(), name=name, connector_id=int(connector_id), volume_id=str(volume_id),
                       source_config=source.dump(), process_config=(process or ProcessConfig()).dump(),
                       config_type=config_type, creator=creator, tenant_code=tenant_code, org_code=org_code,
                       status=int(TaskStatus.RUNNING))
        self.s.add(row)
        self.s.flush()
        return row

    def list(self, *, interval_types: Iterable[int] = (), status: int | None = None, order_by: str | None = None,
             is_desc: bool = False, page: int = 1, page_size: int = 10) -> tuple[list[LoadTask], int]:
        """One page of tasks (filtered by load interval type and status) and the total."""
        query = select(LoadTask)
        if status is not None:
            query = query.where(LoadTask.status == int(status))
        rows = list(self.s.scalars(query.order_by(order_column(ORDER, order_by, "created_at", is_desc), LoadTask.id)))
        wanted = {int(t) for t in interval_types}
        if wanted:  # the interval type lives inside the source_config JSON
            rows = [t for t in rows if int(t.source.load_mode.load_interval_type) in wanted]
        start = (page - 1) * page_size
        return rows[start:start + page_size], len(rows)

    def find_for(self, connector_id: int, volume_id: str) -> LoadTask | None:
        """The first task loading this connector into this volume."""
        return self.s.scalar(select(LoadTask).where(LoadTask.connector_id == int(connector_id),
                                                    LoadTask.volume_id == str(volume_id)).order_by(LoadTask.id))

    def chunk_doc_ids(self, task_id: str) -> list[str]:
        """Doc ids of the task's files that may have chunks (past "waiting") and that no other task shares."""
        doc_ids = set(self.s.scalars(select(TaskFile.doc_id).where(
            TaskFile.task_id == str(task_id), (TaskFile.segment_count > 0) | (TaskFile.status != 1))))
        if doc_ids:
            doc_ids -= set(self.s.scalars(select(TaskFile.doc_id).where(TaskFile.doc_id.in_(list(doc_ids)),
                                                                        TaskFile.task_id != str(task_id))))
        return sorted(doc_ids)

    def delete(self, task_id: str) -> list[str]:
        """Delete a task with its files and runs; returns the doc ids whose chunks should go."""
        task = self.get(task_id)
        doc_ids = self.chunk_doc_ids(task.id)
        self.s.execute(delete(TaskFile).where(TaskFile.task_id == task.id))
        self.s.execute(delete(LoadRun).where(LoadRun.task_id == task.id))
        self.s.delete(task)
        if doc_ids:
            for state in (SegmentState, DocumentState):  # per-document state of the documents that go
                self.s.execute(delete(state).where(state.doc_id.in_(doc_ids)))
        return doc_ids

    def connector_types(self, tasks: Iterable[LoadTask]) -> dict[int, int]:
        """connector id → source type, for the given tasks' connectors (0 when gone)."""
        from ingestflow.catalog.models import Connector

        ids = {t.connector_id for t in tasks}
        found = dict(self.s.execute(select(Connector.id, Connector.source_type).where(Connector.id.in_(ids))).all())
        return {cid: int(found.get(cid, 0)) for cid in ids}

    def scope(self, task: LoadTask) -> tuple[str, str]:
        """(tenant_code, org_code) stamped on the task's chunks: the task's, else its volume's, else the default."""
        from ingestflow.catalog.volumes import Volumes
        from ingestflow.settings import get_settings

        volume = Volumes(self.s).get(task.volume_id)
        return resolve_scope(task.tenant_code, task.org_code, volume.tenant_code, volume.org_code,
                             get_settings().default_tenant_code, get_settings().default_org_code)


def resolve_scope(task_tenant: str, task_org: str, volume_tenant: str, volume_org: str,
                  default_tenant: str, default_org: str) -> tuple[str, str]:
    """The one rule for a chunk's tenant/org: the task's, else the volume's, else the setting's."""
    return (task_tenant or volume_tenant or default_tenant, task_org or volume_org or default_org)
