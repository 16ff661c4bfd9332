"""Who worked on a file and how often: ``task_files.worker`` (host/Prefect worker of the last attempt)
and ``task_files.attempts`` (fetch + parse starts, across runs).

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_files") as batch:
        batch.add_column(sa.Column("worker", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("task_files") as batch:
        batch.drop_column("attempts")
        batch.drop_column("worker")
