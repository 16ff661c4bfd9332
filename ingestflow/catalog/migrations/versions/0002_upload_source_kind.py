"""Uploads are their own source kind: the ``local`` connector named "uploads" becomes an ``upload`` one.

Release 0.1.0 stored uploads under the data dir and loaded them through a ``local`` connector
(source_type 6) named "uploads" with usage_type ["upload"], rooted at that directory. The
``upload`` kind (source_type 7) reads the same ``<batch id>/<file name>`` uris from the upload
store, so the row is converted in place and its tasks keep working.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LOCAL, UPLOAD = 6, 7


def upgrade() -> None:
    bind = op.get_bind()
    connectors = sa.table("connectors", sa.column("id", sa.Integer), sa.column("name", sa.String),
                          sa.column("source_type", sa.Integer), sa.column("config", sa.JSON),
                          sa.column("usage_type", sa.JSON))
    rows = bind.execute(sa.select(connectors.c.id, connectors.c.usage_type)
                        .where(connectors.c.source_type == LOCAL, connectors.c.name == "uploads")).all()
    for row in rows:
        usage = row.usage_type if isinstance(row.usage_type, list) else json.loads(row.usage_type or "[]")
        if "upload" in usage:
            bind.execute(connectors.update().where(connectors.c.id == row.id)
                         .values(source_type=UPLOAD, config={}))


def downgrade() -> None:
    bind = op.get_bind()
    connectors = sa.table("connectors", sa.column("source_type", sa.Integer), sa.column("name", sa.String))
    bind.execute(connectors.update().where(connectors.c.source_type == UPLOAD, connectors.c.name == "uploads")
                 .values(source_type=LOCAL))
