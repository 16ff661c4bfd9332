"""Documents and segments of a volume (seed 003: dataset = volume, document = loaded file, segment = chunk).

A tenant-bound caller sees only documents loaded by tasks stamped with its tenant (and org), and
only chunks carrying its tenant/org; anything else is "not found". Segment text and vectors live in
Milvus; a new or edited segment is embedded on a worker (``flows/segments.py``), never here.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ingestflow.catalog import catalog
from ingestflow.catalog.knowledge import Document
from ingestflow.catalog.models import SegmentState, Volume, now_ts
from ingestflow.errors import Conflict, NotFound, ValidationFailed
from ingestflow.ids import chunk_id, content_hash
from ingestflow.indexers.milvus_store import ChunkFilter, volume_store
from ingestflow.orchestration.jobs import run_job
from ingestflow.records import DocStage
from ingestflow.settings import get_settings
from ingestflow.tenancy import Scope

Segment = tuple[dict[str, Any], SegmentState | None]
"""A segment: its Milvus row (no vector) and its catalog state (None: enabled, never hit)."""


def task_scope(scope: Scope, volume_id: str) -> list[str] | None:
    """Task ids whose documents the caller may see (None: all); NotFound for an unknown volume."""
    with catalog() as c:
        scopes = c.documents.task_scopes(volume_id)
    if scope.is_admin:
        return None
    return [t for t, (tenant, org) in scopes.items() if scope.allows(tenant, org)]


def chunk_scope(scope: Scope, **fields: Any) -> ChunkFilter:
    """A Milvus filter limited to the caller's tenant/org."""
    return ChunkFilter(tenant_code=scope.tenant_code, org_code=scope.org_code, **fields)


def visible_volume(scope: Scope, volume_id: str) -> list[str] | None:
    """The caller's task ids in a volume it may see (None: an admin, all); NotFound for a volume of another
    tenant — one stamped with another tenant (or org) holding nothing of the caller's — as for an unknown one."""
    tasks = task_scope(scope, volume_id)
    if scope.is_admin or tasks:
        return tasks
    with catalog() as c:
        volume = c.volumes.get(volume_id)
    if volume.tenant_code and scope.allows(volume.tenant_code, volume.org_code or (scope.org_code or "")):
        return tasks
    raise NotFound(f"volume {volume_id} does not exist")


def volume_detail(scope: Scope, volume_id: str) -> tuple[Volume, dict[str, int]]:
    """The volume and its document / character / hit counts (a tenant key: its own documents)."""
    tasks = visible_volume(scope, volume_id)
    with catalog() as c:
        return c.volumes.get(volume_id), c.documents.stats(volume_id, tasks)


def recent_queries(scope: Scope, volume_id: str) -> list[Any]:
    """The volume's latest queries (a tenant key sees its own)."""
    visible_volume(scope, volume_id)
    with catalog() as c:
        volume = c.volumes.get(volume_id)
        return c.queries.recent(volume.id, tenant_code=scope.tenant_code)


def list_documents(scope: Scope, volume_id: str, search_word: str, page: int, page_size: int
                   ) -> tuple[list[Document], int]:
    """One page of the volume's documents visible to the caller, and the total."""
    tasks = task_scope(scope, volume_id)
    with catalog() as c:
        return c.documents.list(volume_id, search_word=search_word, page=page, page_size=page_size, task_ids=tasks)


def get_document(scope: Scope, volume_id: str, doc_id: str) -> Document:
    """One document visible to the caller (NotFound otherwise)."""
    tasks = task_scope(scope, volume_id)
    with catalog() as c:
        return c.documents.get(volume_id, doc_id, tasks)


def rename_document(scope: Scope, volume_id: str, doc_id: str, name: str) -> None:
    """Give a document a display name."""
    get_document(scope, volume_id, doc_id)
    with catalog() as c:
        c.documents.rename(volume_id, doc_id, name)


def set_document_enabled(scope: Scope, volume_id: str, doc_id: str, enabled: bool) -> None:
    """Hide a document from every search, or restore a completed one (only the caller's rows of it)."""
    tasks = task_scope(scope, volume_id)
    doc = get_document(scope, volume_id, doc_id)
    if enabled and doc.row.stage != DocStage.COMPLETED:
        raise Conflict(f"document {doc_id} is {doc.row.stage}: only a completed document can be enabled")
    with catalog() as c:
        c.documents.set_enabled(volume_id, doc_id, enabled, tasks)


def delete_document(scope: Scope, volume_id: str, doc_id: str) -> None:
    """Remove a document's chunks from Milvus, then its catalog rows — both only the caller's tenant's —
    leaving a tombstone at its source version: the next scheduled run of its task does not ingest it
    again until the file changes."""
    tasks = task_scope(scope, volume_id)
    doc = get_document(scope, volume_id, doc_id)
    with catalog() as c:
        store = volume_store(c.volumes.get(volume_id))
    if store.exists():
        store.delete(chunk_scope(scope, doc_ids=[doc_id]))
    with catalog() as c:
        c.tombstones.bury(volume_id, doc_id, doc.row.uri, doc.row.source_version)
        c.documents.delete(volume_id, doc_id, tasks)


