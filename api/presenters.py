"""Public shapes of catalog rows and search hits (secrets masked), built once for every route."""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import Any

from ingestflow.api.schemas.connectors import ConnectorPublic
from ingestflow.api.schemas.documents import DocumentPublic, Paginator, SegmentPublic
from ingestflow.api.schemas.search import FusionParams, HitTestItem, SearchHitPublic
from ingestflow.api.schemas.vector_db import DocEntity, QaEntity
from ingestflow.api.schemas.tasks import TaskFilePublic, TaskPublic
from ingestflow.catalog import catalog
from ingestflow.catalog.knowledge import Document
from ingestflow.catalog.models import Connector, LoadTask, SegmentState, TaskFile
from ingestflow.connectors import entry_for
from ingestflow.indexers.fusion import Fusion, stored
from ingestflow.indexers.search import SearchHit
from ingestflow.records import mime_type_for
from ingestflow.services.connectors import masked_config


def fusion_public(volume: Any) -> FusionParams | None:
    """A volume's stored hybrid fusion as the API shows it (None = the server default)."""
    fusion = stored(volume.fusion_method, volume.fusion_dense_weight)
    return FusionParams(method=fusion.method, dense_weight=fusion.dense_weight) if fusion else None


def fusion_of(params: FusionParams | None) -> Fusion | None:
    """A request's fusion params as the search layer's Fusion (None = not given)."""
    return Fusion(params.method, params.dense_weight) if params else None


def connector_public(connector: Connector, related: list[str]) -> dict[str, Any]:
    """A connector as listed; its config under its kind's field with secrets masked."""
    entry = entry_for(connector.source_type)
    out = ConnectorPublic(id=connector.id, source_type=connector.source_type, name=connector.name,
                          status=connector.status, created_at=connector.created_at,
                          updated_at=connector.updated_at, username=connector.username,
                          related_task_ids=related, usage_type=list(connector.usage_type or [])).model_dump()
    out[entry.config_field] = masked_config(connector.source_type, connector.config or {})
    return out


def tasks_public(tasks: list[LoadTask]) -> list[TaskPublic]:
    """Tasks with their connector's type and their volume's name."""
    with catalog() as c:
        types = c.tasks.connector_types(tasks)
        names = c.volumes.names(t.volume_id for t in tasks)
    return [TaskPublic(id=t.id, source_connector_id=t.connector_id, source_connector_type=types.get(t.connector_id, 0),
                       volume_id=t.volume_id, volume_name=names.get(t.volume_id, ""), name=t.name or "",
                       status=t.status, creator=t.creator, source_config=t.source.dump(), start_at=t.start_at or 0,
                       end_at=t.end_at or 0, created_at=t.created_at, updated_at=t.updated_at) for t in tasks]


def file_public(row: TaskFile, volume_name: str, user: str) -> TaskFilePublic:
    """A task file as seed 002's ``/task/files`` lists it."""
    return TaskFilePublic(id=row.id, name=row.name, type=row.file_type, status=row.status, size=row.size,
                          update_time=row.updated_at, other_metadata="", reason=row.reason or "", user=user,
                          start_time=row.start_time or 0, end_time=row.end_time or 0,
                          path=f"/{volume_name}/{row.uri.lstrip('/')}", stage=row.stage,
                          segment_count=row.segment_count, worker=row.worker or "", attempts=row.attempts or 0)


# --- seed 003 --------------------------------------------------------------------------------

def paginator(page: int, page_size: int, total: int) -> Paginator:
    """Seed 003's paginator."""
    return Paginator(current_page=page, page_size=page_size, total_record=total,
                     total_page=math.ceil(total / page_size) if total else 0)


def document_public(doc: Document) -> DocumentPublic:
    """Seed 003 §4.8/§4.10/§4.13 fields of a document."""
    row, state = doc.row, doc.state
    return DocumentPublic(
        id=row.doc_id, dataset_id=row.volume_id, name=doc.name, uri=row.uri,
        extension=PurePosixPath(row.name).suffix.lstrip("."), mime_type=mime_type_for(row.name), size=row.size,
        position=doc.position, segment_count=row.segment_count, completed_segment_count=row.completed_segment_count,
        character_count=row.char_count, hit_count=state.hit_count if state else 0, enabled=bool(row.enabled),
        disabled_at=state.disabled_at if state and not row.enabled else 0, status=row.stage, error=row.reason or "",
        task_id=row.task_id, processing_started_at=_ts(row.processing_started_at),
        parsing_completed_at=_ts(row.parsing_completed_at), splitting_completed_at=_ts(row.splitting_completed_at),
        completed_at=_ts(row.completed_at), stopped_at=_ts(row.stopped_at), updated_at=row.updated_at,
        created_at=row.created_at)


def segment_public(row: dict[str, Any], state: SegmentState | None) -> SegmentPublic:
    """Seed 003 §4.15/§4.20 fields of a segment."""
    text = row.get("text", "")
    return SegmentPublic(
        id=row["id"], document_id=row.get("doc_id"), dataset_id=row.get("volume_id"),
        position=int(row.get("position", 0)), page=int(row.get("page") or 0) or None, content=text,
        keywords=list(state.keywords or []) if state else [],
        character_count=int(row.get("char_count") or len(text)), token_count=int(row.get("token_count") or 0),
        hit_count=state.hit_count if state else 0, hash=row.get("content_hash", ""),
        enabled=bool(state.enabled) if state else True, disabled_at=state.disabled_at if state else 0,
        status="completed", error="", manual=bool(state.manual) if state else False,
        updated_at=state.updated_at if state else 0, created_at=state.created_at if state else 0)


def _ts(value: float | None) -> int:
    return int(value or 0)


# --- search hits -----------------------------------------------------------------------------

def hit_public(hit: SearchHit) -> SearchHitPublic:
    """A ``POST /search`` result."""
    return SearchHitPublic(chunk_id=hit.chunk_id, content=hit.content, score=hit.score, position=hit.position,
                           page=hit.page, volume_id=hit.volume_id, document=dict(hit.document))


def hit_test_items(hits: list[SearchHit], mode: str) -> list[HitTestItem]:
    """Seed 003 §4.6 segment dicts (``hit_count`` includes this query)."""
    with catalog() as c:
        states = c.segments.states(h.chunk_id for h in hits)
    out = []
    for h in hits:
        state = states.get(h.chunk_id)
        out.append(HitTestItem(
            id=h.chunk_id, document={k: h.document[k] for k in ("id", "name", "extension", "mime_type")},
            dataset_id=h.volume_id, score=h.score, position=h.position, content=h.content,
            keywords=list(state.keywords or []) if state else [], character_count=h.char_count,
            token_count=h.token_count, hit_count=(state.hit_count if state else 0) + 1, enabled=True,
            disabled_at=0, status="completed", error="", retrieval_strategy=mode,
            updated_at=state.updated_at if state else 0, created_at=state.created_at if state else 0))
    return out


def vector_db_entity(hit: SearchHit) -> DocEntity:
    """Seed 004 entity of a DOC collection."""
    return DocEntity(id=hit.chunk_id, content=hit.content, doc_id=hit.document["id"],
                          doc_name=hit.document["name"], source=hit.document["uri"], score=hit.score,
                          position=hit.position, page=hit.page, volume_id=hit.volume_id)


def vector_db_qa(hit: SearchHit) -> QaEntity:
    """Seed 004 entity of the QA collection: the pair is the chunk text (``问题：…\n答案：…\n来源：…``)."""
    from ingestflow.services.qa import split_pair

    question, answer, source = split_pair(hit.content)
    return QaEntity(question=question, answer=answer, source=source, score=hit.score)
