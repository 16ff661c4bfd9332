"""Incremental, deletion-aware loads (issue 7) through the real flow, Milvus Lite and the catalog."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ingestflow.flows import run_guard
from ingestflow.flows.load import load_task
from ingestflow.indexers.milvus_store import ChunkFilter
from tests.support.catalog import search
from tests.support import catalog as cat
from ingestflow.services.local import ensure_local_task
from ingestflow.records import FileStatus

pytestmark = pytest.mark.slow

N_FILES = 200
_opened: list[str] = []
_watch: dict[str, str] = {}


def _audit(event: str, args: tuple) -> None:
    """Records every file this process opens under the watched folder (Python's audit hook)."""
    if event == "open" and _watch.get("root") and isinstance(args[0], str) and args[0].startswith(_watch["root"]):
        _opened.append(args[0])


sys.addaudithook(_audit)


def _text(i: int, variant: str = "v1") -> str:
    return f"文档{i:03d}：编号 KEY{i:03d}{variant} 的记录，描述第{i}号仓库的库存与运输安排。\n"


def _chunks(task_id: str) -> list[dict]:
    from ingestflow.flows.context import task_context

    store = task_context(task_id).store()
    return store.client.query(store.collection, filter='id != ""', output_fields=["id", "doc_id", "content_hash"],
                              limit=16384)


def _doc_chunks(task_id: str, doc_id: str) -> int:
    from ingestflow.flows.context import task_context

    return task_context(task_id).store().count(ChunkFilter(doc_ids=[doc_id]))


def _files(task_id: str) -> dict[str, object]:
    return {f.uri: f for f in cat.files(task_id)}


def _make_source(root: Path, n: int) -> Path:
    (root / "sub").mkdir(parents=True)
    for i in range(n):
        (root / ("sub" if i % 4 == 0 else "") / f"f{i:03d}.txt").write_text(_text(i), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def source(prefect_server, tmp_path_factory):
    root = _make_source(tmp_path_factory.mktemp("inc") / "src", N_FILES)
    task_id = ensure_local_task(root, "incremental")
    first = load_task(task_id)
    assert first["files_succeeded"] == N_FILES and first["files_failed"] == 0, first
    return root, task_id, first


def test_unchanged_rerun_opens_no_file_and_writes_no_chunk(source) -> None:
    root, task_id, first = source
    before_chunks = sorted(c["id"] for c in _chunks(task_id))
    before = {u: (f.processing_started_at, f.completed_at) for u, f in _files(task_id).items()}
    _opened.clear()
    _watch["root"] = str(root)
    try:
        summary = load_task(task_id)
    finally:
        _watch.clear()
    assert _opened == []  # listing is stat-only: no file under the source was opened
    assert summary["unchanged"] == N_FILES and summary["listed"] == N_FILES
    assert summary["chunks_written"] == 0 and summary["bytes_read"] == 0 and summary["files_succeeded"] == 0
    assert sorted(c["id"] for c in _chunks(task_id)) == before_chunks
    assert {u: (f.processing_started_at, f.completed_at) for u, f in _files(task_id).items()} == before
    run = cat.runs(task_id)[0]
    assert (run.status, run.files_listed, run.files_skipped, run.files_added, run.chunks_written) == (
        "completed", N_FILES, N_FILES, 0, 0)
    assert first["chunks_written"] == len(before_chunks) >= N_FILES


def test_edit_reindexes_only_that_file_even_with_the_same_mtime_and_size(source) -> None:
    root, task_id, _ = source
    path = root / "f001.txt"
    st = path.stat()
    new_text = _text(1, "v2")
    assert len(new_text.encode()) == st.st_size
    path.write_text(new_text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as cp -p / rsync -t would leave it
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size
    before = {u: f.completed_at for u, f in _files(task_id).items()}
    summary = load_task(task_id)
    assert summary["changed"] == 1 and summary["unchanged"] == N_FILES - 1 and summary["files_succeeded"] == 1
    after = _files(task_id)
    assert [u for u in after if after[u].completed_at != before[u]] == ["f001.txt"]
    volume_id = cat.task(task_id).volume_id
    hits = search("KEY001v2", volume_id, mode="full_text", k=3)
    assert hits and hits[0].document["uri"] == "f001.txt" and "KEY001v2" in hits[0].content
    assert not any("KEY001v1" in h.content for h in search("KEY001v1", volume_id, mode="full_text", k=5))
    assert _doc_chunks(task_id, after["f001.txt"].doc_id) == after["f001.txt"].segment_count


def test_deleted_file_loses_its_chunks_and_row(source) -> None:
    root, task_id, _ = source
    doc_id = _files(task_id)["f002.txt"].doc_id
    assert _doc_chunks(task_id, doc_id) > 0
    (root / "f002.txt").unlink()
    summary = load_task(task_id)
    assert summary["files_deleted"] == 1 and summary["listing_error"] == ""
    assert _doc_chunks(task_id, doc_id) == 0 and "f002.txt" not in _files(task_id)
    volume_id = cat.task(task_id).volume_id
    assert all(h.document["uri"] != "f002.txt" for h in search("KEY002v1", volume_id, mode="full_text", k=10))
    assert cat.runs(task_id)[0].files_deleted == 1


def test_listing_error_mid_run_deletes_nothing_and_is_reported(source) -> None:
    root, task_id, _ = source
    gone = root / "f003.txt"
    gone.unlink()  # really gone, but a listing that failed must not delete it
    # a sub-directory the OS refuses to list (path longer than PATH_MAX; chmod 000 does not stop root)
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(18):
            os.mkdir("z" * 250, dir_fd=fd)
            new_fd = os.open("z" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new_fd
    finally:
        os.close(fd)
    chunks_before = len(_chunks(task_id))
    doc_id = _files(task_id)["f003.txt"].doc_id
    summary = load_task(task_id)
    assert "listing failed, nothing deleted" in summary["listing_error"] and "could not be listed" in summary["listing_error"]
    assert summary["files_deleted"] == 0 and summary["listed"] > 0
    assert "f003.txt" in _files(task_id) and _doc_chunks(task_id, doc_id) > 0
    assert len(_chunks(task_id)) == chunks_before
    run = cat.runs(task_id)[0]
    assert run.files_deleted == 0 and "could not be listed" in run.error
    import shutil

    shutil.rmtree(root / ("z" * 250))
    assert load_task(task_id)["files_deleted"] == 1 and _doc_chunks(task_id, doc_id) == 0


def test_runs_api_reports_what_each_run_did(source) -> None:
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app

    _, task_id, _ = source
    with TestClient(create_app(), headers={"moi-key": "ingestflow-dev-key"}) as client:
        body = client.get("/task/runs", params={"task_id": task_id}).json()
    assert body["code"] == "OK"
    runs = body["data"]["runs"]
    assert len(runs) >= 6 and all(r["status"] == "completed" and r["ended_at"] >= r["started_at"] for r in runs)
    first = runs[-1]
    assert (first["files_added"], first["files_succeeded"], first["files_deleted"]) == (N_FILES, N_FILES, 0)
    assert first["chunks_written"] >= N_FILES and first["bytes_read"] > 0
    assert runs[-2]["files_skipped"] == N_FILES and runs[-2]["bytes_read"] == 0  # the unchanged re-run
    assert any(r["files_changed"] == 1 and r["files_succeeded"] == 1 for r in runs)
    # the same figures as a markdown table on the latest flow run (Prefect UI → Artifacts)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as prefect:
        artifacts = prefect.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[runs[0]["flow_run_id"]])))
    assert [a.key for a in artifacts] == [f"load-{task_id}"]
    table = artifacts[0].data
    assert f"| run_id | {runs[0]['id']} |" in table and f"| chunks_written | {runs[0]['chunks_written']} |" in table
    assert f"| files_deleted | {runs[0]['files_deleted']} |" in table


def test_chunk_size_change_reindexes_everything_once(prefect_server, tmp_path) -> None:
    root = tmp_path / "cs"
    root.mkdir()
    for i in range(12):
        (root / f"c{i}.txt").write_text(_text(i) * 6, encoding="utf-8")
    task_id = ensure_local_task(root, "incremental")
    assert load_task(task_id)["files_succeeded"] == 12
    segments = {u: f.segment_count for u, f in _files(task_id).items()}
    cat.update_task(task_id, process_config={"segment": {"chunk_size": 40, "chunk_overlap": 0}})
    summary = load_task(task_id)
    assert summary["changed"] == 12 and summary["files_succeeded"] == 12 and summary["unchanged"] == 0
    files = _files(task_id)
    assert all(files[u].segment_count > segments[u] for u in files)
    assert sum(f.segment_count for f in files.values()) == len(_chunks_of(task_id, files))
    again = load_task(task_id)
    assert again["unchanged"] == 12 and again["changed"] == 0 and again["chunks_written"] == 0


def _chunks_of(task_id: str, files: dict) -> list[dict]:
    docs = {f.doc_id for f in files.values()}
    return [c for c in _chunks(task_id) if c["doc_id"] in docs]


def test_a_file_that_hangs_the_parser_fails_by_timeout_and_the_rest_load(prefect_server, tmp_path) -> None:
    from tests.support import samples

    root = tmp_path / "hang"
    root.mkdir()
    for i in range(4):
        (root / f"ok{i}.txt").write_text(_text(i), encoding="utf-8")
    samples.write_png(root / "slow.png", [f"第{i}行：扫描件里的一行很长的中文文字 line {i} of a scanned page" for i in range(40)])
    task_id = ensure_local_task(root, "incremental")
    cat.update_task(task_id, process_config={"parse_timeout_s": 1.0})
    summary = load_task(task_id)
    files = _files(task_id)
    assert summary["files_succeeded"] == 4 and summary["files_failed"] == 1
    slow = files["slow.png"]
    assert slow.status == FileStatus.FAILED and "longer than 1 s" in slow.reason and slow.stopped_at
    assert all(files[f"ok{i}.txt"].status == FileStatus.SUCCESS for i in range(4))
    # the killed worker was replaced: the next run parses again, and the poison file is not retried by itself
    (root / "ok0.txt").write_text(_text(0, "v3"), encoding="utf-8")
    again = load_task(task_id)
    assert again["files_succeeded"] == 1 and again["failed"] == 1 and again["files_failed"] == 0


def test_shrink_guard_and_append_only_mode(prefect_server, tmp_path) -> None:
    root = tmp_path / "guard"
    root.mkdir()
    for i in range(10):
        (root / f"g{i}.txt").write_text(_text(i), encoding="utf-8")
    task_id = ensure_local_task(root, "incremental")
    load_task(task_id)
    chunks = len(_chunks_of(task_id, _files(task_id)))
    for i in range(6):
        (root / f"g{i}.txt").unlink()
    summary = load_task(task_id)
    assert summary["files_deleted"] == 0 and "deletion guard: 6 of 10" in summary["listing_error"]
    assert len(_files(task_id)) == 10 and len(_chunks_of(task_id, _files(task_id))) == chunks
    cat.update_task(task_id, process_config={"sync_mode": "append-only"})
    assert load_task(task_id)["files_deleted"] == 0
    cat.update_task(task_id, process_config={"max_delete_fraction": 0.7})
    assert load_task(task_id)["files_deleted"] == 6 and len(_files(task_id)) == 4


def test_overlapping_run_is_skipped_and_missed_runs_collapse(prefect_server, tmp_path) -> None:
    import time

    root = tmp_path / "sched"
    root.mkdir()
    (root / "s.txt").write_text(_text(1), encoding="utf-8")
    task_id = ensure_local_task(root, "incremental")
    lease = run_guard.RunLease(task_id, "another-host/ingestflow-1", None)  # a live run elsewhere holds it
    assert lease.acquire()
    try:
        skipped = load_task(task_id)
    finally:
        lease.release()
    assert skipped["skipped"] == "another run of this task is in flight"
    assert cat.runs(task_id)[0].status == "skipped" and cat.files(task_id) == []
    due_before = time.time()
    done = load_task(task_id)
    assert done["files_succeeded"] == 1
    # a run that was due before that run started (worker down) is redundant …
    assert run_guard.collapsed_by(task_id, due_before) is not None
    # … and so is one that came due while it was in flight (skipped and recorded, not queued)
    completed = next(r for r in cat.runs(task_id) if r.status == "completed")
    assert run_guard.collapsed_by(task_id, (completed.started_at + completed.ended_at) / 2) is not None
    assert run_guard.collapsed_by(task_id, time.time()) is None
