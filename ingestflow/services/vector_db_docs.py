"""Seed 004 documents and QA pairs into the global collections, loaded by Prefect and waited for.

The web process only fetches (``connectors.url_fetch``) or writes the bytes into the upload store;
they then take the path every MOI upload takes (``services.volume_imports``: a volume file and a
run-once load task, parsed, OCR'd, chunked and embedded by a Prefect worker). The call waits for the
task's files to settle within ``seed004_wait_s``; past it, ``ProviderUnavailable`` (503) says so and
the run finishes on its own. Files of a tenant/org live in a folder of their own (``t-<tenant>/o-<org>``)
so equal names of different tenants never clash, and their task carries the codes, hence their chunks.
Re-adding a name replaces it (the old file and its chunks go first).
"""

from __future__ import annotations

import hashlib
import mimetypes
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from ingestflow.catalog import catalog
from ingestflow.catalog.models import Volume
from ingestflow.catalog.volume_files import stem_of
from ingestflow.connectors.upload import store_from_settings
from ingestflow.connectors.url_fetch import fetch_with_settings
from ingestflow.errors import IngestError, ProviderUnavailable, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.records import FileStatus
from ingestflow.services import moi_files, moi_volumes
from ingestflow.services import volume_imports as imports
from ingestflow.services.vector_db import ensure_collections, files_of
from ingestflow.settings import get_settings
from ingestflow.taskconfig import ProcessConfig

SETTLED = (FileStatus.SUCCESS, FileStatus.FAILED)
USER = "seed004"


@dataclass
class Added:
    """One document's outcome: ``error`` empty when it was indexed."""

    name: str
    task_id: str = ""
    uri: str = ""
    error: str = ""


def folder_for(tenant: str, org: str) -> tuple[str, ...]:
    """The folder of a tenant/org's files in a global volume (the root for neither)."""
    return tuple(p for p in (f"t-{tenant}" if tenant else "", f"o-{org}" if org else "") if p)


def _md5_chunks(stream: BinaryIO, digest: Any) -> Iterator[bytes]:
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        yield chunk


def store_bytes(stream: BinaryIO, name: str) -> tuple[str, int, str]:
    """(uri, size, md5) of a stream written into the upload store under a fresh ``<id>/<name>``."""
    uri = f"{snowflake_id()}/{name}"
    digest = hashlib.md5()  # noqa: S324 - MOI's dedup criterion, not a security hash
    size = store_from_settings().put(uri, _md5_chunks(stream, digest))
    return uri, size, digest.hexdigest()


def replace_named(volume: Volume, tenant: str, org: str, names: list[str]) -> int:
    """Remove the tenant/org's files of the volume called one of ``names`` (or whose stem is); how many."""
    wanted = set(names)
    rows = [r for r in files_of(volume, tenant, org) if r.name in wanted or stem_of(r.name) in wanted]
    moi_files.delete_files(rows)
    return len(rows)


@dataclass
class Pending:
    """A file to add: its name and its bytes (a stream, read once)."""

    name: str
    stream: BinaryIO


def start_imports(volume: Volume, tenant: str, org: str, files: list[Pending], *, family_op: str,
                  process: ProcessConfig | None = None) -> list[Added]:
    """Store files of the tenant/org (replacing those of the same names) and start one load task for them."""
    replace_named(volume, tenant, org, [f.name for f in files])
    stored: list[Added] = []
    incoming = []
    try:
        for item in files:
            uri, size, md5 = store_bytes(item.stream, item.name)
            stored.append(Added(name=item.name, uri=uri))
            incoming.append(imports.Incoming(uri, item.name, size, md5, folder_for(tenant, org)))
        first = files[0].name + (f" (+{len(files) - 1})" if len(files) > 1 else "")
        result = imports.import_files(volume, incoming, None, USER, {
            "name": f"seed004 {family_op} {first}"[:255], "tenant_code": tenant, "org_code": org,
            "tags": ["api:seed004", f"collection:{volume.name}"], **({"process": process} if process else {})})
    except BaseException:
        for added in stored:
            store_from_settings().delete(added.uri)
        raise
    for added in stored:
        added.task_id = result.task_id
    return stored


