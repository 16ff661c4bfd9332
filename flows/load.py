"""The load flow: list a task's source, then per file parse+split → index into Milvus.

    load_task(task_id)
      ├─ list-source               diff listing vs catalog in bulk: new / changed / unchanged / gone
      ├─ parse+split · <files>     one task run per group of small files (or per big file): each
      │                            file fetched + parsed in a killable child process (per-file
      │                            time limit), then chunked; groups run in parallel
      ├─ index · N chunks          embed a batch across files, upsert (time limit per batch);
      │                            runs while the next groups parse (``flows/pipeline.py``)
      └─ finalise                  per batch: drop re-indexed files' old chunks, mark them completed

One failed file never stops the others: it is marked failed (status 4) with its reason. An outage
(Milvus or the source unreachable) is not the file's failure: its files stay waiting, the run starts
no new work and ends failed, and the next run retries them.
Chunk ids are deterministic, writes are upserts, and a file's old chunks are removed only
after its new ones are written, so re-running (or resuming after a crash) never duplicates
chunks. A run holds its task's lease (heartbeat) while it works; a dead run's files are put back to waiting
by the reaper and redone by the next run. ``flows/run_guard.py`` has the lease, reaper, overlap and
missed-run rules. State changes go through
``catalog.lifecycle``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from ingestflow.catalog import FileRef, catalog, lifecycle
from ingestflow.catalog.listing import diff_listing
from ingestflow.errors import EmbedTimeout, IngestError, ProviderUnavailable
from ingestflow.flows import report, run_guard
from ingestflow.flows.context import TaskContext, task_context
from ingestflow.flows.parse_pool import ParseJob, parse_pool
from ingestflow.flows.pipeline import (LoadPipeline, LoadStats, group_files, group_label, is_outage, reason_of,
                                       with_retries)
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.records import Chunk
from ingestflow.scrub import scrubbed
from ingestflow.settings import get_settings

report.quiet_failed_files()


def worker_name() -> str:
    """``host/worker``: the Prefect worker that started this flow run (it sets ``PREFECT__WORKER_NAME``
    in the run's environment), or ``host/pid-N`` for a run started in-process."""
    import os
    import socket

    return f"{socket.gethostname()}/{os.environ.get('PREFECT__WORKER_NAME') or f'pid-{os.getpid()}'}"


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

    to_process: list[FileRef] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)  # file id -> doc id
    listing_error: str = ""


@task(name="list-source", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, retry_condition_fn=_transient)
@scrubbed
def list_source(task_id: str, only_file_ids: list[str] | None = None) -> ListingPlan:
    """List the task's uris and diff them against the catalog; returns the files to (re)process."""
    ctx = task_context(task_id)
    plan = ListingPlan(counts={"listed": 0, "new": 0, "changed": 0, "unchanged": 0, "retry": 0, "failed": 0,
                               "backoff": 0})
    if only_file_ids:
        with catalog() as c:
            plan.to_process = c.files.refs(only_file_ids)
        plan.counts["retry"] = len(plan.to_process)
        return plan
    seen: set[str] = set()
    items = (item for item in ctx.connector().list(uris=ctx.task.source.uris) if not item.is_dir)
    try:
        for ref, kind in diff_listing(ctx.task, items, ctx.fingerprint):
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
        with catalog() as c:
            plan.gone = {fid: doc for fid, doc in c.files.known(task_id).items() if fid not in seen}
    return plan


