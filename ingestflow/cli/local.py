"""The local commands: ``load`` a folder, ``search`` a volume, ``status`` of a task (the data dir, no server).

``ingestflow load`` runs the load flow in this process on the embedded defaults (Prefect's
ephemeral API, Milvus Lite file, SQLite catalog): nothing to start first.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingestflow.catalog import catalog
from ingestflow.errors import IngestError, ValidationFailed
from ingestflow.services.local import ensure_local_task
from ingestflow.settings import prepare_environment
from ingestflow.tenancy import ADMIN

console = Console()
STATUS_NAMES = {0: "unknown", 1: "waiting", 2: "processing", 3: "paused", 4: "failed", 5: "success", 6: "retrying"}


def _fail(exc: IngestError) -> None:
    console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    raise typer.Exit(code=2)


def load(
    path: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder to load (recursive)."),
    volume: str = typer.Option("default", "--volume", "-v", help="Target volume (created when missing)."),
    ext: list[str] = typer.Option(None, "--ext", help="Only these extensions (repeatable), e.g. --ext .pdf"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load a folder into a volume: parse, chunk, embed and write to Milvus."""
    prepare_environment()
    try:
        task_id = ensure_local_task(path, volume, ext or None)
        summary = _run_with_progress(task_id, quiet=as_json)
    except IngestError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    # the title on its own line: as a table title it wraps to the narrow table's width
    console.print(f"[bold]load task {task_id} → volume {volume!r}[/bold]")
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("listed", "new", "changed", "unchanged", "retry", "files_succeeded", "files_failed", "files_deleted",
                "chunks_written", "bytes_read", "seconds"):
        table.add_row(key, str(summary.get(key, 0)))
    console.print(table)
    _print_failures(task_id)


def _run_with_progress(task_id: str, quiet: bool) -> dict:
    from prefect import tags

    from ingestflow.flows.context import task_context
    from ingestflow.flows.load import load_task

    ctx = task_context(task_id, refresh=True)
    run_tags = tags(f"task:{task_id}", f"connector:{ctx.connector_kind}", f"volume:{ctx.volume.name}")
    started = time.perf_counter()
    stop = threading.Event()

    def poll(progress: Progress, bar) -> None:  # noqa: ANN001
        while not stop.wait(0.5):
            with catalog() as c:
                counts = c.files.counts(task_id)
            total = sum(counts.values())
            progress.update(bar, total=total or None, completed=counts.get(4, 0) + counts.get(5, 0))

    if quiet:
        with run_tags:
            summary = load_task(task_id)
    else:
        with Progress(TextColumn("[bold]loading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            bar = progress.add_task("files", total=None)
            watcher = threading.Thread(target=poll, args=(progress, bar), daemon=True)
            watcher.start()
            try:
                with run_tags:
                    summary = load_task(task_id)
            finally:
                stop.set()
                watcher.join()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def _print_failures(task_id: str) -> None:
    with catalog() as c:
        failed = c.files.of_task(task_id, status=4)
    if failed:
        table = Table(title="failed files")
        table.add_column("file")
        table.add_column("reason")
        for row in failed:
            table.add_row(row.uri, row.reason)
        console.print(table)


def search(
    query: str = typer.Argument(..., help="What to look for."),
    volume: str = typer.Option("default", "--volume", "-v", help="Volume name or id."),
    mode: str = typer.Option("hybrid", "--mode", "-m", help="semantic | full_text | hybrid"),
    k: int = typer.Option(5, "--k", "-k", help="Number of results."),
    score: float = typer.Option(None, "--score", help="Drop results scoring below this."),
    tenant: str = typer.Option(None, "--tenant", help="Only chunks of this tenant_code."),
    org: str = typer.Option(None, "--org", help="Only chunks of this org_code."),
    as_json: bool = typer.Option(False, "--json", help="Print results as JSON."),
) -> None:
    """Search a volume."""
    prepare_environment()
    from ingestflow.indexers.search import STRATEGIES
    from ingestflow.services.search import SearchRequest
    from ingestflow.services.search import search as run_search

    try:
        if mode.replace("-", "_") not in STRATEGIES:
            raise ValidationFailed(f"unknown retrieval strategy {mode!r}: use one of {', '.join(STRATEGIES)}")
        with catalog() as c:
            vol = c.volumes.by_name_or_id(volume)
        hits = run_search(ADMIN, SearchRequest(query=query, volume_ids=[vol.id], mode=mode.replace("-", "_"), k=k,
                                               score=score, tenant_code=tenant, org_code=org, source="CLI"),
                          record=None)
    except IngestError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False))
        return
    table = Table(title=f"{mode} search in {vol.name!r}: {query}")
    for col in ("#", "score", "document", "page", "content"):
        table.add_column(col)
    for i, hit in enumerate(hits, 1):
        table.add_row(str(i), f"{hit.score:.4f}", hit.document["uri"], str(hit.page or ""),
                      hit.content[:160].replace("\n", " "))
    console.print(table)


def status(
    task_id: str = typer.Argument(..., help="Load task id."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show a load task's files and their status."""
    prepare_environment()
    try:
        with catalog() as c:
            task = c.tasks.get(task_id)
            files = c.files.of_task(task_id)
    except IngestError as exc:
        _fail(exc)
    rows = [{"id": f.id, "uri": f.uri, "status": f.status, "stage": f.stage, "segments": f.segment_count,
             "reason": f.reason} for f in files]
    if as_json:
        print(json.dumps({"task_id": task.id, "status": task.status, "files": rows}, ensure_ascii=False))
        return
    table = Table(title=f"task {task.id} (status {task.status})")
    for col in ("file", "status", "stage", "segments", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["uri"], STATUS_NAMES.get(r["status"], str(r["status"])), r["stage"], str(r["segments"]),
                      r["reason"][:120])
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``load``, ``search`` and ``status`` to the command line."""
    for command in (load, search, status):
        app.command()(command)
