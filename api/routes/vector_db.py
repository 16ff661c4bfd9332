"""Seed 004 ``/vector_db_service/…``: the global DOC and QA collections (素材库), in seed 004's envelope.

Routes are thin: they validate, call ``ingestflow.services.vector_db`` (and search), and answer
``seed004.ok(msg, data)`` with the seed's own ``msg`` texts. Errors reach the envelope through the
app's handlers (the family mark set by ``seed004.FAMILY``).
"""

from __future__ import annotations

from typing import Any

import os
import tempfile
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ingestflow.api import presenters, seed004
from ingestflow.api.routes.volumes import embedding_dimension
from ingestflow.api.schemas.vector_db import (
    AddDocument, AddMultiDocument, AddQa, DelCollection, DelDocument, DelQa, VectorDbResult, VectorDbSearch,
)
from ingestflow.api.seed004 import Caller004, Envelope004
from ingestflow.catalog.knowledge import record_search
from ingestflow.services import search as search_service
from ingestflow.errors import PayloadTooLarge, ValidationFailed
from ingestflow.services import qa
from ingestflow.services import vector_db
from ingestflow.services import vector_db_docs as docs
from ingestflow.services.search import SearchRequest as Search
from ingestflow.settings import get_settings

router = APIRouter(prefix="/vector_db_service", tags=["seed 004: vector_db_service"],
                   responses={s: {"model": Envelope004, "description": d} for s, d in (
                       (400, "Bad input (the field is named)"), (401, "Missing or invalid key"),
                       (403, "A tenant-bound key naming another tenant"), (404, "Unknown collection or item"),
                       (500, "Internal error"), (503, "Prefect or Milvus unreachable, or a wait timed out"))})


def _recorder(background: BackgroundTasks) -> Any:
    return lambda *args: background.add_task(record_search, *args)


@router.post("/search_from_vector_db", response_model=Envelope004)
def search_from_vector_db(body: VectorDbSearch, caller: Caller004, background: BackgroundTasks) -> dict:
    """Top ``limit`` hits of the DOC or QA collection; ``use_hybrid`` picks hybrid (else semantic).

    ``vector_similarity_threshold`` drops candidates whose cosine is below it (before fusion);
    ``rrf_similarity_threshold`` applies to the fused 0–1 score in hybrid mode (``indexers.fusion``)."""
    if body.collection_type == "QA":
        qa = vector_db.global_volume("QA")
        volumes = [qa.id] if qa is not None else []
    else:
        volumes = vector_db.doc_volume_ids([*([body.volume_id] if body.volume_id else []), *(body.volume_ids or [])])
    hits = []
    if volumes:
        hits = search_service.search(caller, Search(
            query=body.query, volume_ids=volumes, mode="hybrid" if body.use_hybrid else "semantic", k=body.limit,
            vector_threshold=body.vector_similarity_threshold,
            score=body.rrf_similarity_threshold if body.use_hybrid else None,
            tenant_code=body.tenant_code or None, org_code=body.org_code or None, filter_expr=body.filter_expr,
            source="App"), _recorder(background))
    present = presenters.vector_db_qa if body.collection_type == "QA" else presenters.vector_db_entity
    entities = [present(h) for h in hits]
    return seed004.ok("从素材库查询成功", VectorDbResult(entities=[entities]).model_dump())


@router.post("/new_collection", response_model=Envelope004)
def new_collection(caller: Caller004, body: dict | None = None) -> dict:
    """Create the global DOC and QA collections (idempotent: existing ones are kept)."""
    vector_db.ensure_collections(embedding_dimension)
    return seed004.ok("成功创建全局素材库")


@router.post("/del_collection", response_model=Envelope004)
def del_collection(caller: Caller004, body: DelCollection | None = None) -> dict:
    """Delete the global collections' data for ``tenant_code``/``org_code`` (neither: all of it)."""
    body = body or DelCollection()
    vector_db.delete_data(caller, body.tenant_code or None, body.org_code or None)
    return seed004.ok("成功删除素材库数据")