@task(name="parse+split", task_run_name="parse+split · {label}", cache_policy=NONE)
@scrubbed
def parse_and_split(task_id: str, refs: list[FileRef], timeout_s: float, retries: int, label: str) -> list[dict[str, Any]]:
    """Fetch + parse a group of files, each in a worker process (killed past ``timeout_s``), then chunk them.

    Returns one outcome per file, in order: ``{"chunks", "bytes", "version"}`` (the version of the bytes
    read, "" if unknown) or ``{"error", "started", "outage"}``; a
    file's failure is that file's alone. Transient errors (unreachable source) are retried up to
    ``retries`` times. Each file's stage timestamps go to the catalog in one write per group.
    """
    ctx = task_context(task_id)
    settings = get_settings()
    with catalog() as c:
        c.files.mark(lifecycle.parsing(refs))
        c.files.attempt([r.id for r in refs], worker_name())
    pool = parse_pool(settings.parse_workers, settings.parse_nice)
    clock = report.of(task_id)
    outcomes: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for ref in refs:
        started = time.time()
        job = ParseJob(ctx.connector_kind, ctx.connector_config, ref.uri, ref.name, ctx.ocr_languages, ctx.ocr_engine)
        try:
            sections, size, version = with_retries(lambda job=job: pool.run(job, timeout_s), retries,
                                                   settings.retry_backoff_s)
            parsed_at = time.time()
            chunks = ctx.split(ref.doc_id, sections)
        except Exception as exc:  # noqa: BLE001 - one file's failure is that file's alone
            outcomes.append({"error": reason_of(exc), "started": started, "outage": is_outage(exc)})
            clock.add("parse", time.time() - started)
            continue
        ocr_s = getattr(pool.last, "ocr_s", 0.0)
        clock.add("OCR", ocr_s)
        clock.add("parse", time.time() - started - ocr_s)
        done.append(lifecycle.split(ref, started, parsed_at, sum(len(s.text) for s in sections), len(chunks)))
        outcomes.append({"chunks": chunks, "bytes": size, "version": version})
    with catalog() as c:
        c.files.mark(done)
    failed = [(ref.name, o["error"]) for ref, o in zip(refs, outcomes, strict=True) if "error" in o and not o["outage"]]
    if failed:  # not green in the UI; the outcomes still go back (PrefectRunner reads them), the flow goes on
        from prefect.states import Failed

        return Failed(name=report.FAILED_FILE, data=outcomes,
                      message="; ".join(f"{name}: {why}" for name, why in failed)[:1000])
    return outcomes


class EmbedderThread:
    """The one thread that embeds, so batches embed one at a time and a stuck model can be timed out.

    A batch submitted while another embeds waits for it (within its own time limit too); upserts
    run in the index task's thread, off this one, so the embedder never idles between batches.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingestflow-embed")

    def embed(self, ctx: TaskContext, texts: list[str], limit_s: float) -> list[list[float]]:
        started = threading.Event()

        def work() -> list[list[float]]:
            started.set()
            return ctx.embedder().embed_batch(texts)

        future = self._executor.submit(work)
        if not started.wait(limit_s) and future.cancel():
            raise EmbedTimeout(f"the embedder stayed busy with an earlier batch for {limit_s:g} s")
        try:
            return future.result(timeout=limit_s)
        except FutureTimeout:
            raise EmbedTimeout(f"embedding {len(texts)} chunks took longer than {limit_s:g} s") from None


embedder_thread = EmbedderThread()


@task(name="index", task_run_name="index · {n_chunks} chunks", retries=2, retry_delay_seconds=[2, 10],
      cache_policy=NONE, retry_condition_fn=_transient)
@scrubbed
def index_chunks(task_id: str, chunks: list[Chunk], meta: dict[str, dict[str, Any]], n_chunks: int,
                 timeout_s: float | None = None) -> int:
    """Embed a batch of chunks across files, within ``timeout_s`` of its start, and upsert them."""
    ctx = task_context(task_id)
    clock = report.of(task_id)
    with clock.timed("embed"):
        vectors = embedder_thread.embed(ctx, [c.text for c in chunks], timeout_s or get_settings().embed_timeout_s)
    with clock.timed("write"):
        return ctx.write(chunks, vectors, meta)


class PauseProbe:
    """Whether a task is being paused, read from the catalog at most once per ``every_s``."""

    def __init__(self, task_id: str, every_s: float = 1.0) -> None:
        self.task_id, self.every_s = task_id, every_s
        self._checked: tuple[float, bool] | None = None

    def __call__(self) -> bool:
        if self._checked is None or time.monotonic() - self._checked[0] >= self.every_s:
            with catalog() as c:
                self._checked = (time.monotonic(), lifecycle.is_paused(c.tasks.get(self.task_id)))
        return self._checked[1]


class PrefectRunner:
    """The pipeline's work as Prefect task runs of this flow run."""

    def __init__(self, ctx: TaskContext, lease: run_guard.RunLease | None = None) -> None:
        settings, process = get_settings(), ctx.process
        self.task_id = ctx.task.id
        self.parse_timeout = process.parse_timeout_s or settings.parse_timeout_s
        self.embed_timeout = process.embed_timeout_s or settings.embed_timeout_s
        self.retries = process.file_retries if process.file_retries is not None else settings.file_retries
        probe, lost = PauseProbe(ctx.task.id), (lease.lost if lease is not None else None)
        # a run whose lease was taken over (presumed dead) starts no new work either
        self.pausing = lambda: probe() or (lost is not None and lost.is_set())

    def parse(self, group: list[FileRef]) -> Any:
        return _GroupFuture(parse_and_split.submit(self.task_id, group, self.parse_timeout, self.retries,
                                                   group_label(group)))

    def index(self, batch: list[Chunk], meta: dict[str, dict[str, Any]]) -> Any:
        return index_chunks.submit(self.task_id, batch, meta, len(batch), self.embed_timeout)

    def first_done(self, futures: list[Any]) -> Any:
        inner = {getattr(f, "inner", f): f for f in futures}
        return inner[next(as_completed(list(inner)))]


