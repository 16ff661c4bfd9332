"""``/task``: load tasks (seed 002 §数据载入), each backed by a Prefect deployment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ok
from ingestflow.api.schemas.common import int_list, parse_id
from ingestflow.api.schemas.tasks import LoadRunPublic, TaskCreate, TaskDelete, TaskRef, TaskRetry, TaskUpdate
from ingestflow.orchestration import deployments as prefect_ops
from ingestflow.catalog import ops, queries
from ingestflow.errors import Conflict, ValidationFailed
from ingestflow.records import FileStatus, LoadIntervalType, TaskStatus
from ingestflow.api import presenters
from ingestflow.services import tasks as task_service

router = APIRouter(prefix="/task", tags=["tasks"])


def _query_id(request: Request, name: str) -> str:
    """A query id; when repeated (``?task_id={task_id}&task_id=123``), the last numeric one wins."""
    values = [v for v in request.query_params.getlist(name) if v.strip().isdigit()]
    if not values:
        raw = request.query_params.get(name)
        if raw is None:
            raise ValidationFailed(f"{name}: field required")
        return parse_id(raw, name)
    return values[-1].strip()


@router.post("")
def create_task(body: TaskCreate, user: ApiUser) -> dict:
    """Create a load task and its Prefect deployment; a run-once task starts at once."""
    connector = ops.get_connector(body.source_connector_id)
    volume = ops.get_volume(body.volume_id)
    task = task_service.create_task(connector, volume, body.source_config.model_dump(mode="json"), creator=user,
                                name=body.name, process_config=body.process_config or {},
                                config_type=body.config_type, tenant_code=body.tenant_code, org_code=body.org_code)
    return ok({"task_id": task.id})


@router.get("/list")
def list_tasks(
    load_interval_types: Annotated[list[str] | None, Query()] = None,
    status: Annotated[int | None, Query(ge=0, le=4)] = None,
    order_by: str = "",
    is_desc: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict:
    types = int_list(load_interval_types, "load_interval_types", range(0, len(LoadIntervalType)))
    rows, total = queries.list_tasks(interval_types=types, status=status, order_by=order_by, is_desc=is_desc,
                                     page=page, page_size=page_size)
    return ok({"tasks": presenters.tasks_public(rows), "total": total})


@router.get("/get")
def get_task(request: Request) -> dict:
    task = ops.get_task(_query_id(request, "task_id"))
    return ok({"task": presenters.tasks_public([task])[0]})


@router.post("/update")
def update_task(body: TaskUpdate) -> dict:
    """Change a task's load mode and/or uris; its deployment schedule follows."""
    task = ops.get_task(body.task_id)
    source_config = task_service.normalise_source_config(task.source_config)
    cfg = source_config["common_file_task_config"]
    if body.load_mode_config is not None:
        cfg["load_mode_config"] = body.load_mode_config.model_dump(mode="json")
    if body.uris is not None:
        cfg["uris"] = body.uris
    fields: dict = {"source_config": source_config}
    if body.name is not None:
        fields["name"] = body.name
    paused = task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED)
    run_now = prefect_ops.is_run_once(source_config) and not paused and task.deployment_id
    if run_now:
        fields["status"] = int(TaskStatus.RUNNING)
    ops.update_task(task.id, **fields)
    if task.deployment_id:
        try:
            prefect_ops.replace_schedules(task.deployment_id, source_config)
        except BaseException:
            ops.update_task(task.id, source_config=task.source_config, status=task.status)
            raise
        if run_now:
            prefect_ops.run_deployment(task.deployment_id)
    return ok()


def _delete(body: TaskDelete, keep_chunks: bool) -> dict:
    task_service.delete_task(ops.get_task(body.task_id), keep_chunks=body.keep_chunks or keep_chunks)
    return ok()


@router.post("/delete")
def delete_task(body: TaskDelete, keep_chunks: bool = False) -> dict:
    """Delete a task: its deployment, its file rows and (unless keep_chunks) its chunks."""
    return _delete(body, keep_chunks)


@router.post("/delete/", include_in_schema=False)
def delete_task_slash(body: TaskDelete, keep_chunks: bool = False) -> dict:
    return _delete(body, keep_chunks)


@router.post("/pause")
def pause_task(body: TaskRef) -> dict:
    """Pause: no new runs; a run in flight finishes its current files (status 2, then 3)."""
    status = task_service.pause_task(ops.get_task(body.task_id))
    return ok({"status": status})


@router.post("/resume")
def resume_task(body: TaskRef) -> dict:
    status = task_service.resume_task(ops.get_task(body.task_id))
    return ok({"status": status})


@router.post("/run")
def run_task(body: TaskRef) -> dict:
    """Start a run of the task now, whatever its schedule (a Prefect flow run of its deployment).

    Not in seed 002: the programmatic trigger. A paused task must be resumed first (409); a run
    while another is in flight waits for it (runs of one task never overlap)."""
    task = ops.get_task(body.task_id)
    if task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED):
        raise Conflict(f"task {task.id} is paused; resume it first")
    flow_run_id = prefect_ops.run_deployment(task_service.require_deployment(task), {"task_id": task.id})
    return ok({"task_id": task.id, "flow_run_id": flow_run_id})


@router.post("/retry")
def retry_task(body: TaskRetry) -> dict:
    """Re-run failed files (``ids``; empty = every failed file of the task)."""
    task = ops.get_task(body.task_id)
    if body.ids:
        rows = queries.files_by_id(task.id, body.ids)
        not_failed = [r.id for r in rows if r.status != FileStatus.FAILED]
        if not_failed:
            raise ValidationFailed(f"file {not_failed[0]} of task {task.id} has not failed; only failed files retry")
    else:
        rows = ops.task_files(task.id, status=int(FileStatus.FAILED))
    if not rows:
        return ok({"file_ids": [], "flow_run_id": None})
    deployment_id = task_service.require_deployment(task)
    file_ids = [r.id for r in rows]
    queries.set_file_status(file_ids, int(FileStatus.RETRYING))
    try:
        flow_run_id = prefect_ops.run_deployment(deployment_id, {"task_id": task.id, "file_ids": file_ids})
    except BaseException:
        queries.set_file_status(file_ids, int(FileStatus.FAILED))
        raise
    return ok({"file_ids": file_ids, "flow_run_id": flow_run_id})


@router.get("/files")
def task_files(
    request: Request,
    status: Annotated[int | None, Query(ge=0, le=6)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    task = ops.get_task(_query_id(request, "task_id"))
    volume_name = queries.volume_names([task.volume_id]).get(task.volume_id, "")
    rows, total = queries.page_task_files(task.id, status=status, page=page, page_size=page_size)
    counts = ops.file_counts(task.id)
    return ok({"total": total, "total_success": counts.get(int(FileStatus.SUCCESS), 0),
               "total_failed": counts.get(int(FileStatus.FAILED), 0),
               "files": [presenters.file_public(r, volume_name, task.creator) for r in rows]})


@router.get("/runs")
def task_runs(request: Request) -> dict:
    """The task's load runs, newest first (from the catalog; Prefect has the logs)."""
    task = ops.get_task(_query_id(request, "task_id"))
    runs = [LoadRunPublic.model_validate(r, from_attributes=True).model_dump() for r in queries.task_runs(task.id)]
    return ok({"runs": runs, "total": len(runs), "deployment_id": task.deployment_id})
