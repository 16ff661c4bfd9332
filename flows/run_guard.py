"""Schedule semantics of a load: runs of one task never overlap, missed runs collapse.

- **No overlap**: the deployment's ``concurrency_limit=1`` (ENQUEUE) keeps a second run of a
  task from starting while one is in flight; a run started some other way (CLI, a second
  worker) finds the task's lock file held and is recorded as skipped. The lock is an
  ``flock`` on ``<data_dir>/locks/task-<id>.lock``: the kernel drops it when its process dies,
  so a SIGKILLed run never blocks the next one, and the next one marks it ``crashed``.
- **A due run never queues behind a run in flight, and missed runs collapse**: a run due at T is
  skipped as "collapsed" when a completed run of the same task was in flight at T or started
  after T. A run that came due while another was loading is thus skipped and recorded (the next
  scheduled run picks up what changed meanwhile), and scheduled runs that piled up while the
  worker was down cost one real run, not one each.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

from ingestflow.catalog import catalog
from ingestflow.settings import get_settings


def acquire(task_id: str) -> IO[bytes] | None:
    """The task's run lock, or None when another live process holds it."""
    lock_dir = get_settings().resolved_data_dir / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    handle = open(lock_dir / f"task-{task_id}.lock", "a+b")  # noqa: SIM115 - held for the run
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle


def release(handle: IO[bytes] | None) -> None:
    if handle is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def collapsed_by(task_id: str, due_at: float | None) -> float | None:
    """Start time of a completed run that was in flight at ``due_at`` or began after it (this run
    is redundant), else None."""
    if due_at is None:
        return None
    with catalog() as c:
        return c.runs.completed_since(task_id, due_at)


def due_time() -> float | None:
    """When the current scheduled Prefect flow run was due, as a Unix time; None for a run started
    on demand (tagged by the API), which never collapses."""
    try:
        from prefect.runtime import flow_run

        from ingestflow.records import MANUAL_RUN_TAG

        if MANUAL_RUN_TAG in (flow_run.tags or []):
            return None
        when = flow_run.scheduled_start_time
        return when.timestamp() if when is not None and flow_run.id else None
    except Exception:  # noqa: BLE001 - outside a flow run there is no due time
        return None
