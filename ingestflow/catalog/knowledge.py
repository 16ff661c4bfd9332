"""Knowledge-base state (seed 003 §4.5–4.20): documents of a volume, segment state, hits, recent queries.

Chunk text and vectors live in Milvus; what Milvus does not hold — enabled flags, keywords, hit
counts, display names, recent queries — lives here. A document is the first ``TaskFile`` row of a
``doc_id`` in a volume (ids are time-ordered, so that is also its position).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingestflow.catalog.db import session_scope
from ingestflow.catalog.models import (
    DocumentState, LoadTask, SearchQuery, SegmentState, TaskFile, Volume, VolumeFile, now_ts,
)
from ingestflow.catalog.tasks import resolve_scope
from ingestflow.errors import NotFound
from ingestflow.ids import snowflake_id
from ingestflow.settings import get_settings

RECENT_QUERIES = 10


@dataclass
class Document:
    """A document of a volume: its first task-file row and its knowledge-base state."""

    row: TaskFile
    state: DocumentState | None
    position: int

    @property
    def name(self) -> str:
        return self.state.name if self.state and self.state.name else self.row.name


class Documents:
    """Documents of volumes (task-file rows grouped by doc id) and their state."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def task_scopes(self, volume_id: str) -> dict[str, tuple[str, str]]:
        """task id → (tenant_code, org_code) stamped on its chunks; NotFound for an unknown volume."""
        volume = self.s.get(Volume, str(volume_id))
        if volume is None:
            raise NotFound(f"volume {volume_id} does not exist")
        settings = get_settings()
        tasks = self.s.scalars(select(LoadTask).where(LoadTask.volume_id == volume.id))
        return {t.id: resolve_scope(t.tenant_code, t.org_code, volume.tenant_code, volume.org_code,
                                    settings.default_tenant_code, settings.default_org_code) for t in tasks}

    def list(self, volume_id: str, *, search_word: str = "", page: int = 1, page_size: int = 20,
             task_ids: Sequence[str] | None = None) -> tuple[list[Document], int]:
        """One page of a volume's documents (name search on the display name) and the total."""
        query = (select(TaskFile, DocumentState).outerjoin(DocumentState, DocumentState.doc_id == TaskFile.doc_id)
                 .where(TaskFile.id.in_(_first_rows(volume_id, task_ids))))
        if search_word:
            query = query.where(func.coalesce(DocumentState.name, TaskFile.name).contains(search_word,
                                                                                          autoescape=True))
        total = self.s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(self.s.execute(query.order_by(TaskFile.id).offset((page - 1) * page_size).limit(page_size)))
        positions = self._positions(volume_id, task_ids, [r[0].id for r in rows])
        return [Document(r[0], r[1], positions[r[0].id]) for r in rows], int(total)

    def _positions(self, volume_id: str, task_ids: Sequence[str] | None, row_ids: list[str]) -> dict[str, int]:
        if not row_ids:
            return {}
        ordered = sorted(self.s.scalars(_first_rows(volume_id, task_ids)))
        index = {rid: i + 1 for i, rid in enumerate(ordered)}
        return {rid: index.get(rid, 0) for rid in row_ids}

    def get(self, volume_id: str, doc_id: str, task_ids: Sequence[str] | None = None) -> Document:
        """A volume's document; NotFound when absent (or outside ``task_ids``)."""
        query = select(TaskFile).where(TaskFile.volume_id == str(volume_id), TaskFile.doc_id == str(doc_id))
        if task_ids is not None:
            query = query.where(TaskFile.task_id.in_(list(task_ids)))
        row = self.s.scalar(query.order_by(TaskFile.id).limit(1))
        if row is None:
            raise NotFound(f"document {doc_id} does not exist in volume {volume_id}")
        return Document(row, self.s.get(DocumentState, row.doc_id), self._positions(volume_id, task_ids, [row.id])[row.id])

    def _state(self, volume_id: str, doc_id: str) -> DocumentState:
        state = self.s.get(DocumentState, doc_id)
        if state is None:
            state = DocumentState(doc_id=doc_id, volume_id=volume_id, hit_count=0, disabled_at=0)
            self.s.add(state)
        return state

    def rename(self, volume_id: str, doc_id: str, name: str) -> None:
        """A display name (the source file keeps its own)."""
        self._state(str(volume_id), str(doc_id)).name = name

    def set_enabled(self, volume_id: str, doc_id: str, enabled: bool, task_ids: Sequence[str] | None = None) -> None:
        """Enable/disable the document's task-file rows (only those of ``task_ids``) and stamp the disable time."""
        self.s.execute(update(TaskFile).where(*_doc_rows(volume_id, doc_id, task_ids))
                       .values(enabled=bool(enabled), updated_at=now_ts()))
        self._state(str(volume_id), str(doc_id)).disabled_at = 0 if enabled else now_ts()

    def add_segments(self, volume_id: str, doc_id: str, delta: int, task_ids: Sequence[str] | None = None) -> None:
        """Count segments added (+) or removed (−) by hand on the document's rows (only those of ``task_ids``)."""
        self.s.execute(update(TaskFile).where(*_doc_rows(volume_id, doc_id, task_ids))
                       .values(segment_count=TaskFile.segment_count + delta,
                               completed_segment_count=TaskFile.completed_segment_count + delta))

    def delete(self, volume_id: str, doc_id: str, task_ids: Sequence[str] | None = None) -> None:
        """Remove a document's task-file rows (only those of ``task_ids``) and the MOI file it is; its
        knowledge-base state goes with the last row (a row of another tenant keeps it)."""
        self.s.execute(delete(TaskFile).where(*_doc_rows(volume_id, doc_id, task_ids)))
        files = [VolumeFile.volume_id == str(volume_id), VolumeFile.doc_id == str(doc_id)]
        if task_ids is not None:
            files.append(VolumeFile.task_id.in_(list(task_ids)))
        self.s.execute(delete(VolumeFile).where(*files))
        if self.s.scalar(select(func.count(TaskFile.id)).where(TaskFile.doc_id == str(doc_id))):
            return
        self.s.execute(delete(SegmentState).where(SegmentState.doc_id == str(doc_id)))
        self.s.execute(delete(DocumentState).where(DocumentState.doc_id == str(doc_id)))

    def disabled(self, volume_id: str) -> tuple[list[str], list[str]]:
        """(disabled doc ids, disabled chunk ids) of a volume: excluded from every search."""
        docs = sorted(set(self.s.scalars(select(TaskFile.doc_id).where(TaskFile.volume_id == str(volume_id),
                                                                       TaskFile.enabled.is_(False)))))
        chunks = sorted(self.s.scalars(select(SegmentState.chunk_id).where(SegmentState.volume_id == str(volume_id),
                                                                           SegmentState.enabled.is_(False))))
        return docs, chunks

    def names(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """Display names of renamed documents."""
        ids = list({str(d) for d in doc_ids})
        if not ids:
            return {}
        return dict(self.s.execute(select(DocumentState.doc_id, DocumentState.name)
                                   .where(DocumentState.doc_id.in_(ids), DocumentState.name.is_not(None))).all())

    def stats(self, volume_id: str, task_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Seed 003 §4.5 counts: documents, their characters, and their hits."""
        firsts = _first_rows(volume_id, task_ids)
        docs, chars = self.s.execute(select(func.count(), func.coalesce(func.sum(TaskFile.char_count), 0))
                                     .where(TaskFile.id.in_(firsts))).one()
        hits = self.s.scalar(select(func.coalesce(func.sum(DocumentState.hit_count), 0)).where(
            DocumentState.doc_id.in_(select(TaskFile.doc_id).where(TaskFile.id.in_(firsts))))) or 0
        return {"document_count": int(docs), "character_count": int(chars), "hit_count": int(hits)}


def _doc_rows(volume_id: str, doc_id: str, task_ids: Sequence[str] | None) -> list[Any]:
    """WHERE clauses for a document's task-file rows, limited to ``task_ids`` when given (a tenant's tasks)."""
    clauses = [TaskFile.volume_id == str(volume_id), TaskFile.doc_id == str(doc_id)]
    if task_ids is not None:
        clauses.append(TaskFile.task_id.in_(list(task_ids)))
    return clauses


def _first_rows(volume_id: str, task_ids: Sequence[str] | None) -> Select:
    query = select(func.min(TaskFile.id)).where(TaskFile.volume_id == str(volume_id))
    if task_ids is not None:
        query = query.where(TaskFile.task_id.in_(list(task_ids)))
    return query.group_by(TaskFile.doc_id)


class Segments:
    """Per-segment state Milvus does not hold. Rows are lazy: a chunk without one is enabled, never hit."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def states(self, chunk_ids: Iterable[str]) -> dict[str, SegmentState]:
        """chunk id → state, for the chunks that have one."""
        ids = list({str(c) for c in chunk_ids})
        if not ids:
            return {}
        return {r.chunk_id: r for r in self.s.scalars(select(SegmentState).where(SegmentState.chunk_id.in_(ids)))}

    def save(self, chunk_id: str, volume_id: str, doc_id: str, **fields: Any) -> SegmentState:
        """Create or update a segment's state."""
        row = self.s.get(SegmentState, chunk_id)
        if row is None:
            row = SegmentState(chunk_id=chunk_id, volume_id=volume_id, doc_id=doc_id, enabled=True, disabled_at=0,
                               keywords=[], hit_count=0, manual=False)
            self.s.add(row)
        for key, value in fields.items():
            setattr(row, key, value)
        return row

    def delete(self, chunk_id: str) -> None:
        """Forget a segment's state."""
        self.s.execute(delete(SegmentState).where(SegmentState.chunk_id == str(chunk_id)))


class Queries:
    """Recorded searches (seed 003 §4.7 recent queries)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def recent(self, volume_id: str, limit: int = RECENT_QUERIES, tenant_code: str | None = None) -> list[SearchQuery]:
        """The volume's latest queries, newest first (only one tenant's when ``tenant_code`` is given)."""
        query = select(SearchQuery).where(SearchQuery.volume_id == str(volume_id))
        if tenant_code is not None:
            query = query.where(SearchQuery.tenant_code == tenant_code)
        return list(self.s.scalars(query.order_by(SearchQuery.created_at.desc(), SearchQuery.id.desc()).limit(limit)))


def record_search(volume_ids: Sequence[str], query: str, source: str,
                  hits: Sequence[tuple[str, str, str]], tenant_code: str | None = None) -> None:
    """Record a query per volume and count hits: +1 per returned segment, +1 per document per query.

    ``hits``: (chunk id, volume id, doc id) of the returned results. Its own transaction, retried:
    two concurrent searches may create the same lazy state row first.
    """
    for attempt in range(3):
        try:
            with session_scope() as s:
                _record(s, volume_ids, query[:2000], source, hits, tenant_code)
            return
        except IntegrityError:
            if attempt == 2:
                raise
            time.sleep(0.01)


def _record(s: Session, volume_ids: Sequence[str], query: str, source: str, hits: Sequence[tuple[str, str, str]],
            tenant_code: str | None) -> None:
    now = time.time()
    chunk_ids = sorted({h[0] for h in hits})
    docs = {h[2]: h[1] for h in hits}
    for volume_id in dict.fromkeys(volume_ids):
        s.add(SearchQuery(id=snowflake_id(), volume_id=volume_id, query=query, source=source,
                          tenant_code=tenant_code, created_at=now))
    if chunk_ids:
        s.execute(update(SegmentState).where(SegmentState.chunk_id.in_(chunk_ids))
                  .values(hit_count=SegmentState.hit_count + 1))
        have = set(s.scalars(select(SegmentState.chunk_id).where(SegmentState.chunk_id.in_(chunk_ids))))
        for chunk_id, volume_id, doc_id in hits:
            if chunk_id not in have:
                have.add(chunk_id)
                s.add(SegmentState(chunk_id=chunk_id, volume_id=volume_id, doc_id=doc_id, enabled=True,
                                   disabled_at=0, keywords=[], hit_count=1, manual=False))
    if docs:
        s.execute(update(DocumentState).where(DocumentState.doc_id.in_(list(docs)))
                  .values(hit_count=DocumentState.hit_count + 1))
        have = set(s.scalars(select(DocumentState.doc_id).where(DocumentState.doc_id.in_(list(docs)))))
        for doc_id, volume_id in docs.items():
            if doc_id not in have:
                s.add(DocumentState(doc_id=doc_id, volume_id=volume_id, hit_count=1, disabled_at=0))
