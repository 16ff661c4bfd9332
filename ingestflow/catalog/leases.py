"""Run leases: at most one run of a task in flight, across hosts, and a dead one found in bounded time.

A run takes its task's lease (``run_leases``, one row per task) before it does anything, renews it
every few seconds (its heartbeat) and drops it when it ends. Taking it is one conditional write: an
INSERT (the primary key refuses a second holder) or, for an expired row, an UPDATE guarded by the old
token (two takers of one expired lease: one wins). A row past ``expires_at`` belongs to a run whose
process died (SIGKILL, a lost host): the reaper closes it (``catalog.lifecycle.run_crashed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ingestflow.catalog.base import Repository
from ingestflow.catalog.models import RunLease


@dataclass(frozen=True)
class DeadRun:
    """What an expired lease names: the task, its catalog run and its Prefect flow run."""

    task_id: str
    token: str
    run_id: str
    flow_run_id: str | None
    holder: str
    silent_for_s: float  # since its last heartbeat


def dead_run(row: RunLease, now: float) -> DeadRun:
    return DeadRun(row.task_id, row.token, row.run_id, row.flow_run_id, row.holder, max(0.0, now - row.renewed_at))


class Leases(Repository[RunLease]):
    """The run_leases table. Each call is meant to commit on its own (its own ``with catalog()``)."""

    model = RunLease
    label = "run lease"

    def acquire(self, task_id: str, token: str, holder: str, flow_run_id: str | None,
                ttl_s: float) -> tuple[bool, DeadRun | None]:
        """Take the task's lease: (True, the dead run whose expired lease was taken over, if any), or
        (False, None) while a live holder has it."""
        now = time.time()
        fields = {"token": token, "holder": holder[:255], "flow_run_id": flow_run_id, "run_id": "",
                  "acquired_at": now, "renewed_at": now, "expires_at": now + ttl_s}
        row = self.s.get(RunLease, str(task_id), populate_existing=True)
        if row is None:
            try:
                with self.s.begin_nested():
                    self.s.add(RunLease(task_id=str(task_id), **fields))
            except IntegrityError:
                return False, None  # another run inserted it first
            return True, None
        if row.expires_at >= now:
            return False, None
        previous = dead_run(row, now)
        result = self.s.execute(update(RunLease).where(RunLease.task_id == str(task_id), RunLease.token == row.token,
                                                       RunLease.expires_at < now).values(**fields)
                                .execution_options(synchronize_session=False))
        return (True, previous) if result.rowcount == 1 else (False, None)

    def started(self, task_id: str, token: str, run_id: str) -> None:
        """The holder's catalog run began: the reaper closes that run if the holder dies."""
        self.s.execute(update(RunLease).where(RunLease.task_id == str(task_id), RunLease.token == token)
                       .values(run_id=str(run_id)).execution_options(synchronize_session=False))

    def renew(self, task_id: str, token: str, ttl_s: float) -> bool:
        """The heartbeat: push the expiry out; False when the lease is no longer this holder's."""
        now = time.time()
        result = self.s.execute(update(RunLease).where(RunLease.task_id == str(task_id), RunLease.token == token)
                                .values(renewed_at=now, expires_at=now + ttl_s)
                                .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def release(self, task_id: str, token: str) -> None:
        """Drop the lease (only the holder's own)."""
        self.s.execute(delete(RunLease).where(RunLease.task_id == str(task_id), RunLease.token == token)
                       .execution_options(synchronize_session=False))

    def expired(self, now: float | None = None) -> list[DeadRun]:
        """The runs whose leases are past their expiry: dead."""
        now = time.time() if now is None else now
        return [dead_run(row, now) for row in self.s.scalars(select(RunLease).where(RunLease.expires_at < now))]

    def reap(self, dead: DeadRun) -> bool:
        """Remove an expired lease, guarded by its token and expiry (a late renewal or a takeover wins);
        False when someone else got there first."""
        result = self.s.execute(delete(RunLease).where(RunLease.task_id == dead.task_id, RunLease.token == dead.token,
                                                       RunLease.expires_at < time.time())
                                .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def held(self, task_id: str) -> RunLease | None:
        """The task's lease row, expired or not."""
        return self.s.get(RunLease, str(task_id), populate_existing=True)
