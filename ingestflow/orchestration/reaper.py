"""The API process's reaper: every ``reaper_interval_s`` it closes runs whose lease expired.

A SIGKILLed worker's run gets no "next run" to clean up after it (a run-once task has none), so some
long-lived process has to look: the API (one per deployment, always up under ``ingestflow up``).
Several API processes may reap at once: closing a dead run is guarded by its lease's token, so each
dead run is closed once. The work itself is ``ingestflow.flows.run_guard.reap`` (catalog + Prefect
client calls only; no flow code runs here).
"""

from __future__ import annotations

import logging
import threading

from ingestflow.settings import get_settings

log = logging.getLogger("ingestflow.reaper")


class Reaper:
    """A daemon thread calling ``run_guard.reap`` on a timer until ``stop``."""

    def __init__(self, interval_s: float | None = None) -> None:
        self.interval_s = interval_s or get_settings().reaper_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.closed = 0  # dead runs closed so far (diagnostics, tests)

    def start(self) -> Reaper:
        self._thread = threading.Thread(target=self._loop, name="ingestflow-reaper", daemon=True)
        self._thread.start()
        return self

    def tick(self) -> int:
        """One pass; returns how many dead runs it closed."""
        from ingestflow.flows.run_guard import reap

        closed = len(reap())
        self.closed += closed
        return closed

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the catalog may be down; the next tick tries again
                log.warning("reaper: %s: %s", type(exc).__name__, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
