"""The load flow: list a task's source, then per file parse+split → index into Milvus.

    load_task(task_id)
      ├─ list-source               diff listing vs catalog in bulk: new / changed / unchanged / gone
      ├─ parse+split · <files>     one task run per group of small files (or per big file): each
      │                            file fetched + parsed in a killable child process (per-file
      │                            time limit), then chunked; groups run in parallel
      ├─ index · N chunks          embed a batch across files, upsert (time limit per batch);
      │                            runs while the next groups parse
      └─ finalise                  per batch: drop re-indexed files' old chunks, mark them completed

One failed file never stops the others: it is marked failed (status 4) with its reason.
Chunk ids are deterministic, writes are upserts, and a file's old chunks are removed only
after its new ones are written, so re-running (or resuming after a crash) never duplicates
chunks. Files a dead run left waiting / parsing / indexing are redone by the next run;
``flows/run_guard.py`` has the overlap and missed-run rules.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from ingestflow.flows import run_guard, steps
from ingestflow.flows.parse_pool import ParseJob, parse_pool
from ingestflow.catalog import ops
from ingestflow.catalog.ops import FileRef
from ingestflow.errors import EmbedTimeout, IngestError
from ingestflow.records import Chunk, DocStage, LoadIntervalType, TaskStatus
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


def _reason(exc: BaseException) -> str:
    return (exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}")[:2000]


@dataclass
class ListingPlan:
    """What a run has to do, from diffing the listing against the catalog."""

    to_process: list[FileRef] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)  # file id -> doc id
    listing_error: str = ""


@task(name="list-source", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, retry_condition_fn=_transient)
def list_source(task_id: str, only_file_ids: list[str] | None = None) -> ListingPlan:
    """List the task's uris and diff them against the catalog; returns the files to (re)process."""
    ctx = steps.task_context(task_id)
    plan = ListingPlan(counts={"listed": 0, "new": 0, "changed": 0, "unchanged": 0, "retry": 0, "failed": 0})
    if only_file_ids:
        plan.to_process = ops.file_refs(only_file_ids)
        plan.counts["retry"] = len(plan.to_process)
        return plan
    uris = (ctx.task.source_config.get("common_file_task_config") or {}).get("uris") or []
    seen: set[str] = set()
    items = (item for item in ctx.connector().list(uris=uris) if not item.is_dir)
    try:
        for ref, kind in ops.diff_listing(ctx.task, items, ctx.fingerprint):
            seen.add(ref.id)
            plan.counts["listed"] += 1
            plan.counts[kind] += 1
            if kind in ("new", "changed", "retry"):
                plan.to_process.append(ref)
    except IngestError as exc:
        plan.listing_error = f"listing failed, nothing deleted: {exc.message}"  # a broken listing deletes nothing
        if not seen:
            raise
    if not plan.listing_error:
        plan.gone = {fid: doc for fid, doc in ops.known_file_ids(task_id).items() if fid not in seen}
    return plan


@task(name="parse+split", task_run_name="parse+split · {label}", cache_policy=NONE)
def parse_and_split(task_id: str, refs: list[FileRef], timeout_s: float, retries: int, label: str) -> list[dict[str, Any]]:
    """Fetch + parse a group of files, each in a worker process (killed past ``timeout_s``), then chunk them.

    Returns one outcome per file, in order: ``{"chunks", "bytes"}`` or ``{"error", "started"}``; a
    file's failure is that file's alone. Transient errors (unreachable source) are retried up to
    ``retries`` times. Each file's stage timestamps go to the catalog in one write per group.
    """
    ctx = steps.task_context(task_id)
    settings = get_settings()
    ops.mark_files([{"id": ref.id, **ops.stage_fields(DocStage.PARSING)} for ref in refs])
    pool = parse_pool(settings.parse_workers, settings.parse_nice)
    outcomes: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for ref in refs:
        started = time.time()
        job = ParseJob(ctx.connector_kind, ctx.connector_config, ref.uri, ref.name, ctx.ocr_languages)
        try:
            sections, size = with_retries(lambda job=job: pool.run(job, timeout_s), retries, settings.retry_backoff_s)
            parsed_at = time.time()
            chunks = steps.split_sections(ctx, ref.doc_id, sections)
        except Exception as exc:  # noqa: BLE001 - one file's failure is that file's alone
            outcomes.append({"error": _reason(exc), "started": started})
            continue
        done.append({"id": ref.id, **ops.stage_fields(DocStage.INDEXING), "processing_started_at": started,
                     "start_time": int(started), "parsing_completed_at": parsed_at,
                     "char_count": sum(len(s.text) for s in sections), "segment_count": len(chunks),
                     "completed_segment_count": 0})
        outcomes.append({"chunks": chunks, "bytes": size})
    ops.mark_files(done)
    return outcomes


