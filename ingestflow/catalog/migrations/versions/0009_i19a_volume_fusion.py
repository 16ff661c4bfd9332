"""Per-volume hybrid fusion: ``volumes.fusion_method`` and ``volumes.fusion_dense_weight`` (NULL = the
server default), used by searches whose request names no fusion.

Revision ID: 0007_i19a
Revises: 0007_i16c
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_i19a"
down_revision = "0007_i16c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("fusion_method", sa.String(16), nullable=True))
        batch.add_column(sa.Column("fusion_dense_weight", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.drop_column("fusion_dense_weight")
        batch.drop_column("fusion_method")
