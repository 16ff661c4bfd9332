"""The load pipeline without Prefect: grouping, retries, and the parse/index scheduling it does."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import pytest

from ingestflow.catalog import FileRef
from ingestflow.errors import ParseError, ProviderError, ProviderUnavailable
from ingestflow.flows.pipeline import LoadPipeline, LoadStats, group_files, with_retries
from ingestflow.records import Chunk


def _refs(sizes: list[int]) -> list[FileRef]:
    return [FileRef(str(i), f"d{i}", f"f{i}", f"f{i}.txt", 1, "v", size) for i, size in enumerate(sizes)]


def test_small_files_are_grouped_per_task_run_and_big_ones_run_alone() -> None:
    groups = group_files(_refs([10] * 20), max_files=8, max_bytes=1000)
    assert [len(g) for g in groups] == [8, 8, 4]
    assert [r.id for g in groups for r in g] == [str(i) for i in range(20)]  # order kept, nothing lost
    big = group_files(_refs([10, 10, 5000, 10, 10]), max_files=8, max_bytes=1000)
    assert [[r.id for r in g] for g in big] == [["0", "1"], ["2"], ["3", "4"]]
    ramped = group_files(_refs([10] * 30), max_files=8, max_bytes=1000, ramp=2)
    assert [len(g) for g in ramped] == [1, 1, 2, 4, 8, 8, 6]  # first chunks reach the embedder early


def test_transient_errors_are_retried_and_corrupt_files_are_not() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ProviderUnavailable("source unreachable")
        return "ok"

    assert with_retries(flaky, retries=2, backoff_s=[0.0]) == "ok" and len(calls) == 3
    calls.clear()
    with pytest.raises(ProviderUnavailable):
        with_retries(flaky, retries=1, backoff_s=[0.0])
    assert len(calls) == 2

    def corrupt() -> None:
        calls.append(1)
        raise ParseError("not a PDF")

    calls.clear()
    with pytest.raises(ParseError):
        with_retries(corrupt, retries=5, backoff_s=[0.0])
    assert len(calls) == 1


def _chunks(ref: FileRef, n: int) -> list[Chunk]:
    return [Chunk(f"{ref.id}-{i}", ref.doc_id, i, f"text {i}", "h", 1, 6) for i in range(n)]


class _Runner:
    """Parse and index on threads; records how many index batches were in flight at once."""

    def __init__(self, chunks_per_file: int, fail_uris: set[str] = frozenset(), pause_after: int | None = None):
        self.pool = ThreadPoolExecutor(4)
        self.chunks_per_file, self.fail_uris, self.pause_after = chunks_per_file, fail_uris, pause_after
        self.parsed_groups = 0
        self.indexing_now = self.max_indexing = 0
        self.lock = threading.Lock()

    def parse(self, group):  # noqa: ANN001, ANN201
        self.parsed_groups += 1
        return self.pool.submit(lambda: [{"error": "corrupt", "started": 1.0} if r.uri in self.fail_uris
                                         else {"chunks": _chunks(r, self.chunks_per_file), "bytes": r.size}
                                         for r in group])

    def index(self, batch, meta):  # noqa: ANN001, ANN201
        def work() -> int:
            with self.lock:
                self.indexing_now += 1
                self.max_indexing = max(self.max_indexing, self.indexing_now)
            time.sleep(0.01)
            with self.lock:
                self.indexing_now -= 1
            return len(batch)
        return self.pool.submit(work)

    def first_done(self, futures):  # noqa: ANN001, ANN201
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return next(iter(done))

    def pausing(self) -> bool:
        return self.pause_after is not None and self.parsed_groups >= self.pause_after


class _Ledger:
    def __init__(self) -> None:
        self.failed_refs: list[tuple[str, str]] = []
        self.completed: dict[str, int] = {}

    def meta(self, ref):  # noqa: ANN001, ANN201
        return {"name": ref.name}

    def failed(self, ref, reason, started=None) -> None:  # noqa: ANN001
        self.failed_refs.append((ref.uri, reason))

    def finalise(self, done, stats: LoadStats) -> None:  # noqa: ANN001
        for ref, ids in done:
            self.completed[ref.uri] = len(ids)
        stats.files_succeeded += len(done)


def test_every_file_is_indexed_once_and_at_most_two_batches_are_in_flight() -> None:
    refs = _refs([10] * 40)
    runner, ledger = _Runner(chunks_per_file=7), _Ledger()
    stats = LoadPipeline(group_files(refs, 4, 10_000), runner, ledger, batch_size=16, window=3).run()
    assert ledger.completed == {r.uri: 7 for r in refs}
    assert stats.chunks_written == 40 * 7 and stats.files_succeeded == 40 and stats.files_failed == 0
    assert stats.bytes_read == 400
    assert runner.max_indexing <= 2


def test_a_failed_file_fails_alone() -> None:
    refs = _refs([10] * 6)
    runner, ledger = _Runner(chunks_per_file=3, fail_uris={"f2"}), _Ledger()
    stats = LoadPipeline(group_files(refs, 2, 10_000), runner, ledger, batch_size=4).run()
    assert ledger.failed_refs == [("f2", "corrupt")]
    assert set(ledger.completed) == {r.uri for r in refs} - {"f2"}
    assert stats.files_failed == 1 and stats.files_succeeded == 5


def test_a_file_without_chunks_completes_and_a_failed_batch_fails_its_files() -> None:
    refs = _refs([10] * 3)
    runner, ledger = _Runner(chunks_per_file=0), _Ledger()
    LoadPipeline(group_files(refs, 8, 10_000), runner, ledger).run()
    assert ledger.completed == {"f0": 0, "f1": 0, "f2": 0}

    class Broken(_Runner):
        def index(self, batch, meta):  # noqa: ANN001, ANN201
            future: Future = Future()
            future.set_exception(ProviderError("Milvus refused the upsert"))  # an outage defers instead: test_outages
            return future

    ledger = _Ledger()
    stats = LoadPipeline(group_files(refs, 8, 10_000), Broken(chunks_per_file=2), ledger).run()
    assert sorted(ledger.failed_refs) == [(f"f{i}", "indexing failed: Milvus refused the upsert") for i in range(3)]
    assert stats.files_failed == 3 and not ledger.completed


def test_a_pause_stops_new_groups_and_the_started_ones_finish() -> None:
    refs = _refs([10] * 20)
    runner, ledger = _Runner(chunks_per_file=1, pause_after=2), _Ledger()
    LoadPipeline(group_files(refs, 2, 10_000), runner, ledger, batch_size=4, window=2).run()
    assert runner.parsed_groups == 2  # no group started after the pause
    assert len(ledger.completed) == 4 and not ledger.failed_refs  # what was started got indexed
