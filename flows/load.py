"""The load flow: list a task's source, then per file parse → split → index into Milvus.

    load_task(task_id)
      ├─ list-source            diff listing vs catalog: new / changed / unchanged / gone
      ├─ parse  (per file)      fetch + unstructured/OCR        } in a thread pool, overlapped
      ├─ split  (per file)      chunk with the model tokenizer  } with indexing
      ├─ index  (per batch)     embed a batch across files, upsert
      └─ finalise               drop each re-indexed file's old chunks, mark it completed

One failed file never stops the others: it is marked failed (status 4) with its reason.
Chunk ids are deterministic, writes are upserts, and a file's old chunks are removed only
after its new ones are written, so re-running a load never duplicates chunks.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows import steps
from ingestflow.catalog import ops
from ingestflow.errors import IngestError
from ingestflow.records import Chunk, DocStage, FileStatus, LoadIntervalType, Section, TaskStatus
from ingestflow.settings import get_settings


def _transient(task_obj, task_run, state) -> bool:  # noqa: ANN001
    """Retry only errors that may pass (unreachable source); a corrupt file fails at once."""
    try:
        state.result()
    except IngestError as exc:
        return exc.retryable
    except Exception:  # noqa: BLE001 - unknown errors get the retries
        return True
    return False


@dataclass
class ListingPlan:
    """What a run has to do, from diffing the listing against the catalog."""

    to_process: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    listing_error: str = ""


@task(name="list-source", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, retry_condition_fn=_transient)
def list_source(task_id: str, only_file_ids: list[str] | None = None) -> ListingPlan:
    """List the task's uris and record each item; returns the files to (re)process."""
    ctx = steps.task_context(task_id)
    plan = ListingPlan(counts={"listed": 0, "new": 0, "changed": 0, "unchanged": 0, "retry": 0, "failed": 0})
    if only_file_ids:
        plan.to_process = [ops.get_file(fid).id for fid in only_file_ids]
        plan.counts["retry"] = len(plan.to_process)
        return plan
    uris = (ctx.task.source_config.get("common_file_task_config") or {}).get("uris") or []
    seen: set[str] = set()
    try:
        for item in ctx.connector().list(uris=uris):
            if item.is_dir:
                continue
            file_id, kind = ops.sync_listing(ctx.task, item, ctx.fingerprint)
            seen.add(file_id)
            plan.counts["listed"] += 1
            plan.counts[kind] += 1
            if kind in ("new", "changed", "retry"):
                plan.to_process.append(file_id)
    except IngestError as exc:
        plan.listing_error = exc.message  # a listing that ended in error deletes nothing
        if not seen:
            raise
    if not plan.listing_error:
        plan.gone = [row.id for row in ops.task_files(task_id) if row.id not in seen]
    return plan


@task(name="parse", task_run_name="parse-{file_id}", retries=2, retry_delay_seconds=[1, 5],
      cache_policy=NONE, retry_condition_fn=_transient)
def parse_document(task_id: str, file_id: str) -> tuple[list[Section], int]:
    """Fetch and parse one file (stage: parsing)."""
    ctx = steps.task_context(task_id)
    row = ops.get_file(file_id)
    ops.mark_stage(file_id, DocStage.PARSING)
    sections, size = steps.fetch_and_parse(ctx, row.uri, row.name)
    ops.mark_stage(file_id, DocStage.SPLITTING, char_count=sum(len(s.text) for s in sections))
    return sections, size


@task(name="split", task_run_name="split-{file_id}", cache_policy=NONE)
def split_document(task_id: str, file_id: str, sections: list[Section]) -> list[Chunk]:
    """Chunk one parsed file (stage: splitting)."""
    ctx = steps.task_context(task_id)
    chunks = steps.split_sections(ctx, ops.get_file(file_id).doc_id, sections)
    ops.mark_stage(file_id, DocStage.INDEXING, segment_count=len(chunks), completed_segment_count=0)
    return chunks


@task(name="prepare", task_run_name="prepare-{file_id}", cache_policy=NONE)
def prepare_document(task_id: str, file_id: str) -> dict[str, Any]:
    """parse → split for one file; failures are returned, not raised, so other files go on."""
    try:
        sections, size = parse_document(task_id, file_id)
        chunks = split_document(task_id, file_id, sections)
    except Exception as exc:  # noqa: BLE001 - any failure of one file is that file's failure
        reason = exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
        ops.mark_stage(file_id, DocStage.ERROR, reason=reason[:2000])
        return {"file_id": file_id, "error": reason, "chunks": [], "bytes": 0}
    return {"file_id": file_id, "error": "", "chunks": chunks, "bytes": size}


