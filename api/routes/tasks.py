"""``/task``: load tasks (seed 002 §数据载入), each backed by a Prefect deployment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ingestflow.api import presenters
from ingestflow.api.deps import ApiUser
from ingestflow.api.envelope import ERRORS, Envelope, OkEnvelope, ok
from ingestflow.api.schemas.common import Page, int_list, parse_id
from ingestflow.api.schemas.tasks import (
    LoadRunPublic, RetryStarted, RunList, RunStarted, TaskCreate, TaskCreated, TaskDelete, TaskDetail, TaskFilesPage,
    TaskList, TaskOne, TaskRef, TaskRetry, TaskStatusOut, TaskUpdate,
)
from ingestflow.catalog import catalog
from ingestflow.errors import ValidationFailed
from ingestflow.orchestration import deployments
from ingestflow.records import FileStatus, LoadIntervalType
from ingestflow.services import tasks as task_service

router = APIRouter(prefix="/task", tags=["seed 002: load tasks"], responses=ERRORS)

TaskIdQuery = Annotated[list[str] | None, Query(alias="task_id", description="The task id (19 digits).")]


def _task_id(values: list[str] | None) -> str:
    """The ``task_id`` query value; when repeated (``?task_id={task_id}&task_id=123``), the last numeric one."""
    numeric = [v for v in values or [] if v.strip().isdigit()]
    if numeric:
        return numeric[-1].strip()
    if not values:
        raise ValidationFailed("task_id: field required")
    return parse_id(values[-1], "task_id")


def _get(task_id: str):  # noqa: ANN202
    with catalog() as c:
        return c.tasks.get(task_id)


@router.post("", response_model=Envelope[TaskCreated])
def create_task(body: TaskCreate, user: ApiUser) -> dict:
    """Create a load task and its Prefect deployment; a run-once task starts at once."""
    with catalog() as c:
        connector = c.connectors.get(body.source_connector_id)
        volume = c.volumes.get(body.volume_id)
    task = task_service.create_task(connector, volume, body.source_config, creator=user, name=body.name,
                                    process=body.process_config, config_type=body.config_type,
                                    tenant_code=body.tenant_code, org_code=body.org_code)
    return ok({"task_id": task.id})


@router.get("/list", response_model=Envelope[TaskList])
def list_tasks(
    load_interval_types: Annotated[list[str] | None, Query()] = None,
    status: Annotated[int | None, Query(ge=0, le=4)] = None,
    order_by: str = "",
    is_desc: bool = False,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict:
    """Tasks, filtered by load interval type and status."""
    types = int_list(load_interval_types, "load_interval_types", range(0, len(LoadIntervalType)))
    with catalog() as c:
        rows, total = c.tasks.list(interval_types=types, status=status, order_by=order_by, is_desc=is_desc,
                                   page=page, page_size=page_size)
    return ok({"tasks": presenters.tasks_public(rows), "total": total})


@router.get("/get", response_model=Envelope[TaskOne])
def get_task(task_id: TaskIdQuery = None) -> dict:
    """One task with its source config, its deployment and the deployment's Prefect UI link."""
    task = _get(_task_id(task_id))
    return ok({"task": TaskDetail(**presenters.tasks_public([task])[0].model_dump(), deployment_id=task.deployment_id,
                                  deployment_url=deployments.ui_url("deployment", task.deployment_id))})


@router.post("/update", response_model=OkEnvelope)
def update_task(body: TaskUpdate) -> dict:
    """Change a task's load mode and/or uris; its deployment schedule follows."""
    task_service.update_task(_get(body.task_id), load_mode=body.load_mode_config, uris=body.uris, name=body.name)
    return ok()


def _delete(body: TaskDelete, keep_chunks: bool) -> dict:
    task_service.delete_task(_get(body.task_id), keep_chunks=body.keep_chunks or keep_chunks)
    return ok()


@router.post("/delete", response_model=OkEnvelope)
def delete_task(body: TaskDelete, keep_chunks: bool = False) -> dict:
    """Delete a task: its deployment, its file rows and (unless keep_chunks) its chunks."""
    return _delete(body, keep_chunks)


@router.post("/delete/", include_in_schema=False)
def delete_task_slash(body: TaskDelete, keep_chunks: bool = False) -> dict:
    return _delete(body, keep_chunks)


@router.post("/pause", response_model=Envelope[TaskStatusOut])
def pause_task(body: TaskRef) -> dict:
    """Pause: no new runs; a run in flight finishes its current files (status 2, then 3)."""
    return ok({"status": task_service.pause_task(_get(body.task_id))})


@router.post("/resume", response_model=Envelope[TaskStatusOut])
def resume_task(body: TaskRef) -> dict:
    """Resume a paused task (a run-once task runs for the files it has left)."""
    return ok({"status": task_service.resume_task(_get(body.task_id))})


@router.post("/run", response_model=Envelope[RunStarted])
def run_task(body: TaskRef) -> dict:
    """Start a run of the task now, whatever its schedule (a Prefect flow run of its deployment).

    Not in seed 002: the programmatic trigger. A paused task must be resumed first (409); a run
    while another is in flight waits for it (runs of one task never overlap)."""
    task = _get(body.task_id)
    return ok({"task_id": task.id, "flow_run_id": task_service.run_task(task)})


@router.post("/retry", response_model=Envelope[RetryStarted])
def retry_task(body: TaskRetry) -> dict:
    """Re-run failed files (``ids``; empty = every failed file of the task)."""
    file_ids, flow_run_id = task_service.retry_task(_get(body.task_id), list(body.ids))
    return ok({"file_ids": file_ids, "flow_run_id": flow_run_id})


@router.get("/files", response_model=Envelope[TaskFilesPage])
def task_files(
    task_id: TaskIdQuery = None,
    status: Annotated[int | None, Query(ge=0, le=6)] = None,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """A task's files with status, stage, segments and failure reason."""
    with catalog() as c:
        task = c.tasks.get(_task_id(task_id))
        volume_name = c.volumes.names([task.volume_id]).get(task.volume_id, "")
        rows, total = c.files.list(task.id, status=status, page=page, page_size=page_size)
        counts = c.files.counts(task.id)
    return ok({"total": total, "total_success": counts.get(int(FileStatus.SUCCESS), 0),
               "total_failed": counts.get(int(FileStatus.FAILED), 0),
               "files": [presenters.file_public(r, volume_name, task.creator) for r in rows]})


@router.get("/runs", response_model=Envelope[RunList])
def task_runs(task_id: TaskIdQuery = None) -> dict:
    """The task's load runs, newest first (from the catalog; Prefect has the logs)."""
    with catalog() as c:
        task = c.tasks.get(_task_id(task_id))
        runs = [LoadRunPublic.model_validate(r, from_attributes=True) for r in c.runs.of_task(task.id)]
    for run in runs:
        run.prefect_url = deployments.ui_url("flow-run", run.flow_run_id)
    return ok({"runs": runs, "total": len(runs), "deployment_id": task.deployment_id,
               "deployment_url": deployments.ui_url("deployment", task.deployment_id)})
