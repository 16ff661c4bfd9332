"""Knowledge-base state (seed 003 §4.5–4.20): documents of a volume, segment state, hits, queries.

Chunk text and vectors live in Milvus; what Milvus does not hold — enabled flags, keywords,
hit counts, display names, recent queries — lives here. A document is the first ``TaskFile``
row of a ``doc_id`` in a volume (ids are time-ordered, so that is also its position).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ingestflow.catalog.db import session_scope
from ingestflow.catalog.models import DocumentState, LoadTask, SearchQuery, SegmentState, TaskFile, Volume, now_ts
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


def task_scopes(volume_id: str) -> dict[str, tuple[str, str]]:
    """task id → (tenant_code, org_code) stamped on its chunks (task, else volume, else default)."""
    settings = get_settings()
    with session_scope() as s:
        volume = s.get(Volume, str(volume_id))
        if volume is None:
            raise NotFound(f"volume {volume_id} does not exist")
        tasks = list(s.scalars(select(LoadTask).where(LoadTask.volume_id == volume.id)))
    return {t.id: (t.tenant_code or volume.tenant_code or settings.default_tenant_code,
                   t.org_code or volume.org_code or settings.default_org_code) for t in tasks}


def _first_rows(volume_id: str, task_ids: Sequence[str] | None):  # noqa: ANN202
    query = select(func.min(TaskFile.id)).where(TaskFile.volume_id == str(volume_id))
    if task_ids is not None:
        query = query.where(TaskFile.task_id.in_(list(task_ids)))
    return query.group_by(TaskFile.doc_id)


def list_documents(volume_id: str, *, search_word: str = "", page: int = 1, page_size: int = 20,
                   task_ids: Sequence[str] | None = None) -> tuple[list[Document], int]:
    """One page of a volume's documents (name search on the display name) and the total."""
    query = (select(TaskFile, DocumentState).outerjoin(DocumentState, DocumentState.doc_id == TaskFile.doc_id)
             .where(TaskFile.id.in_(_first_rows(volume_id, task_ids))))
    if search_word:
        query = query.where(func.coalesce(DocumentState.name, TaskFile.name).contains(search_word, autoescape=True))
    with session_scope() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(s.execute(query.order_by(TaskFile.id).offset((page - 1) * page_size).limit(page_size)))
        positions = _positions(s, volume_id, task_ids, [r[0].id for r in rows])
    return [Document(r[0], r[1], positions[r[0].id]) for r in rows], int(total)


def _positions(s, volume_id: str, task_ids: Sequence[str] | None, row_ids: list[str]) -> dict[str, int]:  # noqa: ANN001
    if not row_ids:
        return {}
    ordered = list(s.scalars(_first_rows(volume_id, task_ids)))
    ordered.sort()
    index = {rid: i + 1 for i, rid in enumerate(ordered)}
    return {rid: index.get(rid, 0) for rid in row_ids}


def get_document(volume_id: str, doc_id: str, task_ids: Sequence[str] | None = None) -> Document:
    """A volume's document; NotFound when absent (or outside ``task_ids``)."""
    with session_scope() as s:
        query = select(TaskFile).where(TaskFile.volume_id == str(volume_id), TaskFile.doc_id == str(doc_id))
        if task_ids is not None:
            query = query.where(TaskFile.task_id.in_(list(task_ids)))
        row = s.scalar(query.order_by(TaskFile.id).limit(1))
        if row is None:
            raise NotFound(f"document {doc_id} does not exist in volume {volume_id}")
        state = s.get(DocumentState, row.doc_id)
        position = _positions(s, volume_id, task_ids, [row.id])[row.id]
    return Document(row, state, position)


def _doc_state(s, volume_id: str, doc_id: str) -> DocumentState:  # noqa: ANN001
    state = s.get(DocumentState, doc_id)
    if state is None:
        state = DocumentState(doc_id=doc_id, volume_id=volume_id, hit_count=0, disabled_at=0)
        s.add(state)
    return state


def rename_document(volume_id: str, doc_id: str, name: str) -> None:
    with session_scope() as s:
        _doc_state(s, str(volume_id), str(doc_id)).name = name


def set_document_enabled(volume_id: str, doc_id: str, enabled: bool) -> None:
    """Enable/disable every task-file row of the document and stamp the manual disable time."""
    with session_scope() as s:
        s.execute(update(TaskFile).where(TaskFile.volume_id == str(volume_id), TaskFile.doc_id == str(doc_id))
                  .values(enabled=bool(enabled), updated_at=now_ts()))
        _doc_state(s, str(volume_id), str(doc_id)).disabled_at = 0 if enabled else now_ts()


