"""Run leases: ``run_leases``, one row per task with a run in flight, renewed by its heartbeat; an
expired row is a dead run (closed by the reaper) and can be taken over. Replaces the host-local flock.
And the between-run back-off of files an outage left due: ``task_files.deferrals``, ``next_attempt_at``.

Revision ID: 0007_i17
Revises: 0007_i19a
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_i17"
down_revision = "0007_i19a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_leases",
        sa.Column("task_id", sa.String(20), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(20), nullable=False, server_default=""),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("holder", sa.String(255), nullable=False, server_default=""),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("renewed_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_run_leases_expires_at", "run_leases", ["expires_at"])
    with op.batch_alter_table("task_files") as batch:
        batch.add_column(sa.Column("deferrals", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_files") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("deferrals")
    op.drop_index("ix_run_leases_expires_at", "run_leases")
    op.drop_table("run_leases")