@router.post("/add_document", response_model=Envelope004)
def add_document(body: AddDocument, caller: Caller004) -> dict:
    """Fetch ``doc_url`` (safety rules: README), parse/OCR/index it in Prefect, answer once it is searchable."""
    tenant, org = vector_db.scoped(caller, body.tenant_code, body.org_code)
    outcome = docs.add_url_documents(tenant, org, [(body.doc_url, body.doc_name)], embedding_dimension)[0]
    if outcome.error:
        raise ValidationFailed(f"插入文档到素材库失败: {outcome.error}")
    return seed004.ok("成功插入文档到素材库")


@router.post("/add_multi_document", response_model=Envelope004)
def add_multi_document(body: AddMultiDocument, caller: Caller004) -> Any:
    """Each URL like ``add_document``; all good → success, else ``fail``/400 with the counts (per-URL reasons
    in ``data``, an ingestflow extension: the seed leaves it ``""``)."""
    if len(body.multi_doc_urls) != len(body.doc_names):
        raise ValidationFailed(f"multi_doc_urls ({len(body.multi_doc_urls)}) and doc_names ({len(body.doc_names)}) "
                               f"must have the same length")
    tenant, org = vector_db.scoped(caller, body.tenant_code, body.org_code)
    outcomes = docs.add_url_documents(tenant, org, list(zip(body.multi_doc_urls, body.doc_names, strict=True)),
                                      embedding_dimension)
    failed = [o for o in outcomes if o.error]
    if not failed:
        return seed004.ok(f"插入文档到素材库：成功[{len(outcomes)}]个,失败[0]个")
    envelope = seed004.error(400, f"插入文档到素材库：成功[{len(outcomes) - len(failed)}]个,失败[{len(failed)}]个")
    envelope["msg"] += "；" + "；".join(f"{o.name}: {o.error}" for o in failed[:10])
    return JSONResponse(envelope, status_code=400)


@router.post("/del_document", response_model=Envelope004)
def del_document(body: DelDocument, caller: Caller004) -> dict:
    """Remove the tenant/org's documents of the global DOC collection named in ``doc_name``."""
    tenant, org = vector_db.scoped(caller, body.tenant_code, body.org_code)
    docs.delete_named(tenant, org, body.doc_name, "DOC")
    return seed004.ok("从全局素材库删除文档成功")


@router.get("/download_qa_template", response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                             "description": "问答库模板.xlsx"}})
def download_qa_template(caller: Caller004) -> Response:
    """The QA Excel template (columns 问题 / 答案 / 来源, one example row)."""
    return Response(qa.template_bytes(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"qa_template.xlsx\"; "
                                                    f"filename*=UTF-8''{quote(qa.TEMPLATE_NAME)}"})


@router.post("/add_qa", response_model=Envelope004)
def add_qa(body: AddQa, caller: Caller004) -> dict:
    """Index QA pairs (embedded by Prefect); answers once they are searchable with ``collection_type: QA``."""
    try:
        pairs = body.pairs()
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    tenant, org = vector_db.scoped(caller, body.tenant_code, body.org_code)
    count = docs.add_qa_pairs(tenant, org, pairs, embedding_dimension)
    return seed004.ok(f"成功插入{count}条问答对到素材库")


@router.post("/add_qa_from_template", response_model=Envelope004)
async def add_qa_from_template(caller: Caller004, file: Annotated[UploadFile, File()],
                               tenant_code: Annotated[str | None, Form()] = None,
                               org_code: Annotated[str | None, Form()] = None) -> dict:
    """QA pairs from an uploaded template: read from a temporary file (removed after), then like ``add_qa``."""
    limit = int(get_settings().max_upload_mb * 1024 * 1024)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="qa-template-")
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"file is over the {limit}-byte upload limit")
                out.write(chunk)
        pairs = await run_in_threadpool(qa.read_template, path)
    finally:
        os.unlink(path)
    tenant, org = vector_db.scoped(caller, tenant_code, org_code)
    count = await run_in_threadpool(docs.add_qa_pairs, tenant, org, pairs, embedding_dimension)
    return seed004.ok(f"成功插入{count}条问答对到素材库")


@router.post("/del_qa", response_model=Envelope004)
def del_qa(body: DelQa, caller: Caller004) -> dict:
    """Remove the tenant/org's QA pairs by question."""
    tenant, org = vector_db.scoped(caller, body.tenant_code, body.org_code)
    docs.delete_questions(tenant, org, body.question)
    return seed004.ok("从全局素材库删除问答对成功")
