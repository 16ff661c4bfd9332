"""``GET /health``: liveness, and whether the catalog answers (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ingestflow.api.envelope import ok
from ingestflow.catalog.db import get_engine

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict:
    with get_engine().connect() as conn:
        conn.execute(text("select 1"))
    return ok({"status": "ok", "catalog": "ok"})