@task(name="index", task_run_name="index-{n_chunks}-chunks", retries=2, retry_delay_seconds=[2, 10],
      cache_policy=NONE, retry_condition_fn=_transient)
def index_chunks(task_id: str, chunks: list[Chunk], meta: dict[str, dict[str, Any]], n_chunks: int) -> int:
    """Embed a batch of chunks across files and upsert them (stage: indexing)."""
    return steps.embed_and_write(steps.task_context(task_id), chunks, meta)


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    suffix = "-retry" if params.get("file_ids") else ""
    return f"load-{params['task_id']}{suffix}"


@flow(name="ingestflow-load", flow_run_name=_flow_run_name,
      task_runner=ThreadPoolTaskRunner(max_workers=get_settings().parse_workers),
      log_prints=False)
def load_task(task_id: str, file_ids: list[str] | None = None) -> dict[str, Any]:
    """Run one load of a task; ``file_ids`` restricts it to those files (retry)."""
    logger = get_run_logger()
    from prefect.runtime import flow_run

    ctx = steps.task_context(task_id, refresh=True)
    ctx.embedder()  # a missing model fails the run up front, with the message naming what to install
    paused = ctx.task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED)
    run_id = ops.start_run(task_id, str(flow_run.id) if flow_run.id else None)
    if paused and not file_ids:  # a run that was already queued when the task was paused
        logger.info("task %s is paused: skipping this run", task_id)
        ops.finish_run(run_id, "skipped", error="task is paused")
        return {"task_id": task_id, "run_id": run_id, "skipped": "task is paused"}
    if not paused:
        ops.update_task(task_id, status=int(TaskStatus.RUNNING), start_at=int(time.time()))
    stats = {"chunks_written": 0, "bytes_read": 0, "files_failed": 0, "files_succeeded": 0, "files_deleted": 0}
    try:
        plan = list_source(task_id, file_ids)
        logger.info("task %s: %s, %d file(s) to process", task_id, plan.counts, len(plan.to_process))
        for fid in plan.to_process:
            ops.mark_file(fid, status=int(FileStatus.WAITING), stage=DocStage.WAITING.value, reason="")
        _process_files(ctx, plan.to_process, stats)
        stats["files_deleted"] = _delete_gone(ctx, plan)
        status = "completed"
    except BaseException as exc:
        ops.finish_run(run_id, "failed", error=str(exc)[:2000], **stats)
        _settle_task_status(task_id)
        raise
    counts = plan.counts
    ops.finish_run(run_id, status, files_listed=counts.get("listed", 0), files_added=counts.get("new", 0),
                   files_changed=counts.get("changed", 0),
                   files_skipped=counts.get("unchanged", 0) + counts.get("failed", 0), error=plan.listing_error,
                   **stats)
    _settle_task_status(task_id)
    summary = {"task_id": task_id, "run_id": run_id, **counts, **stats, "listing_error": plan.listing_error}
    _publish_artifact(summary)
    return summary


def _process_files(ctx: steps.TaskContext, file_ids: list[str], stats: dict[str, int]) -> None:
    """Prepare files in parallel and index their chunks in batches across files."""
    settings = get_settings()
    pending = deque(file_ids)
    inflight: dict[Any, str] = {}
    window = settings.parse_workers * 3  # queued files keep the parse threads busy while a batch embeds
    buffer: list[Chunk] = []
    meta: dict[str, dict[str, Any]] = {}
    remaining: dict[str, int] = {}  # doc_id -> chunks not yet written
    files: dict[str, tuple[str, list[str]]] = {}  # doc_id -> (file_id, new chunk ids)

    def flush() -> None:
        nonlocal buffer
        if not buffer:
            return
        batch, buffer = buffer, []
        try:
            stats["chunks_written"] += index_chunks(ctx.task.id, batch, meta, len(batch))
        except Exception as exc:  # noqa: BLE001 - the batch's files fail, the load goes on
            reason = exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
            for doc_id in {c.doc_id for c in batch}:
                if doc_id in files:
                    ops.mark_stage(files.pop(doc_id)[0], DocStage.ERROR, reason=f"indexing failed: {reason}"[:2000])
                    stats["files_failed"] += 1
            return
        for chunk in batch:
            remaining[chunk.doc_id] -= 1
        for doc_id in [d for d, left in remaining.items() if left == 0 and d in files]:
            _finalise(ctx, doc_id, files.pop(doc_id), stats)

    while pending or inflight:
        while pending and len(inflight) < window and not _pausing(ctx.task.id):
            fid = pending.popleft()
            inflight[prepare_document.submit(ctx.task.id, fid)] = fid
        if not inflight:
            break  # paused: leave the rest waiting
        for future in as_completed(list(inflight)):
            inflight.pop(future)
            result = future.result()
            if result["error"]:
                stats["files_failed"] += 1
                continue
            stats["bytes_read"] += result["bytes"]
            row = ops.get_file(result["file_id"])
            meta[row.doc_id] = steps.doc_meta(ctx, row)
            chunks = result["chunks"]
            files[row.doc_id] = (row.id, [c.id for c in chunks])
            remaining[row.doc_id] = len(chunks)
            buffer.extend(chunks)
            if not chunks:
                _finalise(ctx, row.doc_id, files.pop(row.doc_id), stats)
            break  # one at a time: refill the window before waiting again
        if len(buffer) >= settings.embedding_batch_size or (not pending and len(inflight) == 0):
            flush()
    flush()


