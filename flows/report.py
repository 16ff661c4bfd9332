"""What a load run tells a person in the Prefect UI: its name, its final state's name, its artifact.

    flow run      "<task name> · <started at>"        (scheduled, on-demand and retry runs alike)
    final state   Completed, or Completed named "Completed · 3 of 200 files failed"
    a group with a failed file: its task run ends Failed named "Failed file" (the flow still completes)
    artifact      the run's counts, its failed files with reasons, and the time spent per stage

Stage times are summed over files and batches, so with parse groups and index batches running side
by side they add up to more than the run's wall time: they say where the work went, not the order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STAGES = ("list", "parse", "OCR", "embed", "write")
FAILED_FILE = "Failed file"


@dataclass
class RunReport:
    """One run's stage times and failed files, filled by the flow's task runs (threads of one process)."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] += max(seconds, 0.0)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.add(stage, time.monotonic() - started)

    def failed(self, name: str, reason: str) -> None:
        with self._lock:
            self.failures.append((name, reason))


_reports: dict[str, RunReport] = {}  # task id → its run in flight (runs of one task never overlap)


def start(task_id: str) -> RunReport:
    _reports[task_id] = RunReport()
    return _reports[task_id]


def of(task_id: str) -> RunReport:
    """The report of the task's run in flight (a fresh one when none: a task run outside a load)."""
    return _reports.setdefault(task_id, RunReport())


def flow_run_name(task_name: str, task_id: str, started: float | None = None, tz: str = "UTC") -> str:
    """``<task name> · <started at>`` (the task id when it has no name), in the schedules' timezone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    at = datetime.fromtimestamp(time.time() if started is None else started, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{task_name or f'task {task_id}'} · {at}"


def final_state_name(files_failed: int, files_total: int) -> str | None:
    """The name of a completed run's state when files failed (None: plain "Completed")."""
    if not files_failed:
        return None
    return f"Completed · {files_failed} of {files_total} file{'s' if files_total != 1 else ''} failed"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")[:300]


def markdown(summary: dict[str, Any], report: RunReport, task_name: str = "") -> str:
    """The run's artifact: counts, failed files with reasons, the per-stage time split."""
    lines = [f"# {_cell(task_name or 'task ' + str(summary.get('task_id')))}", "",
             "| field | value |", "|---|---|", *(f"| {k} | {_cell(v)} |" for k, v in summary.items()), ""]
    if report.failures:
        lines += [f"## Failed files ({len(report.failures)})", "", "| file | reason |", "|---|---|",
                  *(f"| {_cell(name)} | {_cell(reason)} |" for name, reason in report.failures[:500]), ""]
    total = sum(report.seconds.values()) or 1.0
    lines += ["## Time per stage", "", "Summed over files and batches (stages overlap).", "",
              "| stage | seconds | share |", "|---|---:|---:|",
              *(f"| {s} | {report.seconds[s]:.2f} | {report.seconds[s] / total:.0%} |" for s in STAGES)]
    return "\n".join(lines) + "\n"


class _QuietFailedFile:
    """Drops Prefect's ERROR lines about a "Failed file" task run ("Task run failed with state: …",
    "Finished in state Failed file …", with an empty "NoneType: None" traceback): the file's failure is
    expected, its reason is in the task run's state message, the artifact and the catalog."""

    def filter(self, record: Any) -> bool:
        return not (record.levelno >= 40 and f"{FAILED_FILE}(" in str(record.msg))


def quiet_failed_files() -> None:
    """Install the filter on Prefect's task-run logger (once)."""
    import logging

    logger = logging.getLogger("prefect.task_runs")
    if not any(isinstance(f, _QuietFailedFile) for f in logger.filters):
        logger.addFilter(_QuietFailedFile())
