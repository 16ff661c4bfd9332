"""Unchanged re-sync benchmark: 10,000 small local files and 1,000 objects on the S3 test server.

Each source is first brought to the state a completed load leaves (every file in the catalog
with ``indexed_version`` = its source version + the pipeline fingerprint; a real first load of
10,000 files would take an hour of embedding on 2 cores and measures something else), then a
real ``load_task`` run is timed: Prefect flow run + listing + bulk catalog diff, no download,
parse or embed. Writes benchmarks/results/resync.json.

    .venv/bin/python benchmarks/resync_benchmark.py [--files 10000] [--objects 1000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import ROOT, isolated_workdir, machine, warm_up, write_results


def _mark_indexed(task_id: str) -> int:
    """Leave the task's catalog as a completed load would (listing + diff, then every file indexed)."""
    from sqlalchemy import update

    from ingestflow.flows.load import list_source
    from ingestflow.flows.context import task_context
    from ingestflow.catalog.db import session_scope
    from ingestflow.catalog.models import TaskFile
    from ingestflow.records import FileStatus

    ctx = task_context(task_id, refresh=True)
    plan = list_source.fn(task_id)
    with session_scope() as s:
        s.execute(update(TaskFile).where(TaskFile.task_id == task_id).values(
            status=int(FileStatus.SUCCESS), stage="completed", indexed_version=TaskFile.source_version + f"#{ctx.fingerprint}"))
    return plan.counts["listed"]


def _timed_resync(task_id: str, expected: int) -> dict:
    from ingestflow.flows.load import load_task
    from ingestflow.flows.context import task_context

    ctx = task_context(task_id, refresh=True)
    start = time.perf_counter()
    items = sum(1 for item in ctx.connector().list(uris=[]) if not item.is_dir)
    listing_s = time.perf_counter() - start
    start = time.perf_counter()
    summary = load_task(task_id)
    elapsed = time.perf_counter() - start
    assert summary["unchanged"] == expected == items and summary["chunks_written"] == 0, summary
    return {"files": expected, "resync_seconds": round(elapsed, 2), "listing_only_seconds": round(listing_s, 2),
            "files_per_s": round(expected / elapsed), "bytes_read": summary["bytes_read"]}


def bench_local(work: Path, n: int) -> dict:
    from ingestflow.services.local import ensure_local_task

    root = work / "local"
    for i in range(n):
        sub = root / f"d{i // 500:03d}"
        if i % 500 == 0:
            sub.mkdir(parents=True)
        (sub / f"f{i:05d}.txt").write_text(f"file {i} 文件 {i}\n", encoding="utf-8")
    task_id = ensure_local_task(root, "resync")
    listed = _mark_indexed(task_id)
    return {"source": "local", **_timed_resync(task_id, listed)}


def bench_s3(n: int) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import catalog as cat
    from ingestflow.records import SourceType
    from tests.support.servers.s3_server import S3TestServer

    server = S3TestServer().start()
    try:
        client = server.client()
        client.create_bucket(Bucket="resync")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: client.put_object(Bucket="resync", Key=f"docs/o{i:05d}.txt",
                                                      Body=f"object {i}\n".encode()), range(n)))
        connector = cat.create_connector("s3-resync", SourceType.S3, {
            "endpoint": server.endpoint, "access_key_id": server.access_key,
            "access_key_secret": server.secret_key, "bucket_name": "resync"})
        volume = cat.volume_named("resync")
        task = cat.create_task(connector.id, volume.id, {"common_file_task_config": {
            "load_mode_config": {"load_interval_type": 4, "interval": 0}, "uris": []}})
        listed = _mark_indexed(task.id)
        return {"source": "s3 (moto test server)", **_timed_resync(task.id, listed)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=1_000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "resync.json"))
    args = parser.parse_args()

    work = isolated_workdir("ingestflow-resync-")
    warm_up(work, "resync")  # the "resync" volume the S3 case loads into, too

    results = [bench_local(work, args.files)]
    print(json.dumps(results[-1]), flush=True)
    results.append(bench_s3(args.objects))
    write_results(args.out, {"machine": machine(), "targets_s": {"local_10000": 15, "s3_1000": 10},
                             "results": results})


if __name__ == "__main__":
    main()