class _GroupFuture:
    """A parse group's future: a group whose task run ended "Failed file" still yields its outcomes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def result(self) -> Any:
        self.inner.wait()
        state = self.inner.state
        if state.is_failed() and state.name == report.FAILED_FILE:
            return self.inner.result(raise_on_failure=False)
        return self.inner.result()


class CatalogLedger:
    """The pipeline's file outcomes, recorded in the catalog."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx

    def meta(self, ref: FileRef) -> dict[str, Any]:
        return self.ctx.doc_meta(ref)

    def failed(self, ref: FileRef, reason: str, started: float | None = None) -> None:
        with catalog() as c:
            c.files.mark([lifecycle.failed(ref, reason, started)])
        report.of(self.ctx.task.id).failed(ref.name, reason)

    def deferred(self, refs: list[FileRef], reason: str) -> None:
        with catalog() as c:
            deferrals = c.files.deferrals([r.id for r in refs])
            c.files.mark(lifecycle.deferred(refs, reason, deferrals, get_settings().outage_backoff_s))

    def finalise(self, done: list[tuple[FileRef, list[str]]], stats: LoadStats) -> None:
        try:
            self.ctx.drop_old_chunks({ref.doc_id: ids for ref, ids in done})
        except IngestError as exc:
            with catalog() as c:
                c.files.mark([lifecycle.failed(ref, f"could not remove old chunks: {exc.message}") for ref, _ in done])
            for ref, _ in done:
                report.of(self.ctx.task.id).failed(ref.name, f"could not remove old chunks: {exc.message}")
            stats.files_failed += len(done)
            return
        now = time.time()
        with catalog() as c:
            c.files.mark([lifecycle.completed(ref, len(ids), self.ctx.fingerprint, now) for ref, ids in done])
        stats.files_succeeded += len(done)


def _flow_run_name() -> str:
    """``<task name> · <started at>``: the engine names every run so when it starts (scheduled or not)."""
    from prefect.runtime import flow_run

    task_id = str(flow_run.parameters["task_id"])
    try:
        with catalog() as c:
            name = c.tasks.get(task_id).name
    except Exception:  # noqa: BLE001 - a name is a nicety; the run reports a missing task itself
        name = ""
    return report.flow_run_name(name, task_id, tz=get_settings().timezone)


