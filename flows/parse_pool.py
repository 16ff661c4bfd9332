"""Fetch + parse in killable child processes, with a per-file time limit.

A thread cannot be killed, so a hung parser (or OCR, or a stalled source read) would hang
the load. Each worker here is a spawned process in its own process group, serving one job
at a time over a pipe; when a job outlives its limit the whole group (worker + any
tesseract/LibreOffice child) gets SIGKILL and a fresh worker takes its place. Parsing in
processes also lets parsing use every core while the flow's thread embeds.

    pool = parse_pool(workers)
    sections, size, version = pool.run(ParseJob(...), timeout_s=300)   # ParseTimeout / the parser's error

``version`` is the source version of the bytes read ("" when the connector cannot tell cheaply).
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import queue
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from ingestflow import errors
from ingestflow.errors import IngestError, ParserCrashed, ParseTimeout
from ingestflow.records import Section

STARTUP_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class ParseJob:
    """Everything a worker needs to fetch and parse one source item (all picklable)."""

    connector_kind: str
    connector_config: dict[str, Any] = field(repr=False)  # may hold secrets: never logged
    uri: str = ""
    name: str = ""
    ocr_languages: str = "chi_sim+eng"
    tmp_dir: str = ""
    """The job's temporary directory, made (and removed, even after a kill) by the parent; every temporary
    file of the parse (the fetched copy, OCR page renders, LibreOffice output) goes in it."""
    ocr_engine: str = ""  # "" = the worker's ocr_engine setting


def _run_job(job: ParseJob) -> tuple[list[Section], int, str]:
    """In the worker: stream the item to a temp file and parse it; also returns the version read.

    A connector with a cheap ``version_of`` (local files: one stat) is asked before and after the
    copy: the same answer twice is the version of the bytes read. A file edited during the copy
    gets "" (it keeps its listed version), so the next run sees a change and re-reads it (the safe direction).
    """
    import shutil
    import tempfile
    from pathlib import Path

    from ingestflow.connectors import build_connector
    from ingestflow.indexers.parsing import parse_file

    tmp_dir = Path(job.tmp_dir or tempfile.mkdtemp(prefix="ingestflow-"))
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = os.environ["TMPDIR"] = str(tmp_dir)  # this parse's temp files (and its children's) go here
    try:
        suffix = Path(job.name).suffix.lower()
        local = tmp_dir / ("doc" + (suffix if len(suffix) <= 32 else ""))  # a 255-byte name's "suffix" would not fit
        connector = build_connector(job.connector_kind, job.connector_config)
        version_of = getattr(connector, "version_of", None)
        before = version_of(job.uri) if version_of else ""
        with connector.open(job.uri) as src, local.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        version = before if not version_of or version_of(job.uri) == before else ""
        sections = parse_file(local, job.name, ocr_languages=job.ocr_languages, ocr_engine=job.ocr_engine or None)
        return sections, local.stat().st_size, version
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _warm_up() -> None:  # pragma: no cover - runs in the child
    """Import the parsers and parse a tiny text once, so a job's clock measures only its file."""
    import tempfile
    from pathlib import Path

    try:
        from ingestflow.indexers.parsing import parse_file, partitioner_for

        for ext in (".md", ".html", ".csv", ".docx", ".pptx", ".xlsx"):
            partitioner_for(ext)  # first-use imports (≈ 1 s in all) are paid here, not by the first files
        import ingestflow.indexers.pdf_text  # noqa: F401

        with tempfile.TemporaryDirectory(prefix="ingestflow-warm-") as tmp:
            sample = Path(tmp) / "warm.txt"
            sample.write_text("warm up 预热\n", encoding="utf-8")
            parse_file(sample, "warm.txt")
    except Exception:  # noqa: BLE001, S110 - the first real job reports any parser problem itself
        pass


def _limit_memory() -> int:  # pragma: no cover - runs in the child
    """The address-space ceiling (RLIMIT_AS, ``parse_memory_mb``) of this worker and its tesseract/LibreOffice
    children: an allocation past it fails (MemoryError) instead of taking the host. Also Pillow's pixel limit."""
    import resource

    from ingestflow.indexers.file_limits import apply_pillow_limit
    from ingestflow.settings import get_settings

    apply_pillow_limit()
    ceiling_mb = get_settings().parse_memory_mb
    if ceiling_mb:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = ceiling_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit if hard == resource.RLIM_INFINITY else min(limit, hard)))
    return ceiling_mb


