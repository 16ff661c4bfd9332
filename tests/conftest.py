"""Shared fixtures: an isolated data dir and a Prefect test server for the session, settings per test.

Layout: ``tests/unit`` (no servers, seconds), ``tests/integration`` (real components started by the
tests: Prefect test server, Milvus Lite server, workers, moto, MariaDB, protocol test servers),
``tests/e2e`` (user-level: CLI, live API processes, ``ingestflow up``). ``tests/support`` holds the
servers, corpora and helpers they share.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="ingestflow-tests-"))
os.environ["INGESTFLOW_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ["PREFECT_HOME"] = str(_SESSION_DIR / "prefect")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from ingestflow.settings import prepare_environment, reset_settings  # noqa: E402

reset_settings()
prepare_environment()


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server (SQLite, in-process API) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
        _drain_prefect_workers()


def _drain_prefect_workers() -> None:
    """Flush Prefect's background log/event workers so the harness stops promptly."""
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=5)
        EventsWorker.drain_all(timeout=5)
    except Exception:  # noqa: BLE001, S110 - draining is best effort
        pass


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def source_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("source")
    (root / "a.txt").write_text("alpha text about rivers\n", encoding="utf-8")
    (root / "b.md").write_text("# Beta\n\nmarkdown body\n", encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "红楼梦.txt").write_text("中文内容\n", encoding="utf-8")
    return root


@pytest.fixture()
def settings_env(monkeypatch):
    """``set(name, value)``: an ``INGESTFLOW_*`` variable for one test; settings are re-read now and after it."""

    def set_(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        reset_settings()

    yield set_
    monkeypatch.undo()
    reset_settings()
