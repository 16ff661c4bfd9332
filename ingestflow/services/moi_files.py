"""MOI's files (seed 000): a file in a volume is a document; temporary connector files; their bytes.

A file's bytes are in the upload store, its load is a task file of an upload task, its chunks are
the document's. Deleting a file removes the chunks first (search stops returning it), then the
catalog rows, then the bytes; a file whose load is still in flight is refused (409) rather than
racing the worker that would write its chunks again.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from ingestflow.catalog import catalog
from ingestflow.catalog.models import ConnFile, TaskFile, VolumeFile
from ingestflow.catalog.volume_files import FileQuery
from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import Conflict, NotFound
from ingestflow.records import FileStatus, FileType, TaskStatus, file_type_for, mime_type_for
from ingestflow.services import moi_volumes
from ingestflow.services import tasks as task_service
from ingestflow.settings import get_settings

log = logging.getLogger("ingestflow.services")

IN_FLIGHT = (FileStatus.WAITING, FileStatus.PROCESSING, FileStatus.RETRYING)
PREVIEW_BYTES = 1024 * 1024


@dataclass
class FileView:
    """A volume file or folder with its path, its volume's name and (files) its load."""

    row: VolumeFile
    load: TaskFile | None
    path: str
    volume_name: str


def _views(c: Any, rows: list[VolumeFile]) -> list[FileView]:
    folders = c.volume_files.folders({r.volume_id for r in rows})
    names = c.volumes.names({r.volume_id for r in rows})
    loads = c.volume_files.load_rows(rows)
    return [FileView(r, loads.get(r.id), moi_volumes.show_path(folders, r), names.get(r.volume_id, "")) for r in rows]


def file_view(file_id: str) -> FileView:
    """One file (not a folder); NotFound naming it."""
    with catalog() as c:
        return _views(c, [c.volume_files.get_file(file_id)])[0]


def list_files(query: FileQuery) -> tuple[list[FileView], int]:
    """One page of files and folders, and the total; unknown volumes or folders in the query are 404."""
    with catalog() as c:
        for volume_id in query.volume_ids or []:
            c.volumes.get(volume_id)
        for parent_id in query.parent_ids or []:
            if parent_id:
                c.volume_files.get_folder(parent_id)
        rows, total = c.volume_files.search(query)
        return _views(c, rows), total


def rename_file(file_id: str, name: Any) -> FileView:
    """Rename a file; search results show the new name (a display name: the stored bytes keep theirs)."""
    name = moi_volumes.check_name(name)
    with catalog() as c:
        row = c.volume_files.get_file(file_id)
        c.volume_files.rename(row, name)
        if row.doc_id:
            c.documents.rename(row.volume_id, row.doc_id, name)
        return _views(c, [row])[0]


def _refuse_in_flight(c: Any, rows: list[VolumeFile]) -> None:
    loads = c.volume_files.load_rows(rows)
    for row in rows:
        load = loads.get(row.id)
        if load is None or load.status not in IN_FLIGHT:
            continue
        task = c.tasks.find(load.task_id)
        if task is not None and task.status in (TaskStatus.RUNNING, TaskStatus.PAUSING):
            raise Conflict(f"file {row.id} ({row.name!r}) is still being loaded by task {task.id} "
                           f"(stage {load.stage}); delete it once the task has finished")


def delete_files(rows: list[VolumeFile]) -> None:
    """Delete files: chunks, then catalog rows (task files, document state, the file), then bytes."""
    rows = [r for r in rows if not r.is_folder]
    if not rows:
        return
    with catalog() as c:
        _refuse_in_flight(c, rows)
        volumes = {v: c.volumes.get(v) for v in {r.volume_id for r in rows}}
    for volume_id, volume in volumes.items():
        doc_ids = sorted({r.doc_id for r in rows if r.volume_id == volume_id and r.doc_id})
        if doc_ids:
            task_service.drop_chunks(volume, doc_ids)
    with catalog() as c:
        for row in rows:
            if row.doc_id:
                c.documents.delete(row.volume_id, row.doc_id)
        c.volume_files.remove(r.id for r in rows)
    store = store_from_settings()
    for row in rows:
        _discard(store, row.uri)
    for task_id in sorted({r.task_id for r in rows if r.task_id}):
        moi_volumes.remove_empty_upload_task(task_id)


def _discard(store: Any, uri: str) -> None:
    if not uri:
        return
    try:
        store.delete(uri)
    except Exception:  # noqa: BLE001 - the catalog no longer names it: a leftover blob is harmless
        log.warning("could not remove stored file %s", uri)


def delete_file(file_id: str) -> VolumeFile:
    """Delete one file."""
    with catalog() as c:
        row = c.volume_files.get_file(file_id)
    delete_files([row])
    return row


def delete_files_made_from(ref_file_id: str) -> list[str]:
    """Delete the files made from a temporary connector file (MOI ``delete_ref``); their ids."""
    with catalog() as c:
        rows = c.volume_files.with_ref(ref_file_id)
    if not rows:
        raise NotFound(f"no file refers to {ref_file_id}")
    delete_files(rows)
    return [r.id for r in rows]