def delete_document_rows(volume_id: str, doc_id: str) -> None:
    """Remove a document's task-file rows and its knowledge-base state."""
    with session_scope() as s:
        s.execute(delete(TaskFile).where(TaskFile.volume_id == str(volume_id), TaskFile.doc_id == str(doc_id)))
        s.execute(delete(SegmentState).where(SegmentState.doc_id == str(doc_id)))
        s.execute(delete(DocumentState).where(DocumentState.doc_id == str(doc_id)))


def disabled(volume_id: str) -> tuple[list[str], list[str]]:
    """(disabled doc ids, disabled chunk ids) of a volume: excluded from every search."""
    with session_scope() as s:
        docs = sorted(set(s.scalars(select(TaskFile.doc_id).where(TaskFile.volume_id == str(volume_id),
                                                                  TaskFile.enabled.is_(False)))))
        chunks = sorted(s.scalars(select(SegmentState.chunk_id).where(SegmentState.volume_id == str(volume_id),
                                                                      SegmentState.enabled.is_(False))))
    return docs, chunks


# --- segments --------------------------------------------------------------------------------

def segment_states(chunk_ids: Iterable[str]) -> dict[str, SegmentState]:
    ids = list({str(c) for c in chunk_ids})
    if not ids:
        return {}
    with session_scope() as s:
        return {r.chunk_id: r for r in s.scalars(select(SegmentState).where(SegmentState.chunk_id.in_(ids)))}


def save_segment(chunk_id: str, volume_id: str, doc_id: str, **fields: Any) -> SegmentState:
    """Create or update a segment's state."""
    with session_scope() as s:
        row = s.get(SegmentState, chunk_id)
        if row is None:
            row = SegmentState(chunk_id=chunk_id, volume_id=volume_id, doc_id=doc_id, enabled=True, disabled_at=0,
                               keywords=[], hit_count=0, manual=False)
            s.add(row)
        for key, value in fields.items():
            setattr(row, key, value)
        return row


def delete_segment_state(chunk_id: str) -> None:
    with session_scope() as s:
        s.execute(delete(SegmentState).where(SegmentState.chunk_id == str(chunk_id)))


# --- hits and recent queries -----------------------------------------------------------------

def record_search(volume_ids: Sequence[str], query: str, source: str,
                  hits: Sequence[tuple[str, str, str]], tenant_code: str | None = None) -> None:
    """Record a query per volume and count hits: +1 per returned segment, +1 per document per query.

    ``hits``: (chunk id, volume id, doc id) of the returned results.
    """
    for attempt in range(3):
        try:
            _record(volume_ids, query[:2000], source, hits, tenant_code)
            return
        except IntegrityError:  # a concurrent search created the same state row first
            if attempt == 2:
                raise
            time.sleep(0.01)


def _record(volume_ids: Sequence[str], query: str, source: str, hits: Sequence[tuple[str, str, str]],
            tenant_code: str | None) -> None:
    now = time.time()
    chunk_ids = sorted({h[0] for h in hits})
    docs = {h[2]: h[1] for h in hits}
    with session_scope() as s:
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


def recent_queries(volume_id: str, limit: int = RECENT_QUERIES, tenant_code: str | None = None) -> list[SearchQuery]:
    """The volume's latest queries, newest first (only one tenant's when ``tenant_code`` is given)."""
    query = select(SearchQuery).where(SearchQuery.volume_id == str(volume_id))
    if tenant_code is not None:
        query = query.where(SearchQuery.tenant_code == tenant_code)
    with session_scope() as s:
        return list(s.scalars(query.order_by(SearchQuery.created_at.desc(), SearchQuery.id.desc()).limit(limit)))


def document_names(doc_ids: Iterable[str]) -> dict[str, str]:
    """Display names of renamed documents."""
    ids = list({str(d) for d in doc_ids})
    if not ids:
        return {}
    with session_scope() as s:
        return {d: n for d, n in s.execute(select(DocumentState.doc_id, DocumentState.name)
                                           .where(DocumentState.doc_id.in_(ids), DocumentState.name.is_not(None)))}


def volume_stats(volume_id: str, task_ids: Sequence[str] | None = None) -> dict[str, int]:
    """Seed 003 §4.5 counts: documents, their characters, and their hits."""
    firsts = _first_rows(volume_id, task_ids)
    with session_scope() as s:
        docs, chars = s.execute(select(func.count(), func.coalesce(func.sum(TaskFile.char_count), 0))
                                .where(TaskFile.id.in_(firsts))).one()
        hits = s.scalar(select(func.coalesce(func.sum(DocumentState.hit_count), 0))
                        .where(DocumentState.doc_id.in_(select(TaskFile.doc_id).where(TaskFile.id.in_(firsts))))) or 0
    return {"document_count": int(docs), "character_count": int(chars), "hit_count": int(hits)}