def _finalise(ctx: steps.TaskContext, doc_id: str, entry: tuple[str, list[str]], stats: dict[str, int]) -> None:
    """All new chunks are written: drop the file's old ones, then mark it completed."""
    file_id, new_ids = entry
    try:
        steps.replace_old_chunks(ctx, doc_id, new_ids)
    except IngestError as exc:
        ops.mark_stage(file_id, DocStage.ERROR, reason=f"could not remove old chunks: {exc.message}")
        stats["files_failed"] += 1
        return
    row = ops.get_file(file_id)
    ops.mark_stage(file_id, DocStage.COMPLETED, completed_segment_count=len(new_ids),
                   indexed_version=f"{row.source_version}#{ctx.fingerprint}")
    stats["files_succeeded"] += 1


def _delete_gone(ctx: steps.TaskContext, plan: ListingPlan) -> int:
    """Files gone from the source lose their chunks (mirror mode), unless the guard trips."""
    mode = (ctx.task.process_config or {}).get("sync_mode", "mirror")
    if not plan.gone or plan.listing_error or mode != "mirror":
        return 0
    known = plan.counts.get("listed", 0) + len(plan.gone)
    max_fraction = float((ctx.task.process_config or {}).get("max_delete_fraction", 0.5))
    if known > 4 and len(plan.gone) / known > max_fraction:
        get_run_logger().warning("task %s: %d of %d files gone at once; deleting nothing (guard)",
                                 ctx.task.id, len(plan.gone), known)
        plan.listing_error = f"deletion guard: {len(plan.gone)} of {known} files gone at once, nothing deleted"
        return 0
    from indexers.milvus_store import ChunkFilter
    from ingestflow.catalog.db import session_scope
    from ingestflow.catalog.models import TaskFile

    store = ctx.store()
    store.ensure()
    for fid in plan.gone:
        row = ops.get_file(fid)
        store.delete(ChunkFilter(doc_ids=[row.doc_id]))
        with session_scope() as s:
            s.delete(s.get(TaskFile, fid))
    return len(plan.gone)


def _pausing(task_id: str) -> bool:
    return ops.get_task(task_id).status in (TaskStatus.PAUSING, TaskStatus.PAUSED)


def _settle_task_status(task_id: str) -> None:
    """After a run: pausing → paused; a run-once task → completed; a scheduled one stays runnable."""
    task = ops.get_task(task_id)
    interval = (task.source_config.get("common_file_task_config") or {}).get("load_mode_config") or {}
    if task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED):
        status = TaskStatus.PAUSED
    elif int(interval.get("load_interval_type") or LoadIntervalType.ONCE) in (LoadIntervalType.ONCE, LoadIntervalType.UNKNOWN):
        status = TaskStatus.COMPLETED
    else:
        status = TaskStatus.RUNNING
    ops.update_task(task_id, status=int(status), end_at=int(time.time()))


def _publish_artifact(summary: dict[str, Any]) -> None:
    """A markdown table of the run on the flow run (Prefect UI → Artifacts)."""
    try:
        from prefect.artifacts import create_markdown_artifact

        rows = "\n".join(f"| {k} | {v} |" for k, v in summary.items())
        create_markdown_artifact(markdown=f"| field | value |\n|---|---|\n{rows}\n",
                                 key=f"load-{summary['task_id']}", description="ingestflow load run")
    except Exception:  # noqa: BLE001, S110 - an artifact is a nicety; the run already succeeded
        pass
