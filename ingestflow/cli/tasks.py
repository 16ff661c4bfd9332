"""``ingestflow tasks …``: load tasks of a running API (create, inspect, pause/resume, retry, run and wait)."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingestflow.cli.remote import (
    DEFAULT_API_KEY, DEFAULT_API_URL, FILE_STATUS, TASK_STATUS, ApiKey, ApiUrl, AsJson, _api, _done, _emit, _volume_id,
    console,
)
from ingestflow.client.models import LoadRun, TaskFiles

tasks_app = typer.Typer(help="Load tasks of a running API.", no_args_is_help=True)


def _when(ts: float | int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


@tasks_app.command("list")
def tasks_list(status: int = typer.Option(None, help="0–4 (1 running, 3 paused, 4 completed)."), page: int = 1,
               page_size: int = 50, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
               as_json: AsJson = False) -> None:
    """List load tasks."""
    with _api(api_url, api_key) as api:
        page_ = api.list_tasks(status=status, page=page, page_size=page_size)
    _emit(page_, as_json, f"tasks ({page_.total})", ("id", "name", "connector", "volume", "interval", "status"),
          lambda: [(t.id, t.name, t.source_connector_id, t.volume_name, t.load_interval_type,
                    TASK_STATUS.get(t.status, t.status)) for t in page_.items])


@tasks_app.command("create")
def tasks_create(connector: int = typer.Option(..., help="Source connector id."),
                 volume: str = typer.Option(..., help="Target volume id or name."),
                 uri: list[str] = typer.Option(None, "--uri", help="Source uri (repeatable); none = everything."),
                 interval_type: int = typer.Option(4, help="1 daily, 2 hourly, 3 minute, 4 once, 5–11 MOI."),
                 interval: int = typer.Option(0, help="Multiplier of the unit."), name: str = "",
                 api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Create a load task (a run-once task starts at once); prints its id."""
    with _api(api_url, api_key) as api:
        task_id = api.create_task(connector, _volume_id(api, volume), uris=uri or [], load_interval_type=interval_type,
                                  interval=interval, name=name)
    _done(as_json, task_id=task_id)


@tasks_app.command("get")
def tasks_get(task_id: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
              as_json: AsJson = False) -> None:
    """One task with its source config."""
    with _api(api_url, api_key) as api:
        task = api.get_task(task_id)
    _emit(task, as_json, f"task {task.id} ({TASK_STATUS.get(task.status, task.status)})")


def _pause_or_resume(task_id: str, pause: bool, api_url: str, api_key: str, as_json: bool) -> None:
    with _api(api_url, api_key) as api:
        status = api.pause_task(task_id) if pause else api.resume_task(task_id)
    _done(as_json, task_id=task_id, status=status, state=TASK_STATUS.get(status, ""))


@tasks_app.command("pause")
def tasks_pause(task_id: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                as_json: AsJson = False) -> None:
    """Pause: no new runs; a run in flight finishes its current files."""
    _pause_or_resume(task_id, True, api_url, api_key, as_json)


@tasks_app.command("resume")
def tasks_resume(task_id: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                 as_json: AsJson = False) -> None:
    """Resume a paused task."""
    _pause_or_resume(task_id, False, api_url, api_key, as_json)


@tasks_app.command("retry")
def tasks_retry(task_id: str, file_id: list[str] = typer.Option(None, "--file", help="Failed file id (repeatable)."),
                api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Re-run failed files (all failed files when no --file)."""
    with _api(api_url, api_key) as api:
        result = api.retry_task(task_id, file_id or [])
    _emit(result, as_json, f"retry of task {task_id}")


@tasks_app.command("delete")
def tasks_delete(task_id: str, keep_chunks: bool = typer.Option(False, help="Keep the task's chunks in Milvus."),
                 api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Delete a task, its Prefect deployment and (unless --keep-chunks) its chunks."""
    with _api(api_url, api_key) as api:
        api.delete_task(task_id, keep_chunks=keep_chunks)
    _done(as_json, deleted=task_id)


@tasks_app.command("files")
def tasks_files(task_id: str, status: int = typer.Option(None, help="Only this file status (4 failed, 5 success)."),
                page: int = 1, page_size: int = 100, api_url: ApiUrl = DEFAULT_API_URL,
                api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """A task's files with status, stage, segments and failure reason."""
    with _api(api_url, api_key) as api:
        files = api.task_files(task_id, status=status, page=page, page_size=page_size)
    _emit(files, as_json, f"task {task_id}: {files.total} file(s), {files.total_success} ok, {files.total_failed} failed",
          ("id", "path", "status", "stage", "segments", "reason"),
          lambda: [(f.id, f.path, FILE_STATUS.get(f.status, f.status), f.stage, f.segment_count, f.reason[:100])
                   for f in files.files])


def _runs_rows(runs: list[LoadRun]) -> list[tuple]:
    return [(r.id, r.status, _when(r.started_at), r.files_listed, r.files_added, r.files_changed, r.files_succeeded,
             r.files_failed, r.chunks_written, r.error[:80]) for r in runs]


RUN_COLUMNS = ("run", "status", "started", "listed", "new", "changed", "ok", "failed", "chunks", "error")


@tasks_app.command("runs")
def tasks_runs(task_id: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
               as_json: AsJson = False) -> None:
    """A task's load runs, newest first."""
    with _api(api_url, api_key) as api:
        runs = api.task_runs(task_id)
    _emit(runs, as_json, f"runs of task {task_id}", RUN_COLUMNS, lambda: _runs_rows(runs))


@tasks_app.command("run")
def tasks_run(task_id: str, wait: bool = typer.Option(False, "--wait", help="Wait for the run to finish."),
              timeout: float = typer.Option(600, help="Seconds to wait at most."),
              api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Start a run of the task now (any schedule); with --wait show progress and the run's summary
    (exit code 1 when the run failed or files failed)."""
    with _api(api_url, api_key) as api:
        if not wait:
            api.run_task(task_id)
            _done(as_json, task_id=task_id, started=True)
            return
        if as_json:
            run = api.run_task(task_id, wait=True, timeout=timeout)
        else:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=True) as progress:
                bar = progress.add_task("waiting for the worker", total=None)

                def show(files: TaskFiles, current: LoadRun | None) -> None:
                    label = f"run {current.status}" if current else "waiting for the worker"
                    progress.update(bar, description=label, total=files.total or None,
                                    completed=files.total_success + files.total_failed)

                run = api.run_task(task_id, wait=True, timeout=timeout, on_progress=show)
    _emit(run, as_json, f"run {run.id} of task {task_id}", RUN_COLUMNS, lambda: _runs_rows([run]))
    if run.status != "completed" or run.files_failed:
        raise typer.Exit(code=1)
