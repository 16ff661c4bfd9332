"""``GET /health``: liveness, and whether the catalog answers (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from ingestflow.api.envelope import Envelope, ok
from ingestflow.catalog.db import get_engine

router = APIRouter(tags=["seed 000: health"])


class Health(BaseModel):
    status: str
    catalog: str


@router.get("/health", response_model=Envelope[Health])
@router.get("/healthz", response_model=Envelope[Health])
def health() -> dict:
    """The API is up and its catalog answers (``/healthz``: the MOI SDK's ``health_check``)."""
    with get_engine().connect() as conn:
        conn.execute(text("select 1"))
    return ok({"status": "ok", "catalog": "ok"})