def with_retries(call: Any, retries: int, backoff_s: list[float]) -> Any:
    """``call()``, retried after ``backoff_s[i]`` seconds while it raises a retryable ``IngestError``."""
    for attempt in range(retries + 1):
        try:
            return call()
        except IngestError as exc:
            if not exc.retryable or attempt >= retries:
                raise
        time.sleep(backoff_s[min(attempt, len(backoff_s) - 1)] if backoff_s else 0)
    raise AssertionError("unreachable")  # pragma: no cover


def group_files(refs: list[FileRef], max_files: int, max_bytes: int, ramp: int = 0) -> list[list[FileRef]]:
    """Consecutive files in groups of at most ``max_files`` and about ``max_bytes`` (a big file alone).

    With ``ramp``, the first ``ramp`` groups hold one file and the next ones double up to
    ``max_files``, so the first chunks reach the embedder early.
    """
    groups: list[list[FileRef]] = []
    group: list[FileRef] = []
    size = 0
    for ref in refs:
        limit = max_files if not ramp else min(max_files, 2 ** max(0, len(groups) - ramp + 1))
        if group and (len(group) >= limit or size + ref.size > max_bytes):
            groups.append(group)
            group, size = [], 0
        group.append(ref)
        size += ref.size
    if group:
        groups.append(group)
    return groups


def _group_label(group: list[FileRef]) -> str:
    if len(group) == 1:
        return group[0].name
    return f"{len(group)} files: {group[0].name} … {group[-1].name}"


_embed_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingestflow-embed")


@task(name="index", task_run_name="index · {n_chunks} chunks", retries=2, retry_delay_seconds=[2, 10],
      cache_policy=NONE, retry_condition_fn=_transient)
def index_chunks(task_id: str, chunks: list[Chunk], meta: dict[str, dict[str, Any]], n_chunks: int,
                 timeout_s: float | None = None) -> int:
    """Embed a batch of chunks across files, within ``timeout_s`` of its start, and upsert them.

    Batches embed one at a time on the embedding thread; one submitted while another embeds
    waits for it (at most ``timeout_s`` too), and upserts run here, off that thread, so the
    embedder never idles between batches.
    """
    limit = timeout_s or get_settings().embed_timeout_s
    ctx = steps.task_context(task_id)
    started = threading.Event()

    def embed() -> list[list[float]]:
        started.set()
        return ctx.embedder().embed_batch([c.text for c in chunks])

    future = _embed_thread.submit(embed)
    if not started.wait(limit) and future.cancel():
        raise EmbedTimeout(f"the embedder stayed busy with an earlier batch for {limit:g} s")
    try:
        vectors = future.result(timeout=limit)
    except FutureTimeout:
        raise EmbedTimeout(f"embedding {n_chunks} chunks took longer than {limit:g} s") from None
    return steps.write_chunks(ctx, chunks, vectors, meta)


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    suffix = "-retry" if params.get("file_ids") else ""
    return f"load-{params['task_id']}{suffix}"


@flow(name="ingestflow-load", flow_run_name=_flow_run_name,
      # threads: 2 parse groups per parse process (one waits, so a process never idles) + 2 index batches
      task_runner=ThreadPoolTaskRunner(max_workers=2 * get_settings().parse_workers + 2),
      log_prints=False)
def load_task(task_id: str, file_ids: list[str] | None = None) -> dict[str, Any]:
    """Run one load of a task; ``file_ids`` restricts it to those files (retry)."""
    from prefect.runtime import flow_run

    flow_run_id = str(flow_run.id) if flow_run.id else None
    ctx = steps.task_context(task_id, refresh=True)
    ctx.embedder()  # a missing model fails the run up front, with the message naming what to install
    lock = run_guard.acquire(task_id)
    if lock is None:
        run_id = ops.start_run(task_id, flow_run_id)
        ops.finish_run(run_id, "skipped", error="another run of this task is in flight")
        return {"task_id": task_id, "run_id": run_id, "skipped": "another run of this task is in flight"}
    try:
        ops.close_dead_runs(task_id, "its process died before it finished (found by the next run)")
        return _run(ctx, task_id, file_ids, flow_run_id)
    finally:
        run_guard.release(lock)


