"""Connector configs encrypted at rest: every clear ``connectors.config`` becomes ``{"$fernet": token}``.

The key is ``INGESTFLOW_SECRET_KEY`` or ``data_dir/secret.key`` (``ingestflow.crypto``); downgrade writes
the configs back in clear for a release that cannot read them.

Revision ID: 0007_i16c
Revises: 0007_i13a
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_i16c"
down_revision = "0007_i13a"
branch_labels = None
depends_on = None

connectors = sa.table("connectors", sa.column("id", sa.Integer), sa.column("config", sa.JSON))


def _rewrite(change) -> None:  # noqa: ANN001
    bind = op.get_bind()
    for row_id, config in bind.execute(sa.select(connectors.c.id, connectors.c.config)).all():
        new = change(config)
        if new is not config:
            bind.execute(connectors.update().where(connectors.c.id == row_id).values(config=new))


def upgrade() -> None:
    from ingestflow import crypto

    _rewrite(lambda config: config if crypto.is_encrypted(config) else crypto.encrypt(config))


def downgrade() -> None:
    from ingestflow import crypto

    _rewrite(lambda config: crypto.decrypt(config) if crypto.is_encrypted(config) else config)
