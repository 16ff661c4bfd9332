"""Load runs: one execution of a load task, with what it did."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select, update

from ingestflow.catalog.base import Repository
from ingestflow.catalog.models import LoadRun
from ingestflow.ids import snowflake_id

RUN_STATUSES = ("running", "completed", "failed", "skipped", "crashed")


class Runs(Repository[LoadRun]):
    """The load_runs table."""

    model = LoadRun
    label = "run"

    def start(self, task_id: str, flow_run_id: str | None) -> LoadRun:
        """A run that begins now (status "running")."""
        row = LoadRun(id=snowflake_id(), task_id=str(task_id), flow_run_id=flow_run_id, started_at=time.time())
        self.s.add(row)
        self.s.flush()
        return row

    def finish(self, run_id: str, status: str, **counters: Any) -> None:
        """Close a run with its status, counters and error."""
        self.s.execute(update(LoadRun).where(LoadRun.id == run_id)
                       .values(status=status, ended_at=time.time(), **counters))

    def close_dead(self, task_id: str, reason: str) -> int:
        """Mark the task's runs still "running" as crashed (their process is gone); returns how many."""
        result = self.s.execute(update(LoadRun).where(LoadRun.task_id == str(task_id), LoadRun.status == "running")
                                .values(status="crashed", ended_at=time.time(), error=reason))
        return int(result.rowcount or 0)

    def completed_since(self, task_id: str, due_at: float) -> float | None:
        """Start time of a completed run that was in flight at ``due_at`` or began after it, else None."""
        return self.s.scalar(select(func.max(LoadRun.started_at)).where(
            LoadRun.task_id == str(task_id), LoadRun.status == "completed",
            (LoadRun.started_at >= due_at) | (LoadRun.ended_at >= due_at)))

    def of_task(self, task_id: str, limit: int = 100) -> list[LoadRun]:
        """The task's runs, newest first."""
        return list(self.s.scalars(select(LoadRun).where(LoadRun.task_id == str(task_id))
                                   .order_by(LoadRun.started_at.desc()).limit(limit)))
