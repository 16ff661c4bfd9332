"""Diff a source listing against the catalog, in bulk: new / changed / unchanged / retry / failed.

The version compared is per file (never a watermark), so files sharing an mtime are never
stranded. A document deleted by hand (a tombstone at its source version) is not listed again while the
source shows that same version; a new version lifts the tombstone and the file is new again. Each batch of the diff is its own transaction, on purpose: a listing of a large or slow
source must not hold one transaction (on SQLite, a write lock) open for the whole listing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, insert, select, update

from ingestflow.catalog.db import session_scope
from ingestflow.catalog.files import REF_COLUMNS, FileRef, ref_of
from ingestflow.catalog.lifecycle import classify, new_file_fields
from ingestflow.catalog.models import DocumentTombstone, LoadTask, TaskFile, Volume
from ingestflow.catalog.tasks import resolve_scope
from ingestflow.ids import document_id, snowflake_id
from ingestflow.records import SourceItem


def diff_listing(task: LoadTask, items: Iterable[SourceItem], fingerprint: str,
                 batch: int = 2000) -> Iterator[tuple[FileRef, str]]:
    """Yield (file, kind) for each listed item, recording new rows and changed metadata per ``batch``.

    When the listing fails part-way, what was listed before is recorded and yielded, then the
    error propagates.
    """
    diff = ListingDiff(task, fingerprint)
    source = iter(items)
    while True:
        try:
            item = next(source, None)
        except Exception:
            yield from diff.flush()
            raise
        if item is None:
            break
        diff.add(item)
        if len(diff.out) >= batch:
            yield from diff.flush()
    yield from diff.flush()


def record_items(task: LoadTask, items: Iterable[SourceItem], fingerprint: str = "") -> list[FileRef]:
    """Record listed items now (e.g. files just uploaded) and return their files, in order."""
    return [ref for ref, _kind in diff_listing(task, items, fingerprint)]


class ListingDiff:
    """The state of one diff: known rows, pending inserts/updates, classified items."""

    def __init__(self, task: LoadTask, fingerprint: str) -> None:
        self.task, self.fingerprint = task, fingerprint
        with session_scope() as s:
            self.known = {r.uri: r for r in s.execute(select(*REF_COLUMNS).where(TaskFile.task_id == task.id))}
            self.buried = dict(s.execute(select(DocumentTombstone.doc_id, DocumentTombstone.source_version)
                                         .where(DocumentTombstone.volume_id == task.volume_id)).all())
            volume = s.get(Volume, task.volume_id)
        self.lifted: list[str] = []
        # the tenant/org is part of a new document's identity (settings' defaults are not: they are the
        # same for every tenant-less task, and tenant-less documents keep their old ids)
        self.tenant, self.org = resolve_scope(task.tenant_code or "", task.org_code or "",
                                              volume.tenant_code if volume else "", volume.org_code if volume else "",
                                              "", "")
        self.seen: set[str] = set()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.out: list[tuple[FileRef, str]] = []

    def add(self, item: SourceItem) -> None:
        """Classify one listed item."""
        if item.uri in self.seen:
            return  # overlapping uris list a file twice
        self.seen.add(item.uri)
        task, row = self.task, self.known.get(item.uri)
        if row is None:
            doc_id = document_id(task.volume_id, task.connector_id, item.uri, self.tenant, self.org)
            if doc_id in self.buried:
                if self.buried[doc_id] == item.version:
                    return  # deleted by hand, unchanged at the source: stays deleted
                self.lifted.append(doc_id)
                del self.buried[doc_id]
            ref = FileRef(snowflake_id(), doc_id, item.uri, item.name, int(item.file_type), item.version,
                          int(item.size or 0))
            self.inserts.append({"id": ref.id, "task_id": task.id, "volume_id": task.volume_id,
                                 "doc_id": ref.doc_id, "uri": item.uri, "name": item.name,
                                 "file_type": ref.file_type, "size": item.size, "source_version": item.version,
                                 **new_file_fields()})
            self.out.append((ref, "new"))
            return
        kind = classify(row.status, row.source_version, row.indexed_version, item.version, self.fingerprint,
                        row.next_attempt_at)
        if (row.name, row.size, row.file_type, row.source_version) != (item.name, item.size, int(item.file_type),
                                                                       item.version):
            self.updates.append({"id": row.id, "name": item.name, "size": item.size,
                                 "file_type": int(item.file_type), "source_version": item.version})
        self.out.append((ref_of(_Listed(row, item)), kind))

    def flush(self) -> Iterator[tuple[FileRef, str]]:
        """Write pending rows in one transaction and yield the classified items."""
        if self.inserts or self.updates or self.lifted:
            with session_scope() as s:
                if self.lifted:
                    s.execute(delete(DocumentTombstone).where(DocumentTombstone.doc_id.in_(self.lifted)))
                if self.inserts:
                    s.execute(insert(TaskFile), self.inserts)
                if self.updates:
                    s.execute(update(TaskFile), self.updates)
            self.inserts.clear()
            self.updates.clear()
            self.lifted.clear()
        out, self.out = self.out, []
        yield from out


class _Listed:
    """A known row seen with the listing's current metadata (what a FileRef is built from)."""

    def __init__(self, row: Any, item: SourceItem) -> None:
        self.id, self.doc_id, self.uri = row.id, row.doc_id, item.uri
        self.name, self.file_type, self.source_version, self.size = item.name, item.file_type, item.version, item.size
