"""Schedule semantics of a load: runs of one task never overlap, dead runs are closed, missed runs collapse.

- **No overlap, across hosts**: the deployment's ``concurrency_limit=1`` (ENQUEUE) keeps a second
  Prefect run of a task from starting while one is in flight; any run (CLI, a second worker, another
  host) also takes the task's **run lease** in the catalog (``catalog.leases``) and is recorded as
  skipped when a live run holds it.
- **A dead run is closed in bounded time, without a next run**: the run's heartbeat thread renews its
  lease every ``run_lease_s / 3``; a process that dies (SIGKILL, lost host) stops renewing. ``reap``
  (the API calls it every ``reaper_interval_s``, every run calls it at start) finds expired leases, sets
  their Prefect flow runs Crashed (which frees the deployment's concurrency slot, also after a Prefect
  server restart), closes the catalog run as crashed with the reason and puts its files back to
  waiting. Bound: ``run_lease_s + reaper_interval_s`` (30 + 10 s by default).
- **A due run never queues behind a run in flight, and missed runs collapse**: a run due at T is
  skipped as "collapsed" when a completed run of the same task was in flight at T or started
  after T. A run that came due while another was loading is thus skipped and recorded (the next
  scheduled run picks up what changed meanwhile), and scheduled runs that piled up while the
  worker was down cost one real run, not one each.
"""

from __future__ import annotations

import logging
import threading
import uuid

from ingestflow.catalog import catalog, lifecycle
from ingestflow.catalog.leases import DeadRun
from ingestflow.settings import get_settings

log = logging.getLogger("ingestflow.runs")


class RunLease:
    """This process's lease on a task's runs, kept alive by a heartbeat thread until ``release``."""

    def __init__(self, task_id: str, holder: str, flow_run_id: str | None) -> None:
        self.task_id, self.holder, self.flow_run_id = str(task_id), holder, flow_run_id
        self.token = uuid.uuid4().hex
        self.ttl_s = get_settings().run_lease_s
        self.lost = threading.Event()  # set when the lease was taken from us (we were presumed dead)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease (closing the dead run whose expired lease this takes over); False when held."""
        with catalog() as c:
            ok, previous = c.leases.acquire(self.task_id, self.token, self.holder, self.flow_run_id, self.ttl_s)
        if not ok:
            return False
        if previous is not None:
            close_dead_run(previous, taken_over=True)
        self._thread = threading.Thread(target=self._beat, name=f"ingestflow-lease-{self.task_id}", daemon=True)
        self._thread.start()
        return True

    def started(self, run_id: str) -> None:
        """Name the catalog run this lease covers."""
        with catalog() as c:
            c.leases.started(self.task_id, self.token, run_id)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                with catalog() as c:
                    kept = c.leases.renew(self.task_id, self.token, self.ttl_s)
            except Exception as exc:  # noqa: BLE001 - a catalog blip: try again next beat, the ttl covers two
                log.warning("task %s: run lease not renewed (%s: %s)", self.task_id, type(exc).__name__, exc)
                continue
            if not kept:
                log.error("task %s: this run's lease was taken over (presumed dead); stopping new work", self.task_id)
                self.lost.set()
                return

    def release(self) -> None:
        """Stop the heartbeat and drop the lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with catalog() as c:
            c.leases.release(self.task_id, self.token)


def reap() -> list[DeadRun]:
    """Close every run whose lease expired (see the module docstring); returns them.

    The Prefect flow run is crashed first: while Prefect is unreachable the lease stays expired and the
    next call (or a run taking the lease over) tries again, so a dead run never keeps its slot."""
    with catalog() as c:
        dead = c.leases.expired()
    closed = []
    for run in dead:
        try:
            if close_dead_run(run):
                closed.append(run)
        except Exception as exc:  # noqa: BLE001 - one run's failure must not stop the others'
            log.warning("task %s: dead run not closed yet (%s: %s)", run.task_id, type(exc).__name__, exc)
    return closed


def dead_reason(run: DeadRun) -> str:
    return (f"the run's process died (no heartbeat from {run.holder or 'its worker'} for "
            f"{run.silent_for_s:.0f} s); its files are redone by the next run")


def close_dead_run(run: DeadRun, taken_over: bool = False) -> bool:
    """Crash a dead run's Prefect flow run (slot freed), then remove its lease (unless this process just
    ``taken_over`` it), close its catalog run and put its files back. False when another reaper closed
    it first, or it renewed after all."""
    reason = dead_reason(run)
    if run.flow_run_id:
        try:
            crash_flow_run(run.flow_run_id, reason)
        except Exception:
            if not taken_over:
                raise  # the lease stays expired: the next reap tries again
            log.warning("task %s: could not mark flow run %s Crashed", run.task_id, run.flow_run_id, exc_info=True)
    with catalog() as c:
        if not taken_over and not c.leases.reap(run):
            return False
        lifecycle.run_crashed(c, run.task_id, reason)
    log.warning("task %s: %s", run.task_id, reason)
    return True


def crash_flow_run(flow_run_id: str, reason: str) -> None:
    """Set a flow run Crashed unless it is already final (Prefect then releases its concurrency slot);
    a flow run Prefect no longer knows is fine. Other Prefect errors propagate."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(UUID(flow_run_id))
        except ObjectNotFound:
            return
        if run.state is not None and run.state.is_final():
            return
        client.set_flow_run_state(UUID(flow_run_id), Crashed(message=reason), force=True)


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
