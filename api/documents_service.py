"""Seed 003 documents and segments of a volume (dataset = volume, segment = chunk).

A tenant-bound caller sees only documents loaded by tasks stamped with its tenant (and org),
and only chunks carrying its tenant/org; anything else is "not found". Segment text and vectors
live in Milvus; a new or edited segment is embedded here, synchronously, with the volume's model.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from ingestflow.api.deps import Caller
from ingestflow.indexers.embedding import load_embedder
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.indexers.search import volume_store
from ingestflow.catalog import kb, ops
from ingestflow.catalog.db import session_scope
from ingestflow.catalog.models import TaskFile, Volume
from ingestflow.errors import Conflict, ModelNotAvailable, NotFound, ValidationFailed
from ingestflow.ids import chunk_id, content_hash
from ingestflow.records import Chunk, DocStage, mime_type_for
from ingestflow.settings import get_settings

MAX_PAGE_SIZE = 50


def paginator(page: int, page_size: int, total: int) -> dict[str, int]:
    """Seed 003's paginator."""
    return {"current_page": page, "page_size": page_size, "total_page": math.ceil(total / page_size) if total else 0,
            "total_record": total}


def check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise ValidationFailed("current_page must be at least 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}")


# --- scope -----------------------------------------------------------------------------------

def task_scope(caller: Caller, volume_id: str) -> list[str] | None:
    """Task ids whose documents the caller may see (None: all)."""
    scopes = kb.task_scopes(volume_id)  # also: NotFound for an unknown volume
    if caller.is_admin:
        return None
    return [t for t, (tenant, org) in scopes.items()
            if tenant == caller.tenant_code and (caller.org_code is None or org == caller.org_code)]


def chunk_scope(caller: Caller, **fields: Any) -> ChunkFilter:
    return ChunkFilter(tenant_code=caller.tenant_code, org_code=caller.org_code, **fields)


def _ts(value: float | None) -> int:
    return int(value or 0)


def document_public(doc: kb.Document) -> dict[str, Any]:
    """Seed 003 §4.8/§4.10/§4.13 fields of a document."""
    row, state = doc.row, doc.state
    source_name = row.name
    return {
        "id": row.doc_id, "dataset_id": row.volume_id, "name": doc.name, "uri": row.uri,
        "extension": PurePosixPath(source_name).suffix.lstrip("."), "mime_type": mime_type_for(source_name),
        "size": row.size, "position": doc.position, "segment_count": row.segment_count,
        "completed_segment_count": row.completed_segment_count, "character_count": row.char_count,
        "hit_count": state.hit_count if state else 0, "enabled": bool(row.enabled),
        "disabled_at": state.disabled_at if state and not row.enabled else 0,
        "status": row.stage, "error": row.reason or "", "task_id": row.task_id,
        "processing_started_at": _ts(row.processing_started_at), "parsing_completed_at": _ts(row.parsing_completed_at),
        "splitting_completed_at": _ts(row.splitting_completed_at), "completed_at": _ts(row.completed_at),
        "stopped_at": _ts(row.stopped_at), "updated_at": row.updated_at, "created_at": row.created_at,
    }


def get_document(caller: Caller, volume_id: str, doc_id: str) -> kb.Document:
    return kb.get_document(volume_id, doc_id, task_scope(caller, volume_id))


def set_document_enabled(caller: Caller, volume_id: str, doc_id: str, enabled: bool) -> None:
    doc = get_document(caller, volume_id, doc_id)
    if enabled and doc.row.stage != DocStage.COMPLETED:
        raise Conflict(f"document {doc_id} is {doc.row.stage}: only a completed document can be enabled")
    kb.set_document_enabled(volume_id, doc_id, enabled)


def delete_document(caller: Caller, volume_id: str, doc_id: str) -> None:
    """Remove a document's chunks from Milvus, then its catalog rows."""
    get_document(caller, volume_id, doc_id)
    store = volume_store(ops.get_volume(volume_id))
    if store.client.has_collection(store.collection):
        store.delete(ChunkFilter(doc_ids=[doc_id]))
    kb.delete_document_rows(volume_id, doc_id)


# --- segments --------------------------------------------------------------------------------

def _segments(caller: Caller, volume_id: str, doc_id: str, chunk_ids: list[str] | None = None) -> list[dict]:
    get_document(caller, volume_id, doc_id)
    store = volume_store(ops.get_volume(volume_id))
    if not store.client.has_collection(store.collection):
        return []
    rows = store.rows(chunk_scope(caller, doc_ids=[doc_id], chunk_ids=chunk_ids))
    return sorted(rows, key=lambda r: (int(r.get("position", 0)), r["id"]))


def segment_public(row: dict[str, Any], state) -> dict[str, Any]:  # noqa: ANN001
    """Seed 003 §4.15/§4.20 fields of a segment."""
    text = row.get("text", "")
    return {
        "id": row["id"], "document_id": row.get("doc_id"), "dataset_id": row.get("volume_id"),
        "position": int(row.get("position", 0)), "page": int(row.get("page") or 0) or None, "content": text,
        "keywords": list(state.keywords or []) if state else [],
        "character_count": int(row.get("char_count") or len(text)), "token_count": int(row.get("token_count") or 0),
        "hit_count": state.hit_count if state else 0, "hash": row.get("content_hash", ""),
        "enabled": bool(state.enabled) if state else True, "disabled_at": state.disabled_at if state else 0,
        "status": "completed", "error": "", "manual": bool(state.manual) if state else False,
        "updated_at": state.updated_at if state else 0, "created_at": state.created_at if state else 0,
    }


