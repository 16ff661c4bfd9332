"""Outages are transient (issue 17): Milvus dies mid-load → the run ends failed with a readable reason,
no file is poisoned; Milvus down at start → the run fails fast and touches no file; Milvus back →
a plain next run (no ``/task/retry``) finishes the files and the chunks equal a clean run's.

The loads run in child processes against the session's Prefect server and their own Milvus Lite
server, which this test stops and starts again on the same port and file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ingestflow.orchestration.processes import ChildProcesses, free_port, port_open
from ingestflow.records import FileStatus
from ingestflow.services.local import ensure_local_task
from ingestflow.settings import get_settings
from tests.support import catalog as cat
from tests.support.stack import base_env

pytestmark = pytest.mark.slow

N_FILES = 30
BOUND_S = 3  # dependency_timeout_s of the loads


class _Milvus:
    """A Milvus Lite server on a fixed port and file, stopped and started at will."""

    def __init__(self, db_file: Path) -> None:
        self.db_file, self.port = db_file, free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.procs: ChildProcesses | None = None

    def start(self) -> None:
        self.procs = ChildProcesses()
        self.procs.start("milvus lite", [sys.executable, "-m", "ingestflow.orchestration.stack", "milvus",
                                         str(self.db_file), f"127.0.0.1:{self.port}"], base_env(get_settings().resolved_data_dir))
        self.procs.wait_until(lambda: port_open("127.0.0.1", self.port), "milvus lite", 60)

    def stop(self) -> None:
        if self.procs is not None:
            self.procs.stop()
            self.procs = None


@pytest.fixture
def milvus(tmp_path):  # noqa: ANN201
    server = _Milvus(tmp_path / "milvus.db")
    server.start()
    yield server
    server.stop()


def _corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    for i in range(N_FILES):
        lines = [f"File {i} part {j}: warehouse {i} ships crate {j} to city {(i * j) % 13}, code C{i:02d}-{j:02d}. " * 3
                 for j in range(6)]
        (root / f"doc{i:02d}.md").write_text(f"# File {i}\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    return root


def _load(task_id: str, milvus_uri: str) -> subprocess.Popen:
    env = base_env(get_settings().resolved_data_dir, INGESTFLOW_MILVUS_URI=milvus_uri,
                   INGESTFLOW_DEPENDENCY_TIMEOUT_S=str(BOUND_S),
                   INGESTFLOW_EMBEDDING_BATCH_SIZE="8", INGESTFLOW_PARSE_GROUP_FILES="2")
    code = "import sys; from ingestflow.flows.load import load_task; print(load_task(sys.argv[1]))"
    return subprocess.Popen([sys.executable, "-c", code, task_id], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _chunks(milvus_uri: str, task_id: str) -> Counter:
    from ingestflow.indexers.milvus_store import VolumeStore

    volume = cat.volume(cat.task(task_id).volume_id)
    store = VolumeStore(milvus_uri, volume.collection, volume.embedding_dim)
    rows = store.client.query(volume.collection, filter='id != ""', output_fields=["id", "uri", "content_hash"],
                              limit=16384)
    assert len({r["id"] for r in rows}) == len(rows)
    return Counter((r["uri"], r["content_hash"]) for r in rows)


def test_milvus_outage_fails_the_run_and_the_next_run_finishes_the_files(prefect_server, milvus, tmp_path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    task_id = ensure_local_task(corpus, "outage")

    child = _load(task_id, milvus.uri)
    deadline = time.monotonic() + 400
    while sum(f.status == FileStatus.SUCCESS for f in cat.files(task_id)) < 4:
        assert child.poll() is None, f"the load ended before Milvus could be stopped:\n{child.stdout.read()}"
        assert time.monotonic() < deadline, "the load made no progress"
        time.sleep(0.05)
    milvus.stop()
    stopped = time.monotonic()
    out, _ = child.communicate(timeout=300)
    waited = time.monotonic() - stopped
    assert child.returncode != 0, out  # the flow run failed, it did not complete
    run = cat.runs(task_id)[0]
    assert run.status == "failed", (run.status, run.error)
    assert "left for the next run" in run.error and "is unreachable" in run.error, run.error
    assert "<" not in run.error and "bound method" not in run.error  # a sentence, not a repr
    files = cat.files(task_id)
    assert not [f for f in files if f.status == FileStatus.FAILED], [(f.uri, f.reason) for f in files]  # no poison
    left = [f for f in files if f.status != FileStatus.SUCCESS]
    assert left and all(f.status == FileStatus.WAITING for f in left)  # due for the next run
    assert any("unreachable" in f.reason for f in left)  # the ones in flight say why
    in_flight = {f.uri for f in left if f.attempts}  # fetched + parsed once, then met the outage
    print(f"run ended {waited:.1f} s after Milvus stopped (dependency_timeout_s={BOUND_S})")

    # down at start: fails fast, no file is touched
    before = {f.uri: (f.status, f.reason, f.processing_started_at) for f in cat.files(task_id)}
    down = _load(task_id, milvus.uri)
    out, _ = down.communicate(timeout=300)
    assert down.returncode != 0, out
    assert cat.runs(task_id)[0].status == "failed" and "is unreachable" in cat.runs(task_id)[0].error
    assert {f.uri: (f.status, f.reason, f.processing_started_at) for f in cat.files(task_id)} == before

    milvus.start()
    again = _load(task_id, milvus.uri)  # a plain run: no POST /task/retry
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out
    after = cat.files(task_id)
    assert all(f.status == FileStatus.SUCCESS for f in after), [(f.uri, f.reason) for f in after]
    assert cat.runs(task_id)[0].status == "completed"
    assert in_flight and all(f.attempts == (2 if f.uri in in_flight else 1) for f in after), \
        [(f.uri, f.attempts) for f in after]
    assert all(f.worker.endswith(f"/pid-{again.pid}") for f in after if f.uri in in_flight)  # no Prefect worker: host/pid

    clean_task = ensure_local_task(corpus, "outage-clean")
    clean = _load(clean_task, milvus.uri)
    out, _ = clean.communicate(timeout=600)
    assert clean.returncode == 0, out
    resumed, reference = _chunks(milvus.uri, task_id), _chunks(milvus.uri, clean_task)
    assert resumed == reference and sum(reference.values()) > N_FILES
