"""The load pipeline: parse groups of files ahead while batches of chunks across files are indexed.

Embedding is the bottleneck on text, so the embedder must never wait: while one ``index`` batch
embeds, the next is already queued behind it, and parse groups run ahead (bounded by ``window``
groups in flight and ``buffer_batches`` batches of chunks waiting) so there is always a next
batch. The thread that runs the pipeline only dispatches; the work runs wherever the ``Runner``
puts it (Prefect task runs in the load flow, plain threads in the unit tests).

    groups ─▶ parse (≤ window in flight) ─▶ buffer of chunks ─▶ index (one embedding, one queued)
                 │ a file's failure: ledger.failed          └─▶ a file's last chunk written: ledger.finalise
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ingestflow.catalog.files import FileRef
from ingestflow.errors import IngestError
from ingestflow.records import Chunk
from ingestflow.scrub import scrub


@dataclass
class LoadStats:
    """What a run did, counted as it goes."""

    chunks_written: int = 0
    bytes_read: int = 0
    files_failed: int = 0
    files_succeeded: int = 0
    files_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Runner(Protocol):
    """Where the pipeline's work runs; futures follow ``concurrent.futures`` (``result()`` raises)."""

    def parse(self, group: list[FileRef]) -> Any:
        """Start fetch + parse + split of a group; its result: one outcome per file, in order —
        ``{"chunks": [...], "bytes": n, "version": v}`` (``v``: the source version of the bytes read, or "")
        or ``{"error": reason, "started": t, "outage": bool}``."""

    def index(self, batch: list[Chunk], meta: dict[str, dict[str, Any]]) -> Any:
        """Start embedding + upserting a batch; its result: rows written."""

    def first_done(self, futures: Sequence[Any]) -> Any:
        """Block until one of ``futures`` is done; return it."""

    def pausing(self) -> bool:
        """Whether the task is being paused (no new groups are started then)."""


class Ledger(Protocol):
    """What the pipeline records about files (the catalog, in the load flow)."""

    def meta(self, ref: FileRef) -> dict[str, Any]:
        """The document fields stored on each chunk of ``ref``."""

    def failed(self, ref: FileRef, reason: str, started: float | None = None) -> None:
        """``ref`` failed (alone; the load goes on)."""

    def finalise(self, done: list[tuple[FileRef, list[str]]], stats: LoadStats) -> None:
        """These files' new chunks (ids given) are all written: drop old chunks, mark them completed."""

    def deferred(self, refs: list[FileRef], reason: str) -> None:
        """These files met an outage (a dependency unreachable): they stay due for the next run."""


def reason_of(exc: BaseException) -> str:
    """A failure reason as a sentence (an IngestError's message, else the exception type and text), scrubbed
    of known secrets: it is stored in the catalog and shown by the API."""
    if isinstance(exc, IngestError):
        text = exc.message
    elif _catalog_unavailable(exc):
        orig = getattr(exc, "orig", None) or exc
        text = f"the catalog database is unavailable ({type(orig).__name__}: {str(orig).splitlines()[0][:300]})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(text)[:2000]


def _catalog_unavailable(exc: BaseException) -> bool:
    """A catalog failure that may pass (connection refused or dropped, database locked), not a bad statement."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


def is_outage(exc: BaseException) -> bool:
    """Whether a failure is a dependency's (unreachable source, Milvus, catalog: try again later)
    rather than the file's own (corrupt, unsupported, parser timeout: a poison file)."""
    return (isinstance(exc, IngestError) and exc.retryable) or _catalog_unavailable(exc)