@flow(name="ingestflow-load", flow_run_name=_flow_run_name,
      # threads: 2 parse groups per parse process (one waits, so a process never idles) + 2 index batches
      task_runner=ThreadPoolTaskRunner(max_workers=2 * get_settings().parse_workers + 2),
      log_prints=False)
@scrubbed
def load_task(task_id: str, file_ids: list[str] | None = None) -> dict[str, Any]:
    """Run one load of a task; ``file_ids`` restricts it to those files (retry)."""
    from prefect.runtime import flow_run

    flow_run_id = str(flow_run.id) if flow_run.id else None
    ctx = task_context(task_id, refresh=True)
    ctx.embedder()  # a missing model fails the run up front, with the message naming what to install
    _reap_dead_runs()
    lease = run_guard.RunLease(task_id, worker_name(), flow_run_id)
    if not lease.acquire():
        return _skipped(task_id, flow_run_id, "another run of this task is in flight")
    try:
        summary = _run(ctx, file_ids, flow_run_id, lease)
    finally:
        lease.release()
    name = report.final_state_name(summary.get("files_failed", 0),
                                   summary.get("files_failed", 0) + summary.get("files_succeeded", 0))
    if name is None:
        return summary
    from prefect.states import Completed

    return Completed(name=name, data=summary, message=name)  # says so in the UI; the caller still gets the dict


def _reap_dead_runs() -> None:
    """Every run start closes the dead runs of all tasks (the API's reaper does it on a timer too)."""
    try:
        run_guard.reap()
    except Exception:  # noqa: BLE001 - reaping is a service to others; this run goes on
        get_run_logger().warning("could not reap dead runs", exc_info=True)


def _skipped(task_id: str, flow_run_id: str | None, why: str) -> dict[str, Any]:
    with catalog() as c:
        run = c.runs.start(task_id, flow_run_id)
        c.runs.finish(run.id, "skipped", error=why)
    return {"task_id": task_id, "run_id": run.id, "skipped": why}


def _skip_reason(ctx: TaskContext, file_ids: list[str] | None) -> str:
    """Why this run should do nothing: a run queued before a pause, or one a newer completed run covers."""
    if file_ids:
        return ""  # a retry always runs
    if lifecycle.is_paused(ctx.task):
        return "task is paused"
    newer = run_guard.collapsed_by(ctx.task.id, run_guard.due_time())
    if newer is not None:
        return f"collapsed: a run in flight when this one was due, or started after, completed ({newer:.0f})"
    return ""


