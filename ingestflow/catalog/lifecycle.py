"""The one module that owns task and file state transitions (called by the API and the flow alike).

Task (seed 002 ``TaskStatus``)::

    created ─▶ RUNNING ──pause──▶ PAUSING (a run in flight finishes its files) ──run ends──▶ PAUSED
       ▲          │ run ends: run-once ─▶ COMPLETED, scheduled ─▶ RUNNING          │
       └──────────┴──────────────── resume / re-run (run-once update) ◀───────────┘

File (seed 002 ``FileStatus`` + seed 003 stage)::

    listed ─▶ WAITING ─▶ PARSING (PROCESSING) ─▶ INDEXING ─▶ COMPLETED (SUCCESS)
                 ▲            └──────────────┴──────▶ ERROR (FAILED, reason) ──retry──▶ RETRYING ─┘
                 └─── outage (a dependency unreachable): deferred, WAITING with the reason ◀──┘
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ingestflow.catalog.models import now_ts
from ingestflow.records import DocStage, FileStatus, TaskStatus

if TYPE_CHECKING:
    from ingestflow.catalog.files import FileRef
    from ingestflow.catalog.models import LoadTask
    from ingestflow.catalog.unit import Catalog

PAUSED_STATES = (TaskStatus.PAUSING, TaskStatus.PAUSED)


# --- files -----------------------------------------------------------------------------------

def new_file_fields() -> dict[str, Any]:
    """The fields of a file row the first time it is listed."""
    now = now_ts()
    return {"status": int(FileStatus.WAITING), "stage": DocStage.WAITING.value, "created_at": now, "updated_at": now}


def classify(status: int, source_version: str, indexed_version: str, listed_version: str, fingerprint: str,
             next_attempt_at: float | None = None, now: float | None = None) -> str:
    """What a run does with a known file: "failed" (poison, skipped), "backoff" (an outage left it due, its
    next attempt is later: skipped), "retry", "changed" or "unchanged"."""
    if status == FileStatus.FAILED and source_version == listed_version:
        return "failed"  # retried by POST /task/retry or when its content changes
    if status != FileStatus.SUCCESS and next_attempt_at and next_attempt_at > (time.time() if now is None else now):
        return "backoff"
    if status != FileStatus.SUCCESS:
        return "retry"  # waiting / in flight when a run died / queued by POST /task/retry
    if indexed_version != indexed_as(listed_version, fingerprint):
        return "changed"  # a new source version or a new pipeline fingerprint
    return "unchanged"


def indexed_as(source_version: str, fingerprint: str) -> str:
    """The version recorded for a file indexed from ``source_version`` by a pipeline ``fingerprint``."""
    return f"{source_version}#{fingerprint}"


def stage_fields(stage: DocStage, at: float | None = None) -> dict[str, Any]:
    """The status and seed-003 timestamp fields a move to ``stage`` sets."""
    now = time.time() if at is None else at
    return {"stage": stage.value, **{
        DocStage.WAITING: {"status": int(FileStatus.WAITING)},
        DocStage.PARSING: {"processing_started_at": now, "start_time": int(now), "status": int(FileStatus.PROCESSING),
                           "reason": "", "completed_at": None, "stopped_at": None, "parsing_completed_at": None,
                           "splitting_completed_at": None},
        DocStage.SPLITTING: {"parsing_completed_at": now},
        DocStage.INDEXING: {"splitting_completed_at": now},
        DocStage.COMPLETED: {"completed_at": now, "end_time": int(now), "status": int(FileStatus.SUCCESS)},
        DocStage.ERROR: {"stopped_at": now, "end_time": int(now), "status": int(FileStatus.FAILED)},
    }.get(stage, {})}


def queued(refs: Iterable[FileRef]) -> list[dict[str, Any]]:
    """Files a run is about to process: waiting, last reason and back-off cleared."""
    return [{"id": ref.id, **stage_fields(DocStage.WAITING), "reason": "", "next_attempt_at": None} for ref in refs]


def parsing(refs: Iterable[FileRef]) -> list[dict[str, Any]]:
    """Files whose fetch + parse starts now."""
    return [{"id": ref.id, **stage_fields(DocStage.PARSING)} for ref in refs]


def split(ref: FileRef, started: float, parsed_at: float, char_count: int, segments: int) -> dict[str, Any]:
    """A file parsed and chunked, its chunks waiting for the embedder."""
    return {"id": ref.id, **stage_fields(DocStage.INDEXING), "processing_started_at": started,
            "start_time": int(started), "parsing_completed_at": parsed_at, "char_count": char_count,
            "segment_count": segments, "completed_segment_count": 0}


def completed(ref: FileRef, segments: int, fingerprint: str, at: float | None = None) -> dict[str, Any]:
    """A file whose new chunks are all written and its old ones removed."""
    return {"id": ref.id, **stage_fields(DocStage.COMPLETED, at), "completed_segment_count": segments,
            "deferrals": 0, "next_attempt_at": None,
            "source_version": ref.source_version, "indexed_version": indexed_as(ref.source_version, fingerprint)}


def failed(ref: FileRef, reason: str, started: float | None = None) -> dict[str, Any]:
    """A file that failed, with the reason (its old chunks, if any, stay searchable)."""
    update = {"id": ref.id, **stage_fields(DocStage.ERROR), "reason": reason[:2000], "deferrals": 0,
              "next_attempt_at": None}
    if started is not None:
        update.update(processing_started_at=started, start_time=int(started))
    return update


def deferred(refs: Iterable[FileRef], reason: str, deferrals: dict[str, int] | None = None,
             backoff_s: list[float] | None = None) -> list[dict[str, Any]]:
    """Files a run could not finish because a dependency was unreachable: waiting again (so a later
    run retries them: ``classify`` says "retry"), never failed as poison; the reason says why.

    With ``deferrals`` (runs in a row each was left due so far) and ``backoff_s``, the n-th deferral
    in a row sets the file's next attempt ``backoff_s[n-1]`` s from now (the last entry repeats):
    runs before then skip it ("backoff"), so a long outage is not hammered by every scheduled tick."""
    now = time.time()
    out = []
    for ref in refs:
        update = {"id": ref.id, **stage_fields(DocStage.WAITING), "reason": f"waiting for the next run: {reason}"[:2000]}
        if deferrals is not None:
            n = deferrals.get(ref.id, 0) + 1
            delay = (backoff_s or [0.0])[min(n, len(backoff_s or [0.0])) - 1]
            update.update(deferrals=n, next_attempt_at=now + delay if delay > 0 else None)
        out.append(update)
    return out


def retrying(file_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Failed files queued by ``POST /task/retry``."""
    return [{"id": str(f), "status": int(FileStatus.RETRYING)} for f in file_ids]


