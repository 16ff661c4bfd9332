"""Connectors (seed 002): stored configs of sources. ``config`` holds secrets: never return it raw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Integer, column, func, select, table

from ingestflow.catalog.base import Repository, order_column
from ingestflow.catalog.models import Connector, LoadTask, TaskFile
from ingestflow.errors import Conflict

ORDER = {"id": Connector.id, "name": Connector.name, "created_at": Connector.created_at,
         "updated_at": Connector.updated_at, "source_type": Connector.source_type, "status": Connector.status}
FIRST_ID = 100000


class Connectors(Repository[Connector]):
    """The connectors table."""

    model = Connector
    label = "connector"

    def _key(self, id_: Any) -> int:
        return int(id_)

    def create(self, name: str, source_type: int, config: dict[str, Any], usage_type: list[Any] | None = None,
               username: str = "admin") -> Connector:
        """Store a connector (its config already validated by its kind's model)."""
        next_id = (self.s.scalar(select(func.max(Connector.id))) or FIRST_ID) + 1
        row = Connector(id=next_id, name=name, source_type=int(source_type), config=config,
                        usage_type=usage_type or [], username=username)
        self.s.add(row)
        self.s.flush()
        return row

    def list(self, *, keyword: str = "", source_types: Iterable[int] = (), statuses: Iterable[str] = (),
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
        rows = list(self.s.scalars(query.order_by(order_column(ORDER, order_by, "id", is_desc), Connector.id)))
        wanted = {str(u) for u in usage_types}
        if wanted:  # a JSON list column: filtered here, portable across SQLite and PostgreSQL
            rows = [c for c in rows if wanted & {str(u) for u in (c.usage_type or [])}]
        start = (page - 1) * page_size
        return rows[start:start + page_size], len(rows)

    def of_kind(self, source_type: int) -> list[Connector]:
        """Every connector of one source type, oldest first."""
        return list(self.s.scalars(select(Connector).where(Connector.source_type == int(source_type))
                                   .order_by(Connector.id)))

    def related_task_ids(self, connector_ids: Iterable[int]) -> dict[int, list[str]]:
        """connector id → ids of the tasks that load from it."""
        ids = [int(i) for i in connector_ids]
        out: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for cid, tid in self.s.execute(select(LoadTask.connector_id, LoadTask.id)
                                           .where(LoadTask.connector_id.in_(ids)).order_by(LoadTask.id)):
                out[int(cid)].append(str(tid))
        return out

    def delete(self, connector_id: int) -> None:
        """Delete a connector; Conflict while tasks still use it."""
        row = self.get(connector_id)
        used = list(self.s.scalars(select(LoadTask.id).where(LoadTask.connector_id == row.id)))
        if used:
            raise Conflict(f"connector {connector_id} is used by task(s) {', '.join(used[:10])}; delete them first")
        self.s.delete(row)

    def summary(self) -> dict[str, Any]:
        """Counts of connectors by source type and status, and of tasks and files by status."""
        def grouped(column: Any) -> dict[str, int]:
            return {str(k): int(n) for k, n in self.s.execute(select(column, func.count()).group_by(column))}

        by_type, by_status = grouped(Connector.source_type), grouped(Connector.status)
        task_status, file_status = grouped(LoadTask.status), grouped(TaskFile.status)
        return {"total": sum(by_type.values()), "by_source_type": by_type, "by_status": by_status,
                "tasks": {"total": sum(task_status.values()), "by_status": task_status},
                "files": {"total": sum(file_status.values()), "by_status": file_status}}

    def rotate_secrets(self) -> int:
        """Re-encrypt every stored config with the newest key (clear rows of older releases too); rows rewritten."""
        from ingestflow import crypto

        raw = table("connectors", column("id", Integer), column("config", JSON))  # the column as stored, undecrypted
        rows = self.s.execute(select(raw.c.id, raw.c.config)).all()
        for row_id, stored in rows:
            self.s.execute(raw.update().where(raw.c.id == row_id).values(config=crypto.rotate(stored)))
        return len(rows)
