"""Seed 003 §4.1: list datasets (§4.5 detail is still seed 002's route in ``search.py``). A dataset IS a volume (same record, same
collection), so seed 002's ``/volumes`` and these routes show the same things."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ingestflow.api import presenters, seed003
from ingestflow.api.schemas.common import Keyword, Page
from ingestflow.catalog import catalog

router = APIRouter(prefix="/datasets", tags=["seed 003: datasets"])


def _public(volume) -> dict:  # noqa: ANN001
    return {"id": volume.id, "name": volume.name, "icon": "", "description": volume.description,
            "updated_at": volume.updated_at, "created_at": volume.created_at}


def _visible(volume, caller) -> bool:  # noqa: ANN001
    return caller.is_admin or (volume.tenant_code == caller.tenant_code
                               and (not caller.org_code or volume.org_code == caller.org_code))


@router.get("")
def list_datasets(caller: seed003.BearerCaller, search_word: Keyword = "",
                  current_page: Page = 1,
                  page_size: Annotated[int, Query(ge=1, le=50)] = 20) -> dict:
    """A page of datasets whose name contains ``search_word`` (oldest first)."""
    with catalog() as c:
        if caller.is_admin:
            volumes, total = c.volumes.list(keyword=search_word.strip(), page=current_page, page_size=page_size)
        else:  # tenant keys: filter before paging so the counts are the tenant's own
            mine = [v for v in c.volumes.all() if _visible(v, caller) and search_word.strip() in v.name]
            total, start = len(mine), (current_page - 1) * page_size
            volumes = mine[start:start + page_size]
        items = [_public(v) for v in volumes]
    return seed003.ok({"list": items, "paginator": presenters.paginator(current_page, page_size, total).model_dump()})

