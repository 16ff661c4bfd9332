"""Seed 003 datasets (§4.2–4.5, §4.9–4.10) over volumes: a dataset IS a volume (one catalog record, one
Milvus collection), so seed 002's ``/volumes`` and seed 003's ``/datasets`` show the same things.

A tenant-bound key sees and makes only its tenant's datasets; an admin key sees all. Adding documents
copies upload files into the volume and loads them with one run-once load task (``volume_imports``),
run by Prefect like any load: the web process never parses or embeds.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingestflow.catalog import catalog
from ingestflow.catalog.knowledge import Document
from ingestflow.catalog.models import Volume
from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import Conflict, IngestError, NotFound, ValidationFailed
from ingestflow.ids import slug, snowflake_id
from ingestflow.orchestration import deployments
from ingestflow.services import volume_imports as imports
from ingestflow.services.tasks import drop_collection
from ingestflow.settings import get_settings
from ingestflow.taskconfig import ProcessConfig
from ingestflow.tenancy import Scope

log = logging.getLogger("ingestflow.services")

MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_FILES = 10
AUTO_DESCRIPTION = "Useful for when you want to answer queries about the {name}"


def visible(scope: Scope, volume: Volume) -> bool:
    """Whether the caller may see the dataset (an admin: all; a tenant key: its tenant's, and org's)."""
    return scope.is_admin or (volume.tenant_code == (scope.tenant_code or "")
                              and (not scope.org_code or volume.org_code == scope.org_code))


def get_dataset(scope: Scope, volume_id: str) -> Volume:
    """The caller's dataset; NotFound for an unknown one or another tenant's."""
    with catalog() as c:
        volume = c.volumes.find(volume_id)
    if volume is None or not visible(scope, volume):
        raise NotFound("知识库不存在或无权限")
    return volume


def _fields(name: Any, icon: Any, description: Any) -> dict[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("name: 知识库名称不能为空")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"name: 知识库名称长度最大不能超过{MAX_NAME}个字符")
    if icon is not None and not isinstance(icon, str):
        raise ValidationFailed("icon: must be a string (an image URL)")
    description = (description or "").strip() if isinstance(description, str) or description is None else None
    if description is None:
        raise ValidationFailed("description: must be a string")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"description: 知识库描述长度最大不能超过{MAX_DESCRIPTION}个字符")
    return {"name": name, "icon": (icon or "").strip(), "description": description or AUTO_DESCRIPTION.format(name=name)}


def create_dataset(scope: Scope, name: Any, icon: Any, description: Any, embedding_dim: Callable[[str], int]) -> Volume:
    """A new dataset (a volume with the server's embedding model); Conflict when the name is taken."""
    fields = _fields(name, icon, description)
    model = get_settings().embedding_model
    dim = embedding_dim(model)
    with catalog() as c:
        if c.volumes.by_name(fields["name"]) is not None:
            raise Conflict("该知识库名字已存在")
        return c.volumes.create(fields["name"], model, dim, description=fields["description"], icon=fields["icon"],
                                tenant_code=scope.tenant_code or "", org_code=scope.org_code or "")


def update_dataset(scope: Scope, volume_id: str, name: Any, icon: Any, description: Any) -> Volume:
    """Rename / new icon / new description (an empty one is generated again)."""
    volume = get_dataset(scope, volume_id)
    fields = _fields(name, icon, description)
    with catalog() as c:
        other = c.volumes.by_name(fields["name"])
        if other is not None and other.id != volume.id:
            raise Conflict("该知识库名字已存在")
        return c.volumes.update(volume.id, **fields)


def delete_dataset(scope: Scope, volume_id: str) -> Callable[[], None]:
    """Delete the dataset's catalog records now (tasks, documents, segments, queries, batches, files, the
    volume) and return the slow rest to run in the background: deployments, the collection, stored bytes."""
    volume = get_dataset(scope, volume_id)
    with catalog() as c:
        tasks = [c.tasks.get(t) for t in c.volumes.task_ids(volume.id)]
        deployment_ids = [t.deployment_id for t in tasks if t.deployment_id]
        uris = [f.uri for f in c.volume_files.of_volume(volume.id, files_only=True) if f.uri]
        for task in tasks:
            c.tasks.delete(task.id)
        c.session.flush()
        c.volumes.delete(volume.id)

    def cleanup() -> None:
        for deployment_id in deployment_ids:
            try:
                deployments.delete(deployment_id)
            except IngestError as exc:
                log.warning("dataset %s: could not delete deployment %s: %s", volume.id, deployment_id, exc.message)
        try:
            drop_collection(volume)
        except IngestError as exc:
            log.warning("dataset %s: could not drop collection %s: %s", volume.id, volume.collection, exc.message)
        store = store_from_settings()
        for uri in uris:
            try:
                store.delete(uri)
            except (IngestError, OSError):
                log.warning("dataset %s: could not delete stored file %s", volume.id, uri)

    return cleanup


# --- documents from upload files (§4.9, §4.10) ---------------------------------------------------

@dataclass
class Added:
    """What §4.9 answers: the new documents and their batch."""

    batch: str
    documents: list[dict[str, Any]]


def new_batch() -> str:
    """``%Y%m%d%H%M%S`` + six random digits (100000–999999), as the seed defines it."""
    return time.strftime("%Y%m%d%H%M%S") + str(random.randint(100000, 999999))  # noqa: S311 - a label, not a secret


def check_process(process_type: Any, rule: Any) -> ProcessConfig:
    """The load task's processing config; 400 naming the field for a bad type or rule."""
    from ingestflow.indexers.chunking import ChunkRules

    if process_type not in ("automatic", "custom"):
        raise ValidationFailed(f"process_type: must be 'automatic' or 'custom', got {process_type!r}")
    if process_type == "custom" and not isinstance(rule, dict):
        raise ValidationFailed("rule: required (an object) when process_type is custom")
    config = {"process_type": process_type, **({"rule": rule} if process_type == "custom" else {})}
    ChunkRules.from_process_config(config, get_settings())
    return ProcessConfig.model_validate(config)


def add_documents(scope: Scope, volume_id: str, upload_file_ids: list[str], process: ProcessConfig,
                  user: str) -> Added:
    """Copy the upload files into the dataset and load them in one run-once task (Prefect)."""
    volume = get_dataset(scope, volume_id)
    if not upload_file_ids:
        raise ValidationFailed("upload_file_ids: 至少需要一个文件")
    if len(upload_file_ids) > MAX_FILES:
        raise ValidationFailed(f"upload_file_ids: 一次最多上传{MAX_FILES}个文件")
    ids = list(dict.fromkeys(upload_file_ids))
    with catalog() as c:
        rows = c.upload_files.many(ids)
    missing = [i for i in ids if i not in rows or (not scope.is_admin and rows[i].account != (scope.tenant_code or ""))]
    if missing:
        raise NotFound(f"upload file(s) not found: {', '.join(missing)}")
    store, batch = store_from_settings(), new_batch()
    incoming: list[imports.Incoming] = []
    try:
        for i in ids:
            row = rows[i]
            uri = f"{snowflake_id()}/{row.name}"
            with store.open(row.uri) as stream:
                store.put(uri, iter(lambda s=stream: s.read(1024 * 1024), b""))
            incoming.append(imports.Incoming(uri, row.name, row.size, row.md5))
        result = imports.import_files(volume, incoming, None, user, {
            "process": process, "name": f"seed003 dataset {volume.name} batch {batch}",
            "tags": ["api:seed003", f"dataset:{slug(volume.name)}", f"batch:{batch}"]})
    except BaseException:
        for item in incoming:
            try:
                store.delete(item.uri)
            except (IngestError, OSError):
                pass
        raise
    with catalog() as c:
        docs = []
        for outcome in result.outcomes:
            row = c.volume_files.get_file(outcome.file_id)
            docs.append({"id": row.doc_id, "name": row.name, "status": "waiting", "created_at": row.created_at})
        c.batches.add(batch, volume.id, result.task_id, [d["id"] for d in docs])
    return Added(batch, docs)


def batch_documents(scope: Scope, volume_id: str, batch: str) -> list[Document]:
    """The documents of one batch, with their stages (NotFound for an unknown batch)."""
    volume = get_dataset(scope, volume_id)
    with catalog() as c:
        row = c.batches.find(batch)
        if row is None or row.volume_id != volume.id:
            raise NotFound(f"batch {batch} does not exist in this dataset")
        out = []
        for doc_id in row.doc_ids:
            try:
                out.append(c.documents.get(volume.id, doc_id))
            except NotFound:  # deleted since
                continue
        return out
