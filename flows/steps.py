"""The plain functions behind the load flow's tasks (testable without Prefect).

Each takes ids and builds what it needs (connector, embedder, Milvus client) itself, so
the Prefect tasks wrapping them take only serializable arguments.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from ingestflow.connectors import build_connector
from ingestflow.indexers.chunking import Chunker, ChunkRules
from ingestflow.indexers.embedding import Embedder, load_embedder
from ingestflow.indexers.milvus_store import ChunkFilter, VolumeStore
from ingestflow.catalog import ops
from ingestflow.catalog.models import LoadTask, Volume
from ingestflow.errors import ModelNotAvailable
from ingestflow.records import Chunk, Section
from ingestflow.settings import get_settings

PARSER_VERSION = "parse-v1"


@dataclass
class TaskContext:
    """Everything a load needs about its task, resolved once per flow run."""

    task: LoadTask
    volume: Volume
    connector_kind: str
    connector_config: dict[str, Any]
    rules: ChunkRules
    ocr_languages: str
    tenant_code: str
    org_code: str

    @property
    def fingerprint(self) -> str:
        """The processing config a chunk depends on (parser, OCR, chunk rules, embedding model)."""
        raw = f"{PARSER_VERSION}|{self.ocr_languages}|{self.rules.fingerprint()}|{self.volume.embedding_model}@{self.volume.embedding_dim}"
        return hashlib.sha1(raw.encode()).hexdigest()[:12]

    def connector(self):  # noqa: ANN201
        return build_connector(self.connector_kind, self.connector_config)

    def store(self) -> VolumeStore:
        settings = get_settings()
        token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
        return VolumeStore(settings.resolved_milvus_uri, self.volume.collection, self.volume.embedding_dim, token)

    def embedder(self) -> Embedder:
        embedder = load_embedder(self.volume.embedding_model, get_settings().embedding_threads)
        if embedder.dimension != self.volume.embedding_dim:
            raise ModelNotAvailable(
                f"volume {self.volume.name!r} was built with {self.volume.embedding_model} "
                f"({self.volume.embedding_dim}-d) but the model now gives {embedder.dimension}-d vectors"
            )
        return embedder


_contexts: dict[str, tuple[float, TaskContext]] = {}
CONTEXT_TTL_S = 30.0


def task_context(task_id: str, refresh: bool = False) -> TaskContext:
    """A task's resolved context, cached briefly (each file's tasks would otherwise re-read it)."""
    cached = _contexts.get(task_id)
    if cached and not refresh and time.monotonic() - cached[0] < CONTEXT_TTL_S:
        return cached[1]
    ctx = _resolve_context(task_id)
    _contexts[task_id] = (time.monotonic(), ctx)
    return ctx


def _resolve_context(task_id: str) -> TaskContext:
    """Resolve a task's volume, connector and processing rules."""
    from ingestflow.connectors import entry_for

    settings = get_settings()
    task = ops.get_task(task_id)
    volume = ops.get_volume(task.volume_id)
    connector = ops.get_connector(task.connector_id)
    process = task.process_config or {}
    rules = ChunkRules.from_process_config(process, settings)
    return TaskContext(
        task=task, volume=volume, connector_kind=entry_for(connector.source_type).kind,
        connector_config=connector.config, rules=rules,
        ocr_languages=process.get("ocr_languages") or settings.ocr_languages,
        tenant_code=task.tenant_code or volume.tenant_code or settings.default_tenant_code,
        org_code=task.org_code or volume.org_code or settings.default_org_code,
    )


def split_sections(ctx: TaskContext, doc_id: str, sections: list[Section]) -> list[Chunk]:
    """Chunks of one document under the task's rules, sized by the volume's model tokenizer."""
    embedder = ctx.embedder()
    return Chunker(ctx.rules, embedder.count_tokens).chunk(doc_id, sections)


def write_chunks(ctx: TaskContext, chunks: list[Chunk], vectors: list[list[float]],
                 meta: dict[str, dict[str, Any]]) -> int:
    """Upsert embedded chunks (ids are deterministic: a re-run overwrites, never duplicates)."""
    if not chunks:
        return 0
    store = ctx.store()
    store.ensure()
    return store.upsert(chunks, vectors, meta)


def replace_old_chunks_many(ctx: TaskContext, new_ids: dict[str, list[str]], max_ids: int = 2000) -> None:
    """``replace_old_chunks`` for many documents, in few deletes (doc id -> its new chunk ids)."""
    store = ctx.store()
    store.ensure()
    group: dict[str, list[str]] = {}

    def delete() -> None:
        ids = [i for chunk_ids in group.values() for i in chunk_ids]
        store.delete(ChunkFilter(doc_ids=list(group), exclude_chunk_ids=ids or None))
        group.clear()

    for doc_id, ids in new_ids.items():
        if group and sum(map(len, group.values())) + len(ids) > max_ids:
            delete()
        group[doc_id] = ids
    if group:
        delete()


def doc_meta(ctx: TaskContext, row) -> dict[str, Any]:  # noqa: ANN001
    """The document fields stored on each chunk."""
    return {"volume_id": ctx.volume.id, "tenant_code": ctx.tenant_code, "org_code": ctx.org_code,
            "name": row.name, "uri": row.uri, "file_type": row.file_type}