def _run(ctx: steps.TaskContext, task_id: str, file_ids: list[str] | None, flow_run_id: str | None) -> dict[str, Any]:
    logger = get_run_logger()
    due = run_guard.due_time()
    run_id = ops.start_run(task_id, flow_run_id)
    paused = ctx.task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED)
    skip = ""
    if paused and not file_ids:  # a run that was already queued when the task was paused
        skip = "task is paused"
    elif not file_ids and (newer := run_guard.collapsed_by(task_id, due)) is not None:
        skip = f"collapsed: a run in flight when this one was due, or started after, completed ({newer:.0f})"
    if skip:
        logger.info("task %s: skipping this run (%s)", task_id, skip)
        ops.finish_run(run_id, "skipped", error=skip)
        return {"task_id": task_id, "run_id": run_id, "skipped": skip}
    if not paused:
        ops.update_task(task_id, status=int(TaskStatus.RUNNING), start_at=int(time.time()))
    stats = {"chunks_written": 0, "bytes_read": 0, "files_failed": 0, "files_succeeded": 0, "files_deleted": 0}
    try:
        plan = list_source(task_id, file_ids)
        logger.info("task %s: %s, %d file(s) to process", task_id, plan.counts, len(plan.to_process))
        ops.mark_files([{"id": ref.id, **ops.stage_fields(DocStage.WAITING), "reason": ""} for ref in plan.to_process])
        _process_files(ctx, plan.to_process, stats)
        stats["files_deleted"] = _delete_gone(ctx, plan)
    except BaseException as exc:
        ops.finish_run(run_id, "failed", error=str(exc)[:2000], **stats)
        _settle_task_status(task_id)
        raise
    counts = plan.counts
    ops.finish_run(run_id, "completed", files_listed=counts.get("listed", 0), files_added=counts.get("new", 0),
                   files_changed=counts.get("changed", 0) + counts.get("retry", 0),
                   files_skipped=counts.get("unchanged", 0) + counts.get("failed", 0), error=plan.listing_error,
                   **stats)
    _settle_task_status(task_id)
    summary = {"task_id": task_id, "run_id": run_id, **counts, **stats, "listing_error": plan.listing_error}
    _publish_artifact(summary)
    return summary


def _process_files(ctx: steps.TaskContext, refs: list[FileRef], stats: dict[str, int]) -> None:
    """Parse+split groups of files in parallel while batches across files are indexed.

    The flow thread only dispatches: parse groups run in the task runner's threads (each
    driving one parse process) while ``index`` batches embed one after another, the next
    one queued behind the current, so the embedder (the bottleneck on text) never waits.
    """
    settings = get_settings()
    process = ctx.task.process_config or {}
    parse_timeout = float(process.get("parse_timeout_s") or settings.parse_timeout_s)
    embed_timeout = float(process.get("embed_timeout_s") or settings.embed_timeout_s)
    retries = int(process.get("file_retries", settings.file_retries))
    batch_size = settings.embedding_batch_size
    groups = deque(group_files(refs, settings.parse_group_files, settings.parse_group_bytes, ramp=settings.parse_workers))
    _pause_checked.pop(ctx.task.id, None)
    parsing: dict[Any, list[FileRef]] = {}
    window = settings.parse_workers * 2  # groups in flight (the runner has a thread for each, plus two for index)
    buffer: list[Chunk] = []
    meta: dict[str, dict[str, Any]] = {}
    remaining: dict[str, int] = {}  # doc_id -> chunks not yet written
    files: dict[str, tuple[FileRef, list[str]]] = {}  # doc_id -> (file, new chunk ids)
    indexing: dict[Any, list[Chunk]] = {}  # at most two: one embedding, the next queued behind it

    def fail(ref: FileRef, reason: str, started: float | None = None) -> None:
        update = {"id": ref.id, **ops.stage_fields(DocStage.ERROR), "reason": reason[:2000]}
        if started is not None:
            update.update(processing_started_at=started, start_time=int(started))
        ops.mark_files([update])
        stats["files_failed"] += 1

    def take_group(group: list[FileRef], outcomes: list[dict[str, Any]]) -> None:
        empty = []
        for ref, outcome in zip(group, outcomes, strict=True):
            if "error" in outcome:
                fail(ref, outcome["error"], outcome.get("started"))
                continue
            stats["bytes_read"] += outcome["bytes"]
            chunks = outcome["chunks"]
            meta[ref.doc_id] = steps.doc_meta(ctx, ref)
            files[ref.doc_id] = (ref, [c.id for c in chunks])
            remaining[ref.doc_id] = len(chunks)
            buffer.extend(chunks)
            if not chunks:
                empty.append(files.pop(ref.doc_id))
        _finalise(ctx, empty, stats)

    def take_batch(batch: list[Chunk], future: Any) -> None:
        try:
            stats["chunks_written"] += future.result()
        except Exception as exc:  # noqa: BLE001 - the batch's files fail, the load goes on
            for doc_id in {c.doc_id for c in batch}:
                if doc_id in files:
                    fail(files.pop(doc_id)[0], f"indexing failed: {_reason(exc)}")
            return
        for chunk in batch:
            remaining[chunk.doc_id] -= 1
        _finalise(ctx, [files.pop(d) for d, left in list(remaining.items()) if left == 0 and d in files], stats)

    while True:
        # parse ahead while the buffer is short (bounded memory), unless the task is being paused
        while groups and len(parsing) < window and len(buffer) < 8 * batch_size and not _pausing(ctx.task.id):
            group = groups.popleft()
            parsing[parse_and_split.submit(ctx.task.id, group, parse_timeout, retries, _group_label(group))] = group
        last = not parsing and (not groups or _pausing(ctx.task.id))
        while len(indexing) < 2 and buffer and (len(buffer) >= batch_size or last):  # the next batch queues
            batch, buffer[:] = buffer[:batch_size], buffer[batch_size:]
            batch_meta = {doc_id: meta[doc_id] for doc_id in {c.doc_id for c in batch}}  # its own: meta grows meanwhile
            indexing[index_chunks.submit(ctx.task.id, batch, batch_meta, len(batch), embed_timeout)] = batch
        waiting = list(parsing) + list(indexing)
        if not waiting:
            break  # all done (or paused: the rest stays waiting)
        future = next(as_completed(waiting))
        if future in indexing:
            take_batch(indexing.pop(future), future)
            continue
        group = parsing.pop(future)
        try:
            outcomes = future.result()
        except Exception as exc:  # noqa: BLE001 - the group's task failed as a whole: its files fail
            for ref in group:
                fail(ref, _reason(exc))
            continue
        take_group(group, outcomes)