def _rows(scope: Scope, volume_id: str, doc_id: str, chunk_ids: list[str] | None = None) -> list[dict[str, Any]]:
    get_document(scope, volume_id, doc_id)
    with catalog() as c:
        store = volume_store(c.volumes.get(volume_id))
    if not store.exists():
        return []
    rows = store.rows(chunk_scope(scope, doc_ids=[doc_id], chunk_ids=chunk_ids))
    return sorted(rows, key=lambda r: (int(r.get("position", 0)), r["id"]))


def segment_ids(scope: Scope, volume_id: str, doc_id: str) -> list[str]:
    """The chunk ids of a document visible to the caller, in position order."""
    return [r["id"] for r in _rows(scope, volume_id, doc_id)]


def _with_states(rows: list[dict[str, Any]]) -> list[Segment]:
    with catalog() as c:
        states = c.segments.states(r["id"] for r in rows)
    return [(r, states.get(r["id"])) for r in rows]


def list_segments(scope: Scope, volume_id: str, doc_id: str, search_word: str, page: int,
                  page_size: int) -> tuple[list[Segment], int]:
    """One page of a document's segments in position order (content search), and the total."""
    rows = _rows(scope, volume_id, doc_id)
    if search_word:
        word = search_word.casefold()
        rows = [r for r in rows if word in r.get("text", "").casefold()]
    return _with_states(rows[(page - 1) * page_size: page * page_size]), len(rows)


def get_segment(scope: Scope, volume_id: str, doc_id: str, segment_id: str) -> Segment:
    """One segment of a document (NotFound otherwise)."""
    rows = _rows(scope, volume_id, doc_id, [segment_id])
    if not rows:
        raise NotFound(f"segment {segment_id} does not exist in document {doc_id}")
    return _with_states(rows)[0]


def keywords_of(text: str, limit: int = 10) -> list[str]:
    """Keywords when the caller gives none: jieba's TF-IDF tags when installed, else frequent words."""
    try:
        import jieba.analyse

        return [str(w) for w in jieba.analyse.extract_tags(text, topK=limit)]
    except ImportError:
        words = re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}|[\u4e00-\u9fff]{2,4}", text)
        return [w for w, _n in Counter(words).most_common(limit)]


def _write(scope: Scope, volume_id: str, doc_id: str, segment_id: str, position: int, text: str,
           page: int | None) -> None:
    """Embed and upsert one segment on a worker, waiting for it; it carries the tenant of the caller's row
    of the document (the task that loaded it)."""
    task_id = get_document(scope, volume_id, doc_id).row.task_id
    run_job("ingestflow-segment", {"volume_id": volume_id, "doc_id": doc_id, "segment_id": segment_id,
                                   "position": position, "text": text, "page": page, "task_id": task_id},
            timeout_s=get_settings().job_timeout_s, tags=[f"volume:{volume_id}", "ingestflow:segment"])


def add_segment(scope: Scope, volume_id: str, doc_id: str, content: str, keywords: list[str] | None) -> Segment:
    """Append a segment at the end of the document, embedded now."""
    text = content.strip()
    if not text:
        raise ValidationFailed("content must not be empty")
    rows = _rows(scope, volume_id, doc_id)
    position = max((int(r.get("position", 0)) for r in rows), default=0) + 1
    seg_id = chunk_id(doc_id, position, content_hash(text))
    _write(scope, volume_id, doc_id, seg_id, position, text, None)
    tasks = task_scope(scope, volume_id)
    with catalog() as c:
        c.segments.save(seg_id, volume_id, doc_id, keywords=keywords if keywords is not None else keywords_of(text),
                        manual=True)
        c.documents.add_segments(volume_id, doc_id, 1, tasks)
    return get_segment(scope, volume_id, doc_id, seg_id)


def update_segment(scope: Scope, volume_id: str, doc_id: str, segment_id: str, content: str | None,
                   keywords: list[str] | None) -> Segment:
    """Edit content (re-embedded, new hash; the id stays) and/or keywords."""
    if content is None and keywords is None:
        raise ValidationFailed("give content and/or keywords")
    row, _state = get_segment(scope, volume_id, doc_id, segment_id)
    fields: dict[str, Any] = {}
    if content is not None and content.strip() != row.get("text", ""):
        text = content.strip()
        _write(scope, volume_id, doc_id, segment_id, int(row.get("position", 0)), text,
               int(row.get("page") or 0) or None)
        fields["keywords"] = keywords if keywords is not None else keywords_of(text)
    elif keywords is not None:
        fields["keywords"] = keywords
    with catalog() as c:
        c.segments.save(segment_id, volume_id, doc_id, **fields)
    return get_segment(scope, volume_id, doc_id, segment_id)


def set_segment_enabled(scope: Scope, volume_id: str, doc_id: str, segment_id: str, enabled: bool) -> None:
    """Hide a segment from every search, or restore it."""
    get_segment(scope, volume_id, doc_id, segment_id)
    with catalog() as c:
        c.segments.save(segment_id, volume_id, doc_id, enabled=bool(enabled), disabled_at=0 if enabled else now_ts())


def delete_segment(scope: Scope, volume_id: str, doc_id: str, segment_id: str) -> None:
    """Delete one segment from Milvus and forget its state."""
    get_segment(scope, volume_id, doc_id, segment_id)
    tasks = task_scope(scope, volume_id)
    with catalog() as c:
        volume_store(c.volumes.get(volume_id)).delete(chunk_scope(scope, doc_ids=[doc_id], chunk_ids=[segment_id]))
        c.segments.delete(segment_id)
        c.documents.add_segments(volume_id, doc_id, -1, tasks)