@dataclass
class LoadPipeline:
    """One run's files through parse and index; ``run()`` returns when every file is done (or paused)."""

    groups: deque[list[FileRef]]
    runner: Runner
    ledger: Ledger
    batch_size: int = 128
    window: int = 4  # parse groups in flight
    buffer_batches: int = 8  # parse no further ahead than this many batches of chunks
    max_indexing: int = 2  # one embedding, the next queued behind it
    stats: LoadStats = field(default_factory=LoadStats)
    outage: str = ""  # the first outage met: no new groups start after it, the rest stays due
    files_deferred: int = 0

    def __post_init__(self) -> None:
        self.groups = deque(self.groups)
        self.buffer: list[Chunk] = []
        self.meta: dict[str, dict[str, Any]] = {}
        self.remaining: dict[str, int] = {}  # doc id → chunks not yet written
        self.files: dict[str, tuple[FileRef, list[str]]] = {}  # doc id → (file, its new chunk ids)
        self.parsing: dict[Any, list[FileRef]] = {}
        self.indexing: dict[Any, list[Chunk]] = {}
        self._sink_down = False  # an index batch met an outage: buffered chunks are not sent either

    def run(self) -> LoadStats:
        while True:
            self._start_parsing()
            self._start_indexing()
            waiting = [*self.parsing, *self.indexing]
            if not waiting:
                return self.stats  # all done (or paused: the rest stays waiting)
            future = self.runner.first_done(waiting)
            if future in self.indexing:
                self._indexed(self.indexing.pop(future), future)
            else:
                self._parsed(self.parsing.pop(future), future)

    def _start_parsing(self) -> None:
        while (self.groups and len(self.parsing) < self.window
               and len(self.buffer) < self.buffer_batches * self.batch_size and not self._stopping()):
            group = self.groups.popleft()
            self.parsing[self.runner.parse(group)] = group

    def _start_indexing(self) -> None:
        if self._sink_down and self.buffer:  # do not wait out Milvus' outage batch by batch: the files stay due
            refs = [self.files.pop(d)[0] for d in sorted({c.doc_id for c in self.buffer}) if d in self.files]
            self.buffer = []
            if refs:
                self._defer(refs, self.outage)
        last = not self.parsing and (not self.groups or self._stopping())
        while len(self.indexing) < self.max_indexing and self.buffer and (len(self.buffer) >= self.batch_size or last):
            batch, self.buffer = self.buffer[:self.batch_size], self.buffer[self.batch_size:]
            meta = {doc_id: self.meta[doc_id] for doc_id in {c.doc_id for c in batch}}  # its own: meta grows meanwhile
            self.indexing[self.runner.index(batch, meta)] = batch

    def _stopping(self) -> bool:
        return bool(self.outage) or self.runner.pausing()

    def _defer(self, refs: list[FileRef], reason: str) -> None:
        self.outage = self.outage or reason
        self.ledger.deferred(refs, reason)
        self.files_deferred += len(refs)

    def _fail(self, ref: FileRef, reason: str, started: float | None = None) -> None:
        self.ledger.failed(ref, reason, started)
        self.stats.files_failed += 1

    def _parsed(self, group: list[FileRef], future: Any) -> None:
        try:
            outcomes = future.result()
        except Exception as exc:  # noqa: BLE001 - the group's task failed as a whole: its files fail
            if is_outage(exc):
                self._defer(group, reason_of(exc))
                return
            for ref in group:
                self._fail(ref, reason_of(exc))
            return
        empty = []
        for ref, outcome in zip(group, outcomes, strict=True):
            if outcome.get("outage"):
                self._defer([ref], outcome["error"])
                continue
            if "error" in outcome:
                self._fail(ref, outcome["error"], outcome.get("started"))
                continue
            if outcome.get("version") and outcome["version"] != ref.source_version:
                ref = replace(ref, source_version=outcome["version"])  # edited since the listing: record what was read
            self.stats.bytes_read += outcome["bytes"]
            chunks = outcome["chunks"]
            self.meta[ref.doc_id] = self.ledger.meta(ref)
            self.files[ref.doc_id] = (ref, [c.id for c in chunks])
            self.remaining[ref.doc_id] = len(chunks)
            self.buffer.extend(chunks)
            if not chunks:
                empty.append(self.files.pop(ref.doc_id))
        if empty:
            self.ledger.finalise(empty, self.stats)

    def _indexed(self, batch: list[Chunk], future: Any) -> None:
        try:
            self.stats.chunks_written += future.result()
        except Exception as exc:  # noqa: BLE001 - the batch's files fail (or wait out an outage), the load goes on
            refs = [self.files.pop(d)[0] for d in sorted({c.doc_id for c in batch}) if d in self.files]
            if is_outage(exc):
                self._sink_down = True
                self._defer(refs, f"indexing failed: {reason_of(exc)}")
                return
            for ref in refs:
                self._fail(ref, f"indexing failed: {reason_of(exc)}")
            return
        for chunk in batch:
            self.remaining[chunk.doc_id] -= 1
        done = [self.files.pop(d) for d, left in list(self.remaining.items()) if left == 0 and d in self.files]
        if done:
            self.ledger.finalise(done, self.stats)


def group_files(refs: list[FileRef], max_files: int, max_bytes: int, ramp: int = 0) -> list[list[FileRef]]:
    """Consecutive files in groups of at most ``max_files`` and about ``max_bytes`` (a big file alone).

    With ``ramp``, the first ``ramp`` groups hold one file and the next ones double up to
    ``max_files``, so the first chunks reach the embedder early.
    """
    groups: list[list[FileRef]] = []
    group: list[FileRef] = []
    size = 0
    for ref in refs:
        limit = max_files if not ramp else min(max_files, 2 ** max(0, len(groups) - ramp + 1))
        if group and (len(group) >= limit or size + ref.size > max_bytes):
            groups.append(group)
            group, size = [], 0
        group.append(ref)
        size += ref.size
    if group:
        groups.append(group)
    return groups


def group_label(group: list[FileRef]) -> str:
    """A parse group's name in the Prefect UI: the file, or "N files: first … last"."""
    if len(group) == 1:
        return group[0].name
    return f"{len(group)} files: {group[0].name} … {group[-1].name}"


def with_retries(call: Any, retries: int, backoff_s: list[float]) -> Any:
    """``call()``, retried after ``backoff_s[i]`` seconds while it raises a retryable ``IngestError``."""
    import time

    for attempt in range(retries + 1):
        try:
            return call()
        except IngestError as exc:
            if not exc.retryable or attempt >= retries:
                raise
        time.sleep(backoff_s[min(attempt, len(backoff_s) - 1)] if backoff_s else 0)
    raise AssertionError("unreachable")  # pragma: no cover