def _finalise(ctx: steps.TaskContext, done: list[tuple[FileRef, list[str]]], stats: dict[str, int]) -> None:
    """These files' new chunks are all written: drop their old ones, then mark them completed."""
    if not done:
        return
    try:
        steps.replace_old_chunks_many(ctx, {ref.doc_id: ids for ref, ids in done})
    except IngestError as exc:
        for ref, _ids in done:
            ops.mark_files([{"id": ref.id, **ops.stage_fields(DocStage.ERROR),
                             "reason": f"could not remove old chunks: {exc.message}"[:2000]}])
        stats["files_failed"] += len(done)
        return
    now = time.time()
    ops.mark_files([{"id": ref.id, **ops.stage_fields(DocStage.COMPLETED, now), "completed_segment_count": len(ids),
                     "indexed_version": f"{ref.source_version}#{ctx.fingerprint}"} for ref, ids in done])
    stats["files_succeeded"] += len(done)


def _delete_gone(ctx: steps.TaskContext, plan: ListingPlan) -> int:
    """Files gone from the source lose their chunks (mirror mode), unless the guard trips."""
    process = ctx.task.process_config or {}
    if not plan.gone or plan.listing_error or process.get("sync_mode", "mirror") != "mirror":
        return 0
    known = plan.counts.get("listed", 0) + len(plan.gone)
    max_fraction = float(process.get("max_delete_fraction", 0.5))
    if known > 4 and len(plan.gone) / known > max_fraction:
        get_run_logger().warning("task %s: %d of %d files gone at once; deleting nothing (guard)",
                                 ctx.task.id, len(plan.gone), known)
        plan.listing_error = (f"deletion guard: {len(plan.gone)} of {known} files gone at once "
                              f"(max_delete_fraction {max_fraction:g}), nothing deleted")
        return 0
    from ingestflow.indexers.milvus_store import ChunkFilter

    store = ctx.store()
    store.ensure()
    doc_ids = sorted(set(plan.gone.values()))
    for i in range(0, len(doc_ids), 500):
        store.delete(ChunkFilter(doc_ids=doc_ids[i:i + 500]))  # chunks first: a crash here leaves rows to retry
    ops.delete_files(list(plan.gone))
    return len(plan.gone)


_pause_checked: dict[str, tuple[float, bool]] = {}


def _pausing(task_id: str, every_s: float = 1.0) -> bool:
    """Whether the task is being paused (read from the catalog at most once a second)."""
    checked = _pause_checked.get(task_id)
    if checked is None or time.monotonic() - checked[0] >= every_s:
        checked = (time.monotonic(), ops.get_task(task_id).status in (TaskStatus.PAUSING, TaskStatus.PAUSED))
        _pause_checked[task_id] = checked
    return checked[1]


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
