"""What a load needs about its task, resolved once per flow run, and the writes its tasks share.

Prefect tasks take ids, never live clients: each task asks ``contexts.get(task_id)`` and builds
the connector, embedder or Milvus store it needs from it. The context is cached briefly so the
many task runs of one flow run don't each re-read the catalog.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from ingestflow import scrub
from ingestflow.catalog import catalog
from ingestflow.catalog.models import LoadTask, Volume
from ingestflow.connectors import build_connector, entry_for
from ingestflow.indexers.chunking import Chunker, ChunkRules
from ingestflow.indexers.embedding import Embedder, embedder_for
from ingestflow.indexers.milvus_store import ChunkFilter, VolumeStore, doc_fields, volume_store
from ingestflow.records import Chunk, Section
from ingestflow.settings import get_settings
from ingestflow.taskconfig import ProcessConfig

PARSER_VERSION = "parse-v1"


@dataclass
class TaskContext:
    """Everything a load needs about its task."""

    task: LoadTask
    volume: Volume
    connector_kind: str
    connector_config: dict[str, Any]
    process: ProcessConfig
    rules: ChunkRules
    ocr_languages: str
    tenant_code: str
    org_code: str
    ocr_engine: str = "rapidocr"

    @property
    def fingerprint(self) -> str:
        """The processing config a chunk depends on (parser, OCR, chunk rules, embedding model)."""
        raw = (f"{PARSER_VERSION}|{self.ocr_engine}:{self.ocr_languages}|{self.rules.fingerprint()}|"
               f"{self.volume.embedding_model}@{self.volume.embedding_dim}")
        return hashlib.sha1(raw.encode()).hexdigest()[:12]

    def connector(self):  # noqa: ANN201
        """The task's source connector."""
        return build_connector(self.connector_kind, self.connector_config)

    def store(self) -> VolumeStore:
        """The volume's Milvus collection."""
        return volume_store(self.volume)

    def embedder(self) -> Embedder:
        """The volume's model (ModelNotAvailable when missing or of another dimension)."""
        return embedder_for(self.volume)

    def doc_meta(self, ref: Any) -> dict[str, Any]:
        """The document fields stored on each chunk of a file."""
        return doc_fields(self.volume.id, ref.name, ref.uri, ref.file_type, self.tenant_code, self.org_code)

    def split(self, doc_id: str, sections: list[Section]) -> list[Chunk]:
        """Chunks of one document under the task's rules, sized by the volume's model tokenizer."""
        return Chunker(self.rules, self.embedder().count_tokens).chunk(doc_id, sections)

    def write(self, chunks: list[Chunk], vectors: list[list[float]], meta: dict[str, dict[str, Any]]) -> int:
        """Upsert embedded chunks (ids are deterministic: a re-run overwrites, never duplicates)."""
        if not chunks:
            return 0
        store = self.store()
        store.ensure()
        return store.upsert(chunks, vectors, meta)

    def drop_old_chunks(self, new_ids: dict[str, list[str]], max_ids: int = 2000) -> None:
        """Remove each document's chunks other than its new ones (doc id → new chunk ids), in few deletes."""
        store = self.store()
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


def resolve(task_id: str) -> TaskContext:
    """Read a task's volume, connector and processing rules from the catalog."""
    settings = get_settings()
    with catalog() as c:
        task = c.tasks.get(task_id)
        volume = c.volumes.get(task.volume_id)
        connector = c.connectors.get(task.connector_id)
        tenant, org = c.tasks.scope(task)
    process = task.process
    entry = entry_for(connector.source_type)
    scrub.install(settings)
    # known before the config is validated: a secret the model refuses must not leak through an error either
    scrub.remember(*(v for k, v in (connector.config or {}).items() if k in entry.secret_fields()))
    return TaskContext(
        task=task, volume=volume, connector_kind=entry.kind,
        connector_config=connector.config, process=process,
        rules=ChunkRules.from_process_config(task.process_config or {}, settings),
        ocr_languages=process.ocr_languages or settings.ocr_languages, tenant_code=tenant, org_code=org,
        ocr_engine=settings.ocr_engine)


class ContextCache:
    """Task contexts cached for ``ttl_s`` (a flow run refreshes its own at start)."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, TaskContext]] = {}
        self._lock = threading.Lock()

    def get(self, task_id: str, refresh: bool = False) -> TaskContext:
        """The task's context, re-read when ``refresh`` or older than the TTL."""
        with self._lock:
            cached = self._entries.get(task_id)
        if cached and not refresh and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        ctx = resolve(task_id)
        with self._lock:
            self._entries[task_id] = (time.monotonic(), ctx)
        return ctx


contexts = ContextCache()
"""The process's context cache (the flow and its task runs share a process)."""


def task_context(task_id: str, refresh: bool = False) -> TaskContext:
    """``contexts.get``: the task's resolved context."""
    return contexts.get(task_id, refresh)