def _worker_main(conn: Any, nice: int = 0) -> None:  # pragma: no cover - runs in the child
    """Serve jobs until the pipe closes; errors travel back as (class name, message)."""
    os.setpgrp()  # own group: a kill on timeout also takes tesseract/soffice children
    if nice:
        os.nice(nice)  # embedding (the load's bottleneck on text files) goes first; parsing takes the rest
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    ceiling_mb = _limit_memory()
    _warm_up()
    conn.send(("ready",))  # the parent starts a job's clock only after this
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            from ingestflow.indexers.ocr import ocr_seconds

            ocr_before = ocr_seconds()
            result = _run_job(job)
            conn.send(("ok", result, ocr_seconds() - ocr_before))
        except MemoryError:
            conn.send(("err", "ParseMemoryExceeded", f"{job.name!r}: parsing needed more than the parse worker's "
                       f"memory ceiling of {ceiling_mb} MB (INGESTFLOW_PARSE_MEMORY_MB)", False))
        except IngestError as exc:
            conn.send(("err", type(exc).__name__, exc.message, exc.retryable))
        except Exception as exc:  # noqa: BLE001 - any parser failure is this file's failure
            conn.send(("err", "", f"{type(exc).__name__}: {exc}", False))


def _rebuild(name: str, message: str, retryable: bool) -> IngestError:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, IngestError):
        return cls(message)
    exc = errors.ProviderUnavailable(message) if retryable else errors.ParseError(message)
    return exc


class _Worker:
    def __init__(self, ctx: Any, nice: int = 0) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, nice), daemon=True, name="ingestflow-parse")
        self.proc.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Block until the worker has imported the parser (its start-up is not the job's time)."""
        if not self.ready:
            if not self.conn.poll(timeout_s) or self.conn.recv() != ("ready",):
                raise ParserCrashed(f"a parse worker did not start within {timeout_s:g} s")
            self.ready = True

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                self.proc.kill()
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        self.proc.join(timeout=5)
        self.conn.close()


class ParsePool:
    """N spawned worker processes; ``run`` borrows one for one job, thread-safely."""

    def __init__(self, workers: int, nice: int = 0) -> None:
        self.size, self.nice = workers, nice
        self._ctx = mp.get_context("spawn")  # never fork a process full of threads
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.last = threading.local()  # ``last.ocr_s``: OCR seconds of this thread's last job
        for _ in range(workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.nice)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def run(self, job: ParseJob, timeout_s: float) -> tuple[list[Section], int, str]:
        """Fetch and parse one item in a worker; kill and replace the worker past ``timeout_s``.

        The job's temporary directory is made here and removed here after the job, whatever happened to the
        worker: a SIGKILL skips the worker's own clean-up."""
        self.last.ocr_s = 0.0
        worker = self._idle.get()
        job = replace(job, tmp_dir=tempfile.mkdtemp(prefix="ingestflow-parse-"))
        if worker.proc.exitcode is not None:  # died while idle (OOM killer…): not this file's fault
            self._retire(worker)
            worker = self._spawn()
        healthy = False
        try:
            worker.wait_ready()
            worker.conn.send(job)
            if not worker.conn.poll(timeout_s):
                raise ParseTimeout(f"{job.name!r}: fetch + parse took longer than {timeout_s:g} s; worker killed")
            try:
                reply = worker.conn.recv()
            except (EOFError, OSError):
                worker.proc.join(timeout=5)
                raise ParserCrashed(f"{job.name!r}: the parser process died (exit code {worker.proc.exitcode})") from None
            # a worker that ran out of memory may keep a fragmented heap: replace it
            healthy = not (reply[0] == "err" and reply[1] == "ParseMemoryExceeded")
        except (BrokenPipeError, EOFError, OSError) as exc:
            raise ParserCrashed(f"{job.name!r}: the parser process was lost ({type(exc).__name__})") from None
        finally:
            if not healthy:  # timed out, died or never started: a fresh worker takes its place
                self._retire(worker)
                worker = self._spawn()
            self._idle.put(worker)
            shutil.rmtree(job.tmp_dir, ignore_errors=True)  # after the kill: nothing writes there any more
        if reply[0] == "ok":
            self.last.ocr_s = reply[2]
            return reply[1]
        raise _rebuild(*reply[1:])

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


_pool: ParsePool | None = None
_pool_lock = threading.Lock()


def parse_pool(workers: int, nice: int = 0) -> ParsePool:
    """The process-wide pool (started on first use, restarted when ``workers`` or ``nice`` change)."""
    global _pool
    with _pool_lock:
        if _pool is None or (_pool.size, _pool.nice) != (workers, nice):
            if _pool is not None:
                _pool.close()
            _pool = ParsePool(workers, nice)
        return _pool


@atexit.register
def _shutdown() -> None:
    if _pool is not None:
        _pool.close()
