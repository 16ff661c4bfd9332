"""Connectors, volumes and load tasks (seed 002), each written once as a sans-IO operation."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ingestflow.client._core import Call, Operation, Sleep, expect_dict, operation
from ingestflow.client.errors import BadRequestError, IngestflowTimeoutError, NotFoundError
from ingestflow.client.models import (
    CONFIG_FIELDS, Connector, LoadRun, Page, RetryResult, SourceFile, Task, TaskFiles, UploadResult, Validation,
    Volume,
)
from ingestflow.connectors.registry import CONNECTOR_REGISTRY  # light: pydantic models, SDKs load lazily

SOURCE_TYPES = {kind: int(entry.source_type) for kind, entry in CONNECTOR_REGISTRY.items()}
"""Connector kinds by name → seed 002 ``source_type``, from the connector registry (``upload``, 7, is
created by the server only: it is here to filter listings by)."""
CONFIG_FIELD_BY_TYPE = {int(entry.source_type): entry.config_field for entry in CONNECTOR_REGISTRY.values()}
RUN_ONCE = 4

UploadItem = str | Path | tuple[str, bytes]
ProgressCallback = Callable[[TaskFiles, LoadRun | None], None]


def source_type_of(kind: int | str) -> int:
    """``"s3"`` → 5, ``5`` → 5; BadRequestError for an unknown kind (before any request)."""
    if isinstance(kind, int) or str(kind).isdigit():
        return int(kind)
    try:
        return SOURCE_TYPES[str(kind).lower()]
    except KeyError:
        raise BadRequestError(400, "ErrValidation", f"unknown connector kind {kind!r}: use one of "
                              f"{', '.join(SOURCE_TYPES)} or a source_type number") from None


def _config_body(source_type: int, config: dict[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    return {CONFIG_FIELD_BY_TYPE.get(source_type, "local"): config}


def _upload_part(field: str, item: UploadItem) -> tuple[str, tuple[str, bytes, str]]:
    if isinstance(item, tuple):
        name, content = item
    else:
        path = Path(item)
        name, content = path.name, path.read_bytes()
    return field, (name, content, mimetypes.guess_type(name)[0] or "application/octet-stream")


class Endpoints:
    """Every endpoint of the seed-002 API; subclasses provide ``_drive`` (sync or async)."""

    def _drive(self, gen: Operation[Any]) -> Any:  # pragma: no cover - provided by the concrete clients
        raise NotImplementedError

    # --- connectors ----------------------------------------------------------------------

    @operation
    def create_connector(self, name: str, kind: int | str, config: dict[str, Any],
                         usage_type: list[Any] | None = None) -> Operation[int]:
        """Create a connector (``kind`` "s3", "local", … or a source_type number); returns its id."""
        source_type = source_type_of(kind)
        body = {"name": name, "source_type": source_type, **_config_body(source_type, config)}
        if usage_type is not None:
            body["usage_type"] = usage_type
        data = yield Call("POST", "/connectors", json=body)
        return int(expect_dict(data, "create connector")["id"])

    @operation
    def validate_connector(self, connector_id: int | None = None, kind: int | str | None = None,
                           config: dict[str, Any] | None = None) -> Operation[Validation]:
        """Really connect with a stored connector (``connector_id``) or a config: valid, or why not."""
        body: dict[str, Any] = {}
        if connector_id is not None:
            body["connector_id"] = connector_id
        if kind is not None:
            source_type = source_type_of(kind)
            body.update({"source_type": source_type, **_config_body(source_type, config or {})})
        data = yield Call("POST", "/connectors/validate", json=body)
        return Validation.model_validate(data)

    @operation
    def list_connectors(self, keyword: str = "", kind: int | str | None = None, status: str | None = None,
                        page: int = 1, page_size: int = 10, order_by: str = "",
                        is_desc: bool = False) -> Operation[Page[Connector]]:
        """A page of connectors (filter by name ``keyword``, kind, status)."""
        params = {"keyword": keyword, "source_type": source_type_of(kind) if kind is not None else None,
                  "status": status, "page": page, "page_size": page_size, "order_by": order_by, "is_desc": is_desc}
        data = expect_dict((yield Call("GET", "/connectors/list", params=params)), "list connectors")
        return Page[Connector](items=[Connector.from_api(c) for c in data.get("connectors") or []],
                               total=data.get("total", 0))

    @operation
    def get_connector(self, connector_id: int) -> Operation[Connector]:
        """One connector (the API has no get route: found by paging ``/connectors/list``)."""
        page = 1
        while True:
            data = expect_dict((yield Call("GET", "/connectors/list", params={"page": page, "page_size": 1000})),
                               "list connectors")
            rows = data.get("connectors") or []
            for row in rows:
                if int(row.get("id", -1)) == int(connector_id):
                    return Connector.from_api(row)
            if not rows or page * 1000 >= data.get("total", 0):
                raise NotFoundError(404, "ErrNotFound", f"connector {connector_id} does not exist",
                                    method="GET", path="/connectors/list")
            page += 1

    @operation
    def update_connector(self, connector_id: int, name: str | None = None, config: dict[str, Any] | None = None,
                         usage_type: list[Any] | None = None) -> Operation[None]:
        """Partial update; in ``config`` a secret sent as "******" keeps the stored one."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if usage_type is not None:
            body["usage_type"] = usage_type
        if config is not None:
            connector = yield from Endpoints.get_connector.op(self, connector_id)
            body.update(_config_body(connector.source_type, config))
        yield Call("PUT", f"/connectors/{int(connector_id)}", json=body)

    @operation
    def delete_connector(self, connector_id: int) -> Operation[None]:
        """Delete a connector (ConflictError while a task uses it)."""
        yield Call("DELETE", f"/connectors/{int(connector_id)}")

    @operation
    def list_source_files(self, connector_id: int,
                          file_types: Iterable[int] | None = None) -> Operation[list[SourceFile]]:
        """The files of a connector's source (at most 10000), optionally only some seed file types."""
        params = {"connector_id": connector_id, "file_types": list(file_types) if file_types else None}
        data = expect_dict((yield Call("GET", "/connectors/files/list", params=params)), "list files")
        return [SourceFile.model_validate(f) for f in data.get("files") or []]

    @operation
    def upload(self, files: Iterable[UploadItem], volume_id: str | None = None) -> Operation[UploadResult]:
        """Upload files (paths or ``(name, bytes)``). With ``volume_id`` they are loaded into it at once
        (seed form b: one ``file`` part + ``VolumeID`` + ``meta``; the result has ``task_id``)."""
        items = list(files)
        if not items:
            raise BadRequestError(400, "ErrValidation", "upload: no files given")
        if volume_id is None:
            data = yield Call("POST", "/connectors/upload", files=[_upload_part("data", i) for i in items])
            return UploadResult.model_validate(data)
        import json

        parts = [_upload_part("file", i) for i in items]
        meta = [{"file_name": name, "file_size": len(content), "mime_type": mime} for _f, (name, content, mime) in parts]
        data = yield Call("POST", "/connectors/upload", files=parts,
                          data={"VolumeID": str(volume_id), "meta": json.dumps(meta, ensure_ascii=False)})
        return UploadResult.model_validate(data)

    @operation
    def connector_summary(self) -> Operation[dict[str, Any]]:
        """Counts of connectors by kind and status, and of tasks and files by status."""
        return expect_dict((yield Call("GET", "/connectors/summary")), "summary")

    # --- volumes ---------------------------------------------------------------------------

    @operation
    def create_volume(self, name: str, description: str = "", embedding_model: str | None = None,
                      tenant_code: str = "", org_code: str = "") -> Operation[Volume]:
        """Create a volume (the server's default embedding model unless one is named)."""
        body = {"name": name, "description": description, "embedding_model": embedding_model,
                "tenant_code": tenant_code, "org_code": org_code}
        data = expect_dict((yield Call("POST", "/volumes", json=body)), "create volume")
        return Volume.model_validate(data["volume"])

    @operation
    def list_volumes(self, keyword: str = "", page: int = 1, page_size: int = 10,
                     is_desc: bool = False) -> Operation[Page[Volume]]:
        params = {"keyword": keyword, "page": page, "page_size": page_size, "is_desc": is_desc}
        data = expect_dict((yield Call("GET", "/volumes/list", params=params)), "list volumes")
        return Page[Volume](items=[Volume.model_validate(v) for v in data.get("volumes") or []],
                            total=data.get("total", 0))

    @operation
    def get_volume(self, volume_id: str) -> Operation[Volume]:
        data = expect_dict((yield Call("GET", "/volumes/get", params={"volume_id": volume_id})), "get volume")
        return Volume.model_validate(data["volume"])

    @operation
    def delete_volume(self, volume_id: str) -> Operation[None]:
        """Delete a volume and its Milvus collection (ConflictError while tasks load into it)."""
        yield Call("POST", "/volumes/delete", json={"volume_id": str(volume_id)})

    # --- load tasks ------------------------------------------------------------------------

    @operation
    def create_task(self, connector_id: int, volume_id: str, uris: Iterable[str] = (),
                    load_interval_type: int = RUN_ONCE, interval: int = 0, name: str = "",
                    process_config: dict[str, Any] | None = None, tenant_code: str = "",
                    org_code: str = "") -> Operation[str]:
        """Create a load task (default run-once: it starts at once); returns the task id."""
        body = {"source_connector_id": connector_id, "volume_id": str(volume_id), "config_type": 1, "name": name,
                "source_config": {"common_file_task_config": {
                    "load_mode_config": {"load_interval_type": load_interval_type, "interval": interval},
                    "uris": list(uris)}},
                "process_config": process_config, "tenant_code": tenant_code, "org_code": org_code}
        data = yield Call("POST", "/task", json=body)
        return str(expect_dict(data, "create task")["task_id"])

    @operation
    def list_tasks(self, status: int | None = None, load_interval_types: Iterable[int] | None = None,
                   page: int = 1, page_size: int = 10, order_by: str = "",
                   is_desc: bool = False) -> Operation[Page[Task]]:
        params = {"status": status, "load_interval_types": list(load_interval_types or []) or None,
                  "page": page, "page_size": page_size, "order_by": order_by, "is_desc": is_desc}
        data = expect_dict((yield Call("GET", "/task/list", params=params)), "list tasks")
        return Page[Task](items=[Task.model_validate(t) for t in data.get("tasks") or []], total=data.get("total", 0))

    @operation
    def get_task(self, task_id: str) -> Operation[Task]:
        data = expect_dict((yield Call("GET", "/task/get", params={"task_id": str(task_id)})), "get task")
        return Task.model_validate(data["task"])

    @operation
    def update_task(self, task_id: str, load_interval_type: int | None = None, interval: int = 0,
                    uris: Iterable[str] | None = None, name: str | None = None) -> Operation[None]:
        """Change a task's load mode and/or uris (a run-once task that is not paused runs again)."""
        body: dict[str, Any] = {"task_id": str(task_id)}
        if load_interval_type is not None:
            body["load_mode_config"] = {"load_interval_type": load_interval_type, "interval": interval}
        if uris is not None:
            body["uris"] = list(uris)
        if name is not None:
            body["name"] = name
        yield Call("POST", "/task/update", json=body)

    @operation
    def pause_task(self, task_id: str) -> Operation[int]:
        """Pause; returns the new status (2 pausing while a run finishes, else 3 paused)."""
        return int(expect_dict((yield Call("POST", "/task/pause", json={"task_id": str(task_id)})), "pause")["status"])

    @operation
    def resume_task(self, task_id: str) -> Operation[int]:
        return int(expect_dict((yield Call("POST", "/task/resume", json={"task_id": str(task_id)})), "resume")["status"])

    @operation
    def retry_task(self, task_id: str, file_ids: Iterable[str] = ()) -> Operation[RetryResult]:
        """Re-run failed files (none given: every failed file of the task)."""
        data = yield Call("POST", "/task/retry", json={"task_id": str(task_id), "ids": [str(i) for i in file_ids]})
        return RetryResult.model_validate(data)

    @operation
    def delete_task(self, task_id: str, keep_chunks: bool = False) -> Operation[None]:
        """Delete a task: its deployment, its file rows and (unless ``keep_chunks``) its chunks."""
        yield Call("POST", "/task/delete", json={"task_id": str(task_id), "keep_chunks": keep_chunks})

    @operation
    def task_files(self, task_id: str, status: int | None = None, page: int = 1,
                   page_size: int = 100) -> Operation[TaskFiles]:
        params = {"task_id": str(task_id), "status": status, "page": page, "page_size": page_size}
        return TaskFiles.model_validate((yield Call("GET", "/task/files", params=params)))

    @operation
    def task_runs(self, task_id: str) -> Operation[list[LoadRun]]:
        """The task's load runs, newest first."""
        data = expect_dict((yield Call("GET", "/task/runs", params={"task_id": str(task_id)})), "task runs")
        return [LoadRun.model_validate(r) for r in data.get("runs") or []]

    # --- triggering and waiting ------------------------------------------------------------

    @operation
    def run_task(self, task_id: str, wait: bool = False, timeout: float = 600.0, poll_interval: float = 1.0,
                 on_progress: ProgressCallback | None = None) -> Operation[LoadRun | None]:
        """Start a run of the task now (``POST /task/run``, any schedule); with ``wait`` block until
        that flow run has finished and return its load run. A paused task raises ConflictError."""
        data = expect_dict((yield Call("POST", "/task/run", json={"task_id": str(task_id)})), "task run")
        if not wait:
            return None
        return (yield from Endpoints.wait_for_run.op(self, task_id, (), timeout, poll_interval, on_progress,
                                                     flow_run_id=data.get("flow_run_id")))

    @operation
    def wait_for_run(self, task_id: str, known_run_ids: Iterable[str] = (), timeout: float = 600.0,
                     poll_interval: float = 1.0, on_progress: ProgressCallback | None = None,
                     flow_run_id: str | None = None) -> Operation[LoadRun]:
        """Poll until a run of the task that is not in ``known_run_ids`` (or, given ``flow_run_id``, the
        load run of that Prefect flow run) has finished; return it.

        ``on_progress(files, run)`` is called on every poll with the task's file totals and the
        newest new run (None until the worker has started it). IngestflowTimeoutError past ``timeout``."""
        known = set(known_run_ids)
        deadline = time.monotonic() + timeout
        while True:
            runs = [r for r in (yield from Endpoints.task_runs.op(self, task_id))
                    if r.id not in known and (flow_run_id is None or r.flow_run_id == flow_run_id)]
            newest = runs[0] if runs else None
            if on_progress is not None:
                on_progress((yield from Endpoints.task_files.op(self, task_id, page_size=1)), newest)
            if newest is not None and newest.finished:
                return newest
            if time.monotonic() >= deadline:
                state = f"run {newest.id} is {newest.status}" if newest else "no new run has started"
                raise IngestflowTimeoutError(f"task {task_id}: {state} after {timeout:.0f}s (is a Prefect worker "
                                             "running on pool 'ingestflow'?)")
            yield Sleep(poll_interval)


__all__ = ["CONFIG_FIELDS", "Endpoints", "SOURCE_TYPES", "source_type_of"]
