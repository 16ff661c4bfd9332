"""Writing one segment by hand (seed 003 §4.17 add, §4.19 edit): embed it and upsert it, on a worker.

The API never embeds in the web process: it runs this flow through ``orchestration.jobs`` and waits
for it. A failure ends the flow run Failed with the error as JSON in the state message, so the
API answers the same error class and message as if it had done the work itself.
"""

from __future__ import annotations

import json
from typing import Any

from prefect import flow
from prefect.states import Completed, Failed

from ingestflow.catalog import catalog
from ingestflow.errors import IngestError
from ingestflow.ids import content_hash
from ingestflow.indexers.embedding import embedder_for
from ingestflow.indexers.milvus_store import doc_fields, volume_store
from ingestflow.records import Chunk
from ingestflow.scrub import scrubbed


def _segment_run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    return f"segment · {params.get('segment_id', '')[:12]} · volume {params.get('volume_id', '')}"


@flow(name="ingestflow-segment", flow_run_name=_segment_run_name, log_prints=False)
@scrubbed
def write_segment(volume_id: str, doc_id: str, segment_id: str, position: int, text: str,
                  page: int | None = None, task_id: str | None = None) -> Any:
    """Embed ``text`` with the volume's model and upsert it as segment ``segment_id`` of the document.

    ``task_id``: the caller's task of the document (its tenant/org is stamped on the segment); default: the
    document's first row."""
    try:
        with catalog() as c:
            volume = c.volumes.get(volume_id)
            row = c.documents.get(volume_id, doc_id, [task_id] if task_id else None).row
            tenant, org = c.tasks.scope(c.tasks.get(row.task_id))
        embedder = embedder_for(volume)
        chunk = Chunk(id=segment_id, doc_id=doc_id, position=position, text=text, content_hash=content_hash(text),
                      token_count=embedder.count_tokens(text), char_count=len(text), page=page)
        store = volume_store(volume)
        store.ensure()
        store.upsert([chunk], embedder.embed_batch([text]),
                     {doc_id: doc_fields(volume.id, row.name, row.uri, row.file_type, tenant, org)})
    except IngestError as exc:
        return Failed(message=error_message(exc))
    return Completed(message="segment written")


def error_message(exc: IngestError) -> str:
    """An IngestError as the JSON a job's Failed state carries back to the API."""
    return json.dumps({"error": type(exc).__name__, "code": exc.code, "message": exc.message}, ensure_ascii=False)