def list_segments(caller: Caller, volume_id: str, doc_id: str, search_word: str, page: int,
                  page_size: int) -> tuple[list[dict[str, Any]], int]:
    rows = _segments(caller, volume_id, doc_id)
    if search_word:
        word = search_word.casefold()
        rows = [r for r in rows if word in r.get("text", "").casefold()]
    window = rows[(page - 1) * page_size: page * page_size]
    states = kb.segment_states(r["id"] for r in window)
    return [segment_public(r, states.get(r["id"])) for r in window], len(rows)


def get_segment(caller: Caller, volume_id: str, doc_id: str, segment_id: str) -> dict[str, Any]:
    rows = _segments(caller, volume_id, doc_id, [segment_id])
    if not rows:
        raise NotFound(f"segment {segment_id} does not exist in document {doc_id}")
    return segment_public(rows[0], kb.segment_states([segment_id]).get(segment_id))


def keywords_of(text: str, limit: int = 10) -> list[str]:
    """Keywords when the caller gives none: jieba's TF-IDF tags when installed, else frequent words."""
    try:
        import jieba.analyse

        return [str(w) for w in jieba.analyse.extract_tags(text, topK=limit)]
    except ImportError:
        words = re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}|[\u4e00-\u9fff]{2,4}", text)
        return [w for w, _n in Counter(words).most_common(limit)]


def _embed(volume: Volume, text: str) -> tuple[list[float], int]:
    embedder = load_embedder(volume.embedding_model, get_settings().embedding_threads)
    if embedder.dimension != volume.embedding_dim:
        raise ModelNotAvailable(f"volume {volume.name!r} needs {volume.embedding_dim}-d vectors but "
                                f"{volume.embedding_model} gives {embedder.dimension}-d")
    return embedder.embed_batch([text])[0], embedder.count_tokens(text)


def _write(volume: Volume, doc_row: TaskFile, seg_id: str, position: int, text: str, page: int | None,
           scope_row: dict[str, Any] | None) -> None:
    """Embed one segment and upsert it with its document's fields."""
    if scope_row is not None:
        tenant, org = scope_row.get("tenant_code", ""), scope_row.get("org_code", "")
    else:
        tenant, org = kb.task_scopes(volume.id).get(doc_row.task_id, ("", ""))
    vector, tokens = _embed(volume, text)
    chunk = Chunk(id=seg_id, doc_id=doc_row.doc_id, position=position, text=text, content_hash=content_hash(text),
                  token_count=tokens, char_count=len(text), page=page)
    meta = {doc_row.doc_id: {"volume_id": volume.id, "tenant_code": tenant, "org_code": org, "name": doc_row.name,
                             "uri": doc_row.uri, "file_type": doc_row.file_type}}
    store = volume_store(volume)
    store.ensure()
    store.upsert([chunk], [vector], meta)


def _count_segments(volume_id: str, doc_id: str, delta: int) -> None:
    from sqlalchemy import update

    with session_scope() as s:
        s.execute(update(TaskFile).where(TaskFile.volume_id == volume_id, TaskFile.doc_id == doc_id)
                  .values(segment_count=TaskFile.segment_count + delta,
                          completed_segment_count=TaskFile.completed_segment_count + delta))


def add_segment(caller: Caller, volume_id: str, doc_id: str, content: str, keywords: list[str] | None) -> dict:
    """Append a segment at the end of the document, embedded now."""
    text = content.strip()
    if not text:
        raise ValidationFailed("content must not be empty")
    doc = get_document(caller, volume_id, doc_id)
    volume = ops.get_volume(volume_id)
    rows = _segments(caller, volume_id, doc_id)
    position = max((int(r.get("position", 0)) for r in rows), default=0) + 1
    seg_id = chunk_id(doc_id, position, content_hash(text))
    _write(volume, doc.row, seg_id, position, text, None, rows[0] if rows else None)
    kb.save_segment(seg_id, volume_id, doc_id, keywords=keywords if keywords is not None else keywords_of(text),
                    manual=True)
    _count_segments(volume_id, doc_id, 1)
    return get_segment(caller, volume_id, doc_id, seg_id)


def update_segment(caller: Caller, volume_id: str, doc_id: str, segment_id: str, content: str | None,
                   keywords: list[str] | None) -> dict:
    """Edit content (re-embedded, new hash; the id stays) and/or keywords."""
    if content is None and keywords is None:
        raise ValidationFailed("give content and/or keywords")
    current = get_segment(caller, volume_id, doc_id, segment_id)
    fields: dict[str, Any] = {}
    if content is not None and content.strip() != current["content"]:
        text = content.strip()
        doc = get_document(caller, volume_id, doc_id)
        row = _segments(caller, volume_id, doc_id, [segment_id])[0]
        _write(ops.get_volume(volume_id), doc.row, segment_id, current["position"], text, current["page"], row)
        fields["keywords"] = keywords if keywords is not None else keywords_of(text)
    elif keywords is not None:
        fields["keywords"] = keywords
    kb.save_segment(segment_id, volume_id, doc_id, **fields)
    return get_segment(caller, volume_id, doc_id, segment_id)


def set_segment_enabled(caller: Caller, volume_id: str, doc_id: str, segment_id: str, enabled: bool) -> None:
    get_segment(caller, volume_id, doc_id, segment_id)
    kb.save_segment(segment_id, volume_id, doc_id, enabled=bool(enabled), disabled_at=0 if enabled else kb.now_ts())


def delete_segment(caller: Caller, volume_id: str, doc_id: str, segment_id: str) -> None:
    get_segment(caller, volume_id, doc_id, segment_id)
    volume_store(ops.get_volume(volume_id)).delete(ChunkFilter(chunk_ids=[segment_id]))
    kb.delete_segment_state(segment_id)
    _count_segments(volume_id, doc_id, -1)