def _run(ctx: TaskContext, file_ids: list[str] | None, flow_run_id: str | None,
         lease: run_guard.RunLease) -> dict[str, Any]:
    logger = get_run_logger()
    task_id = ctx.task.id
    if skip := _skip_reason(ctx, file_ids):
        logger.info("task %s: skipping this run (%s)", task_id, skip)
        return _skipped(task_id, flow_run_id, skip)
    with catalog() as c:
        run_id = c.runs.start(task_id, flow_run_id).id
        lifecycle.run_started(c, ctx.task)
    lease.started(run_id)
    stats = LoadStats()
    clock = report.start(task_id)
    try:
        ctx.store().exists()  # Milvus down at start: fail fast (within dependency_timeout_s), touch no file
        with clock.timed("list"):
            plan = list_source(task_id, file_ids)
        logger.info("task %s: %s, %d file(s) to process", task_id, plan.counts, len(plan.to_process))
        with catalog() as c:
            c.files.mark(lifecycle.queued(plan.to_process))
        pipeline = _pipeline(ctx, plan.to_process, stats, lease)
        pipeline.run()
        if lease.lost.is_set():  # like an outage: the rest stays due, nothing is deleted, the run ends failed
            pipeline.outage = pipeline.outage or ("this run's lease was taken over: the catalog did not hear "
                                                  "its heartbeat for a whole lease, so it was presumed dead")
        if not pipeline.outage:
            stats.files_deleted = _delete_gone(ctx, plan)  # an outage deletes nothing: the listing may be fine, the sink not
    except BaseException as exc:
        with catalog() as c:
            c.runs.finish(run_id, "failed", error=reason_of(exc), **stats.as_dict())
            lifecycle.run_finished(c, task_id, ok=False)
        raise
    counts = plan.counts
    error = plan.listing_error
    if pipeline.outage:
        error = (f"{pipeline.files_deferred} file(s) left for the next run, a dependency is unavailable: "
                 f"{pipeline.outage}")[:2000]
    with catalog() as c:
        c.runs.finish(run_id, "failed" if pipeline.outage else "completed", files_listed=counts.get("listed", 0),
                      files_added=counts.get("new", 0), files_changed=counts.get("changed", 0) + counts.get("retry", 0),
                      files_skipped=counts.get("unchanged", 0) + counts.get("failed", 0) + counts.get("backoff", 0),
                      error=error,
                      **stats.as_dict())
        lifecycle.run_finished(c, task_id, ok=not pipeline.outage)
    summary = {"task_id": task_id, "run_id": run_id, "worker": worker_name(), **counts, **stats.as_dict(), "files_deferred": pipeline.files_deferred,
               "listing_error": plan.listing_error, "error": error}
    _publish_artifact(summary, clock, ctx.task.name)
    if pipeline.outage:
        raise ProviderUnavailable(error)  # the flow run ends Failed in Prefect, with the same reason
    return summary


def _pipeline(ctx: TaskContext, refs: list[FileRef], stats: LoadStats,
              lease: run_guard.RunLease | None = None) -> LoadPipeline:
    settings = get_settings()
    groups = group_files(refs, settings.parse_group_files, settings.parse_group_bytes, ramp=settings.parse_workers)
    # groups in flight: the runner has a thread for each, plus two for index
    return LoadPipeline(groups, PrefectRunner(ctx, lease), CatalogLedger(ctx), batch_size=settings.embedding_batch_size,
                        window=settings.parse_workers * 2, stats=stats)


def _delete_gone(ctx: TaskContext, plan: ListingPlan) -> int:
    """Files gone from the source lose their chunks (mirror mode), unless the guard trips."""
    process = ctx.process
    if not plan.gone or plan.listing_error or process.sync_mode != "mirror":
        return 0
    known = plan.counts.get("listed", 0) + len(plan.gone)
    if known > 4 and len(plan.gone) / known > process.max_delete_fraction:
        get_run_logger().warning("task %s: %d of %d files gone at once; deleting nothing (guard)",
                                 ctx.task.id, len(plan.gone), known)
        plan.listing_error = (f"deletion guard: {len(plan.gone)} of {known} files gone at once "
                              f"(max_delete_fraction {process.max_delete_fraction:g}), nothing deleted")
        return 0
    store = ctx.store()
    store.ensure()
    doc_ids = sorted(set(plan.gone.values()))
    for i in range(0, len(doc_ids), 500):
        store.delete(ChunkFilter(doc_ids=doc_ids[i:i + 500]))  # chunks first: a crash here leaves rows to retry
    with catalog() as c:
        c.files.delete(list(plan.gone))
    return len(plan.gone)


def _publish_artifact(summary: dict[str, Any], clock: report.RunReport, task_name: str) -> None:
    """The run's story on the flow run (Prefect UI → Artifacts): counts, failed files, time per stage."""
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(markdown=report.markdown(summary, clock, task_name),
                                 key=f"load-{summary['task_id']}", description="ingestflow load run")
    except Exception:  # noqa: BLE001, S110 - an artifact is a nicety; the run already succeeded
        pass
