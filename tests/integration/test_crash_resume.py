"""Crash safety (issue 7): SIGKILL a load mid-way, run it again, compare with a clean run.

Also: the killed run is found dead (its lease expired) and closed by the reaper without a next run:
its Prefect flow run Crashed, its catalog run crashed, its files waiting.

The load runs in child processes (``python -c`` running the flow against the session's Prefect
server); they and this process share the session's Milvus Lite server and SQLite catalog.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support import catalog as cat
from ingestflow.flows import run_guard
from ingestflow.services.local import ensure_local_task
from ingestflow.records import FileStatus
from ingestflow.settings import get_settings

pytestmark = pytest.mark.slow

N_FILES = 40
LEASE_S = 6  # the children's run lease: a dead one is found this long after its last heartbeat


@pytest.fixture(scope="module")
def milvus_server(session_milvus) -> str:
    """The session's Milvus Lite server: this process and the killed children share it."""
    return session_milvus


def _env(milvus_uri: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    settings = get_settings()
    return {**os.environ, "INGESTFLOW_DATA_DIR": str(settings.resolved_data_dir), "INGESTFLOW_MILVUS_URI": milvus_uri,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            # small steps, so the kill lands mid-load (at the defaults 40 small files finish in one batch)
            "INGESTFLOW_EMBEDDING_BATCH_SIZE": "8", "INGESTFLOW_PARSE_GROUP_FILES": "2",
            "INGESTFLOW_RUN_LEASE_S": str(LEASE_S)}


def _start_load(task_id: str, env: dict[str, str]) -> subprocess.Popen:
    code = "import sys; from ingestflow.flows.load import load_task; print(load_task(sys.argv[1]))"
    return subprocess.Popen([sys.executable, "-c", code, task_id], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _chunks(milvus_uri: str, task_id: str) -> list[dict]:
    from ingestflow.indexers.milvus_store import VolumeStore

    # the process-wide client of that URI (closing a second MilvusClient would close the shared connection)
    volume = cat.volume(cat.task(task_id).volume_id)
    store = VolumeStore(milvus_uri, volume.collection, volume.embedding_dim)
    return store.client.query(volume.collection, filter='id != ""', output_fields=["id", "uri", "content_hash"],
                              limit=16384)


def _flow_run_state(flow_run_id: str) -> str:
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id)).state.type.value


def _corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    for i in range(N_FILES):
        lines = [f"第{i}号文件第{j}段：仓库{i}的货物{j}在周{j % 7}发往城市{(i * j) % 13}，编号 C{i:02d}-{j:02d}。" * 3
                 for j in range(6)]
        (root / f"doc{i:02d}.md").write_text(f"# 文件 {i}\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_sigkill_mid_load_then_rerun_equals_a_clean_run(prefect_server, milvus_server, tmp_path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    task_id = ensure_local_task(corpus, "crash")
    env = _env(milvus_server)

    child = _start_load(task_id, env)
    deadline = time.monotonic() + 400
    while True:
        assert child.poll() is None, f"the load ended before it could be killed:\n{child.stdout.read()}"
        assert time.monotonic() < deadline, "the load made no progress"
        files = cat.files(task_id)
        done = [f for f in files if f.status == FileStatus.SUCCESS]
        if len(done) >= 8:
            break
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    killed_at = time.time()

    at_kill = {f.uri: f for f in cat.files(task_id)}
    completed = {u: f.completed_at for u, f in at_kill.items() if f.status == FileStatus.SUCCESS}
    unfinished = [u for u, f in at_kill.items() if f.status != FileStatus.SUCCESS]
    assert 8 <= len(completed) < N_FILES and unfinished
    assert cat.runs(task_id)[0].status == "running"  # the dead run never finished

    # without a next run, the reaper closes it within the lease: Prefect Crashed, catalog crashed, files due
    while not (closed := [d for d in run_guard.reap() if d.task_id == task_id]):
        assert time.time() - killed_at < LEASE_S + 5, "the dead run was not found within its lease"
        time.sleep(0.5)
    assert time.time() - killed_at >= LEASE_S / 3  # not before its lease could have expired
    dead = cat.runs(task_id)[0]
    assert dead.status == "crashed" and "process died" in dead.error and closed[0].flow_run_id == dead.flow_run_id
    assert _flow_run_state(dead.flow_run_id) == "CRASHED"
    assert {f.status for f in cat.files(task_id) if f.uri in unfinished} == {int(FileStatus.WAITING)}

    rerun = _start_load(task_id, env)
    out, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, out
    after = {f.uri: f for f in cat.files(task_id)}
    assert all(f.status == FileStatus.SUCCESS for f in after.values()), [(u, f.reason) for u, f in after.items()]
    assert {u: after[u].completed_at for u in completed} == completed  # not redone
    assert all(after[u].processing_started_at > killed_at for u in unfinished)  # redone
    runs = cat.runs(task_id)
    assert [r.status for r in runs[:2]] == ["completed", "crashed"]
    assert runs[0].files_succeeded == len(unfinished) and runs[0].files_skipped == len(completed)

    clean_task = ensure_local_task(corpus, "crash-clean")
    clean = _start_load(clean_task, env)
    out, _ = clean.communicate(timeout=600)
    assert clean.returncode == 0, out

    resumed, reference = _chunks(milvus_server, task_id), _chunks(milvus_server, clean_task)
    assert len(resumed) == len(reference) > N_FILES
    assert len({c["id"] for c in resumed}) == len(resumed)  # no duplicate chunk id
    hashes = Counter((c["uri"], c["content_hash"]) for c in resumed)
    assert max(hashes.values()) == 1  # no duplicate content in a document
    assert hashes == Counter((c["uri"], c["content_hash"]) for c in reference)
    assert sum(f.segment_count for f in after.values()) == len(resumed)