def retry_not_started(file_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Files whose retry run could not be created: failed again, as before."""
    return [{"id": str(f), "status": int(FileStatus.FAILED)} for f in file_ids]


# --- tasks -----------------------------------------------------------------------------------

def is_paused(task: LoadTask) -> bool:
    """Paused, or being paused (its run in flight finishing)."""
    return task.status in PAUSED_STATES


def pause_requested(c: Catalog, task: LoadTask) -> None:
    """A pause was asked for: no new files are submitted from now on."""
    c.tasks.update(task.id, status=int(TaskStatus.PAUSING))


def pause_settled(c: Catalog, task: LoadTask, run_in_flight: bool) -> TaskStatus:
    """After the schedule is paused: PAUSING while a run finishes its files, else PAUSED."""
    status = TaskStatus.PAUSING if run_in_flight else TaskStatus.PAUSED
    c.tasks.update(task.id, status=int(status))
    return status


def resumed(c: Catalog, task: LoadTask) -> TaskStatus:
    """Resume: a paused task runs again; any other status is left alone."""
    if not is_paused(task):
        return TaskStatus(task.status)
    c.tasks.update(task.id, status=int(TaskStatus.RUNNING))
    return TaskStatus.RUNNING


def run_started(c: Catalog, task: LoadTask) -> None:
    """A run that will process files began (a paused task's retry run leaves the pause in place)."""
    if not is_paused(task):
        c.tasks.update(task.id, status=int(TaskStatus.RUNNING), start_at=int(time.time()))


def run_finished(c: Catalog, task_id: str, ok: bool = True) -> TaskStatus:
    """After a run: pausing → paused; a run-once task → completed when ``ok``, else runnable again (its
    files are still due: an outage or a crash is not the task's end); a scheduled one stays runnable."""
    task = c.tasks.get(task_id)
    if is_paused(task):
        status = TaskStatus.PAUSED
    elif task.source.load_mode.run_once and ok:
        status = TaskStatus.COMPLETED
    else:
        status = TaskStatus.RUNNING
    c.tasks.update(task_id, status=int(status), end_at=int(time.time()))
    return status


def rerun_requested(c: Catalog, task: LoadTask) -> None:
    """A run-once task asked to run again (its uris or mode changed): runnable."""
    c.tasks.update(task.id, status=int(TaskStatus.RUNNING))


def run_crashed(c: Catalog, task_id: str, reason: str) -> int:
    """A run whose process died (its lease expired): its catalog run(s) closed as crashed with the
    reason, the files it had in flight waiting again (the next run redoes them), the task runnable.
    Returns how many files were put back."""
    c.runs.close_dead(task_id, reason)
    refs = c.files.in_flight(task_id)
    c.files.mark(deferred(refs, reason))
    if c.tasks.find(task_id) is not None:
        run_finished(c, task_id, ok=False)
    return len(refs)