def delete_folder(folder_id: str, keep_folder: bool = False) -> VolumeFile:
    """Delete a folder with everything in it (``keep_folder``: empty it, MOI ``clean``)."""
    with catalog() as c:
        folder = c.volume_files.get_folder(folder_id)
        inside = c.volume_files.subtree(folder)
    delete_files([r for r in inside if not r.is_folder])
    with catalog() as c:
        c.volume_files.remove([r.id for r in inside if r.is_folder] + ([] if keep_folder else [folder.id]))
    return folder


# --- temporary connector files ----------------------------------------------------------------

def purge_expired_conn_files() -> int:
    """Delete temporary connector files older than ``INGESTFLOW_CONN_FILE_TTL_S``; how many."""
    cutoff = int(time.time()) - get_settings().conn_file_ttl_s
    with catalog() as c:
        old = c.conn_files.older_than(cutoff)
        c.conn_files.remove(r.id for r in old)
    store = store_from_settings()
    for row in old:
        _discard(store, row.uri)
    return len(old)


def conn_file(conn_file_id: str) -> ConnFile:
    """A temporary connector file; NotFound when unknown or expired (an expired one is removed)."""
    with catalog() as c:
        row = c.conn_files.find(str(conn_file_id))
    if row is None:
        raise NotFound(f"conn file {conn_file_id} does not exist")
    if row.created_at < time.time() - get_settings().conn_file_ttl_s:
        delete_conn_file(row.id)
        raise NotFound(f"conn file {conn_file_id} has expired (kept {get_settings().conn_file_ttl_s} s)")
    return row


def delete_conn_file(conn_file_id: str) -> None:
    """Remove a temporary connector file (files made from it keep their own copy)."""
    with catalog() as c:
        row = c.conn_files.get(str(conn_file_id))
        c.conn_files.remove([row.id])
    _discard(store_from_settings(), row.uri)


# --- bytes -------------------------------------------------------------------------------------

def open_bytes(kind: str, item_id: str) -> tuple[str, int, BinaryIO]:
    """(name, size, stream) of a volume file ("files") or a temporary connector file ("conn-files")."""
    if kind == "files":
        with catalog() as c:
            row: Any = c.volume_files.get_file(item_id)
    else:
        row = conn_file(item_id)
    return row.name, int(row.size), store_from_settings().open(row.uri)


def _head(stream: BinaryIO, limit: int) -> bytes:
    out = bytearray()
    with stream:
        while len(out) < limit and (chunk := stream.read(min(64 * 1024, limit - len(out)))):
            out.extend(chunk)
    return bytes(out)


def _utf8(head: bytes, truncated: bool) -> str | None:
    """``head`` as UTF-8 text (a character cut by the truncation dropped), or None for binary content."""
    for cut in range(4 if truncated else 1):
        try:
            return head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def preview_content(file_id: str) -> dict[str, Any]:
    """The first MiB of a file in the envelope (MOI ``preview_stream``): text as UTF-8, else base64."""
    name, size, stream = open_bytes("files", file_id)
    head = _head(stream, PREVIEW_BYTES)
    text = _utf8(head, size > len(head))
    content, encoding = (text, "utf-8") if text is not None else (base64.b64encode(head).decode("ascii"), "base64")
    return {"file_id": file_id, "name": name, "mime_type": mime_type_for(name), "size": size,
            "encoding": encoding, "content": content, "truncated": size > len(head)}


def file_type_of(name: str) -> int:
    """The seed file type of a name."""
    return int(file_type_for(name))


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def preview_rows(name: str, stream: BinaryIO, *, header_row: int | None, row_start: int,
                 separator: str = ",", quote: str = '"', max_rows: int = 20) -> list[dict[str, Any]]:
    """MOI's connector-file preview: one entry per column with its first values (CSV and text files;
    a binary file has none). ``header_row`` is 1-based (None: no header), ``row_start`` the first data row."""
    head = _head(stream, 256 * 1024)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    lines = text.splitlines()
    if len(head) == 256 * 1024 and lines:
        lines = lines[:-1]  # the last line may be cut
    if file_type_of(name) != FileType.CSV and not name.lower().endswith(".tsv"):
        values = lines[max(row_start, 1) - 1:][:max_rows]
        return [{"number": 1, "columnName": "content", "columnValues": values, "charNumber": "A",
                 "charColumnName": "content"}]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t" if name.lower().endswith(".tsv")
                           else (separator or ","), quotechar=quote or '"'))
    header = rows[header_row - 1] if header_row and len(rows) >= header_row else []
    data = rows[max(row_start, 1) - 1:][:max_rows]
    width = max([len(header), *(len(r) for r in data)] or [0])
    return [{"number": i + 1, "columnName": header[i] if i < len(header) else _letters(i),
             "columnValues": [r[i] if i < len(r) else "" for r in data], "charNumber": _letters(i),
             "charColumnName": header[i] if i < len(header) else _letters(i)} for i in range(width)]