def wait_settled(started: list[Added], timeout_s: float | None = None) -> None:
    """Wait until every started file is indexed or failed (its error filled in); 503 past the limit."""
    limit = timeout_s if timeout_s is not None else get_settings().seed004_wait_s
    deadline = time.monotonic() + limit
    pending = [a for a in started if a.task_id and not a.error]
    while pending:
        with catalog() as c:
            for added in list(pending):
                rows = [f for f in c.files.of_task(added.task_id) if f.uri == added.uri]
                if rows and rows[0].status in SETTLED:
                    if rows[0].status == FileStatus.FAILED:
                        added.error = rows[0].reason or "processing failed"
                    pending.remove(added)
        if not pending:
            return
        if time.monotonic() > deadline:
            names = ", ".join(repr(a.name) for a in pending[:5])
            raise ProviderUnavailable(f"{names} not processed within {limit:g} s; the load goes on "
                                      f"(task {pending[0].task_id})")
        time.sleep(0.5)


def _name_for(doc_name: str, fetched_name: str, content_type: str) -> str:
    """doc_name, with the fetched file's extension when it has none (the parser goes by extension)."""
    if PurePosixPath(doc_name).suffix:
        return doc_name
    ext = PurePosixPath(fetched_name).suffix or (mimetypes.guess_extension(content_type) or "")
    return moi_volumes.check_name(doc_name + ext, "doc_name")


def add_url_documents(tenant: str, org: str, items: list[tuple[str, str]],
                      dimension_of: Callable[[str], int],
                      fetch: Callable[[str, BinaryIO], Any] = fetch_with_settings) -> list[Added]:
    """Fetch each (url, doc_name), load the fetched ones through one Prefect task, wait; one outcome per
    item, in order. A refused or failing URL fails its own item (the others go on)."""
    volume = ensure_collections(dimension_of)["DOC"]
    outcomes: list[Added] = []
    good: list[tuple[int, Pending]] = []
    with ExitStack() as spools:
        for url, doc_name in items:
            try:
                name = moi_volumes.check_name(doc_name, "doc_name")
                spool = spools.enter_context(tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024))
                got = fetch(url, spool)
                if got.size == 0:
                    raise ValidationFailed(f"doc_url {got.url} answered an empty body")
                spool.seek(0)
                if any(p.name == _name_for(name, got.file_name, got.content_type) for _i, p in good):
                    raise ValidationFailed(f"doc_name {name!r} is given twice")
                good.append((len(outcomes), Pending(_name_for(name, got.file_name, got.content_type), spool)))
                outcomes.append(Added(name=name))
            except IngestError as exc:
                outcomes.append(Added(name=str(doc_name), error=exc.message))
        if good:
            started = start_imports(volume, tenant, org, [p for _i, p in good], family_op="add_document")
            for (index, _pending), added in zip(good, started, strict=True):
                outcomes[index] = added
    wait_settled(outcomes)
    return outcomes


def delete_named(tenant: str, org: str, names: list[str], kind: str = "DOC") -> int:
    """Remove the tenant/org's documents (or QA files) of a global collection by name; how many went."""
    from ingestflow.services.vector_db import global_volume

    volume = global_volume(kind)
    return replace_named(volume, tenant, org, names) if volume is not None else 0


# --- QA pairs ----------------------------------------------------------------------------------

QA_PROCESS = ProcessConfig(process_type="custom", rule={
    "segment": {"chunk_size": 8192, "chunk_overlap": 0, "unit": "chars", "separators": ["\\n{6,}"]},
    "pre_process_rules": [{"id": "remove_extra_space", "enabled": False},
                          {"id": "remove_url_and_email", "enabled": False}]})
"""A pair stays one chunk (up to 8192 characters) and keeps its source URL."""


def add_qa_pairs(tenant: str, org: str, pairs: list[tuple[str, str, str]],
                 dimension_of: Callable[[str], int]) -> int:
    """Write each pair as a file of the QA collection, load them in one Prefect task, wait; how many.

    A question given twice keeps its last answer; any pair failing to index fails the call."""
    import io

    from ingestflow.services.qa import pair_file_name, pair_text

    volume = ensure_collections(dimension_of)["QA"]
    latest = {pair_file_name(q): (q, a, s) for q, a, s in pairs}
    files = [Pending(name, io.BytesIO(pair_text(*pair).encode("utf-8"))) for name, pair in latest.items()]
    started = start_imports(volume, tenant, org, files, family_op="add_qa", process=QA_PROCESS)
    wait_settled(started)
    failed = [a for a in started if a.error]
    if failed:
        raise ValidationFailed(f"{len(failed)} QA pair(s) could not be indexed: {failed[0].error}")
    return len(pairs)


def delete_questions(tenant: str, org: str, questions: list[str]) -> int:
    """Remove the tenant/org's QA pairs by question."""
    from ingestflow.services.qa import pair_file_name

    return delete_named(tenant, org, [pair_file_name(q) for q in questions], "QA")
