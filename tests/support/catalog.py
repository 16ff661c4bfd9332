"""One-line catalog reads and writes for tests and benchmarks (each its own unit of work)."""

from __future__ import annotations

from typing import Any

from ingestflow.catalog import catalog


def task(task_id: str) -> Any:
    with catalog() as c:
        return c.tasks.get(task_id)


def update_task(task_id: str, **fields: Any) -> Any:
    with catalog() as c:
        return c.tasks.update(task_id, **fields)


def volume(volume_id: str) -> Any:
    with catalog() as c:
        return c.volumes.get(volume_id)


def volume_named(name: str) -> Any:
    with catalog() as c:
        return c.volumes.by_name(name)


def create_volume(name: str, model: str, dimension: int) -> Any:
    with catalog() as c:
        return c.volumes.create(name, model, dimension)


def connector(connector_id: int) -> Any:
    with catalog() as c:
        return c.connectors.get(connector_id)


def files(task_id: str, status: int | None = None) -> list[Any]:
    with catalog() as c:
        return c.files.of_task(task_id, status)


def file(file_id: str) -> Any:
    with catalog() as c:
        return c.files.get(file_id)


def mark_file(file_id: str, **fields: Any) -> None:
    with catalog() as c:
        c.files.mark([{"id": file_id, **fields}])


def runs(task_id: str) -> list[Any]:
    with catalog() as c:
        return c.runs.of_task(task_id)


def row_counts() -> dict[str, int]:
    with catalog() as c:
        return c.row_counts()


def create_connector(name: str, source_type: int, config: dict[str, Any]) -> Any:
    with catalog() as c:
        return c.connectors.create(name, source_type, config)


def create_task(connector_id: int, volume_id: str, source_config: dict[str, Any]) -> Any:
    from ingestflow.taskconfig import SourceConfig

    with catalog() as c:
        return c.tasks.create(connector_id, volume_id, SourceConfig.stored(source_config))


def record_listing(task_row: Any, items: list[Any]) -> list[str]:
    """Record listed items as the flow's listing does; their file ids, in order."""
    from ingestflow.catalog.listing import record_items

    return [ref.id for ref in record_items(task_row, items)]


def search(query: str, volume_id: str, **kwargs: Any) -> list[Any]:
    """An admin search of one volume (nothing recorded), as ``ingestflow search`` does."""
    from ingestflow.services.search import SearchRequest
    from ingestflow.services.search import search as run
    from ingestflow.tenancy import ADMIN

    names = {"score_threshold": "score", "doc_ids": "document_ids"}
    fields = {names.get(k, k): v for k, v in kwargs.items()}
    return run(ADMIN, SearchRequest(query=query, volume_ids=[volume_id], **fields), record=None)


def batch_tasks(batch: str) -> list[str]:
    """The load task of a seed-003 document batch ([] when the batch is gone)."""
    with catalog() as c:
        row = c.batches.find(batch)
        return [row.task_id] if row else []


def tasks_of_volume(volume_id: str) -> list[str]:
    with catalog() as c:
        return c.volumes.task_ids(volume_id)


def upload_file_count() -> int:
    from ingestflow.catalog.models import UploadFile

    with catalog() as c:
        return c.session.query(UploadFile).count()
