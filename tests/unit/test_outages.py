"""Outages are transient, a file's own failure is poison: the pipeline, the catalog's classification
and the Milvus error mapping (pymilvus' and gRPC's errors as raised by an unreachable server)."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import grpc
import pytest
from pymilvus.exceptions import MilvusException

from ingestflow.catalog import FileRef, lifecycle
from ingestflow.errors import NotFound, ParseError, ParseTimeout, ProviderError, ProviderUnavailable
from ingestflow.flows.pipeline import LoadPipeline, LoadStats, group_files, is_outage
from ingestflow.indexers.milvus_store import VolumeStore
from ingestflow.records import Chunk, FileStatus


def _refs(n: int) -> list[FileRef]:
    return [FileRef(str(i), f"d{i}", f"f{i}", f"f{i}.txt", 1, "v1", 10) for i in range(n)]


class _Runner:
    """Parse on threads; index raises ``index_error`` (an outage or a refusal) from the first batch on."""

    def __init__(self, index_error: Exception | None = None, parse_errors: dict[str, dict] | None = None) -> None:
        self.pool = ThreadPoolExecutor(2)
        self.index_error, self.parse_errors = index_error, parse_errors or {}
        self.parsed: list[str] = []

    def parse(self, group):  # noqa: ANN001, ANN201
        self.parsed += [r.uri for r in group]
        return self.pool.submit(lambda: [self.parse_errors.get(r.uri) or
                                         {"chunks": [Chunk(f"{r.id}-{i}", r.doc_id, i, "t", "h", 1, 1) for i in range(3)],
                                          "bytes": r.size} for r in group])

    def index(self, batch, meta):  # noqa: ANN001, ANN201
        future: Future = Future()
        if self.index_error is not None:
            future.set_exception(self.index_error)
        else:
            future.set_result(len(batch))
        return future

    def first_done(self, futures):  # noqa: ANN001, ANN201
        return next(iter(wait(futures, return_when=FIRST_COMPLETED)[0]))

    def pausing(self) -> bool:
        return False


class _Ledger:
    def __init__(self) -> None:
        self.failed_uris: dict[str, str] = {}
        self.deferred_uris: dict[str, str] = {}
        self.completed: list[str] = []

    def meta(self, ref):  # noqa: ANN001, ANN201
        return {}

    def failed(self, ref, reason, started=None) -> None:  # noqa: ANN001
        self.failed_uris[ref.uri] = reason

    def deferred(self, refs, reason) -> None:  # noqa: ANN001
        self.deferred_uris.update({r.uri: reason for r in refs})

    def finalise(self, done, stats: LoadStats) -> None:  # noqa: ANN001
        self.completed += [ref.uri for ref, _ in done]


def test_errors_are_classified_outage_or_poison() -> None:
    assert is_outage(ProviderUnavailable("Milvus unreachable"))
    for poison in (ParseError("not a PDF"), ParseTimeout("past 300 s"), ProviderError("refused"), ValueError("x")):
        assert not is_outage(poison)


def test_milvus_down_defers_the_files_and_stops_new_groups() -> None:
    refs = _refs(40)
    runner, ledger = _Runner(index_error=ProviderUnavailable("Milvus at 'http://x' is unreachable")), _Ledger()
    pipeline = LoadPipeline(group_files(refs, 2, 10_000), runner, ledger, batch_size=4, window=2)
    pipeline.run()
    assert pipeline.outage.startswith("indexing failed: Milvus at 'http://x' is unreachable")
    assert not ledger.failed_uris and not ledger.completed  # nothing poisoned, nothing claimed done
    assert set(ledger.deferred_uris) == set(runner.parsed)  # every file it touched stays due
    assert len(runner.parsed) < len(refs)  # the outage stopped new groups: the run does not wait it out file by file
    assert pipeline.files_deferred == len(runner.parsed)


def test_a_corrupt_file_is_poison_and_an_unreachable_source_is_an_outage() -> None:
    refs = _refs(6)
    errors = {"f1": {"error": "not a PDF", "started": 1.0},
              "f4": {"error": "source unreachable", "started": 1.0, "outage": True}}
    runner, ledger = _Runner(parse_errors=errors), _Ledger()
    pipeline = LoadPipeline(group_files(refs, 1, 10_000), runner, ledger, batch_size=4, window=1)
    pipeline.run()
    assert ledger.failed_uris == {"f1": "not a PDF"}
    assert ledger.deferred_uris == {"f4": "source unreachable"}
    assert pipeline.outage == "source unreachable"
    assert "f5" not in runner.parsed  # stopped after the outage
    assert set(ledger.completed) == {"f0", "f2", "f3"}  # parsed before / with it: finished


def test_a_refused_batch_still_fails_its_files() -> None:
    runner, ledger = _Runner(index_error=ProviderError("Milvus upsert failed: field too long")), _Ledger()
    pipeline = LoadPipeline(group_files(_refs(4), 2, 10_000), runner, ledger, batch_size=4, window=2)
    pipeline.run()
    assert not pipeline.outage and not ledger.deferred_uris
    assert set(ledger.failed_uris) == {"f0", "f1", "f2", "f3"}


def test_deferred_files_are_retried_by_the_next_run_and_failed_ones_are_not() -> None:
    ref = _refs(1)[0]
    (update,) = lifecycle.deferred([ref], "Milvus at 'x' is unreachable")
    assert update["status"] == FileStatus.WAITING and "unreachable" in update["reason"]
    assert lifecycle.classify(update["status"], "v1", "", "v1", "fp") == "retry"
    (poison,) = [lifecycle.failed(ref, "not a PDF")]
    assert lifecycle.classify(poison["status"], "v1", "", "v1", "fp") == "failed"


class _RpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "failed to connect to all addresses"


def _store() -> VolumeStore:
    store = VolumeStore.__new__(VolumeStore)  # no client: _call is given the failing call directly
    store.uri, store.collection, store.dimension = "http://127.0.0.1:1", "vol_x", 8
    return store


def _raises(exc: Exception):  # noqa: ANN202
    def call(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        assert kwargs["timeout"] >= 1  # every call is bounded, so pymilvus stops retrying
        raise exc
    return call


def test_milvus_errors_read_as_sentences() -> None:
    rpc = _RpcError(grpc.StatusCode.UNAVAILABLE)
    # what pymilvus raises once its retries run out: the gRPC error's unbound code method as the code
    gave_up = MilvusException(rpc.code, "[has_collection] Retry run out of 75 retry times, message=failed to connect")
    for exc in (gave_up, rpc, ConnectionRefusedError(111, "refused")):
        with pytest.raises(ProviderUnavailable) as info:
            _store()._call("has_collection", _raises(exc), "vol_x")
        assert info.value.message.startswith("Milvus at 'http://127.0.0.1:1' is unreachable (has_collection on 'vol_x'")
        assert "<" not in info.value.message and "bound method" not in info.value.message
    with pytest.raises(NotFound):
        _store()._call("describe", _raises(MilvusException(100, "collection not found[collection=vol_x]")))
    with pytest.raises(ProviderError) as info:
        _store()._call("upsert", _raises(MilvusException(1100, "the length of text exceeds max length")))
    assert not isinstance(info.value, ProviderUnavailable) and "exceeds max length" in info.value.message
    with pytest.raises(ProviderError) as info:
        _store()._call("search", _raises(_RpcError(grpc.StatusCode.INVALID_ARGUMENT)))
    assert info.value.message.endswith("gRPC INVALID_ARGUMENT")


def test_a_file_edited_after_the_listing_is_recorded_under_the_version_read() -> None:
    class Runner(_Runner):
        def parse(self, group):  # noqa: ANN001, ANN201
            future: Future = Future()
            future.set_result([{"chunks": [Chunk(f"{r.id}-0", r.doc_id, 0, "t", "h", 1, 1)], "bytes": 1,
                                "version": "v2" if r.uri == "f1" else ""} for r in group])
            return future

    done: dict[str, str] = {}

    class Ledger(_Ledger):
        def finalise(self, files, stats) -> None:  # noqa: ANN001
            done.update({ref.uri: ref.source_version for ref, _ in files})

    LoadPipeline(group_files(_refs(3), 3, 10_000), Runner(), Ledger(), batch_size=4).run()
    assert done == {"f0": "v1", "f1": "v2", "f2": "v1"}  # "" = unknown: the listed version stays
    (update,) = [lifecycle.completed(FileRef("1", "d1", "f1", "f1.txt", 1, "v2"), 1, "fp")]
    assert update["source_version"] == "v2" and update["indexed_version"] == lifecycle.indexed_as("v2", "fp")


def test_a_catalog_that_cannot_be_reached_is_an_outage_and_reads_as_a_sentence() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from ingestflow.flows.pipeline import reason_of

    locked = OperationalError("UPDATE task_files …", {}, sqlite3.OperationalError("database is locked"))
    assert is_outage(locked)
    assert reason_of(locked) == "the catalog database is unavailable (OperationalError: database is locked)"
    assert "UPDATE" not in reason_of(locked)  # no statement, no parameters
    bad_sql = ProgrammingError("SELECT nope", {}, sqlite3.ProgrammingError("no such column"))
    assert not is_outage(bad_sql)  # our own bug is not something to wait out



def test_files_an_outage_keeps_leaving_due_back_off_between_runs() -> None:
    import time

    ref = _refs(1)[0]
    backoff = [0.0, 60.0, 300.0]
    (first,) = lifecycle.deferred([ref], "Milvus down", {}, backoff)
    assert first["deferrals"] == 1 and first["next_attempt_at"] is None  # the next run retries at once
    (second,) = lifecycle.deferred([ref], "Milvus down", {ref.id: 1}, backoff)
    assert second["deferrals"] == 2 and 59 < second["next_attempt_at"] - time.time() <= 60
    (later,) = lifecycle.deferred([ref], "Milvus down", {ref.id: 7}, backoff)
    assert 299 < later["next_attempt_at"] - time.time() <= 300  # the last delay repeats
    waiting = int(FileStatus.WAITING)
    assert lifecycle.classify(waiting, "v1", "", "v1", "fp", second["next_attempt_at"]) == "backoff"
    assert lifecycle.classify(waiting, "v1", "", "v1", "fp", second["next_attempt_at"],
                              now=second["next_attempt_at"] + 1) == "retry"
    done = lifecycle.completed(ref, 3, "fp")
    assert done["deferrals"] == 0 and done["next_attempt_at"] is None  # a success resets the back-off
    assert lifecycle.queued([ref])[0]["next_attempt_at"] is None
