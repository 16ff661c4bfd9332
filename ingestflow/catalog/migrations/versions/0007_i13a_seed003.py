"""Seed 003 as its own API family: ``volumes.icon``, ``upload_files`` (``/upload-files/…``) and
``dataset_batches`` (the ``batch`` of ``POST /datasets/:id/documents``) and ``document_tombstones``
(a document deleted by hand stays deleted until its source changes).

Revision ID: 0007_i13a
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_i13a"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("icon", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "upload_files",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("is_image", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dataset_batches",
        sa.Column("batch", sa.String(32), primary_key=True),
        sa.Column("volume_id", sa.String(20), nullable=False),
        sa.Column("task_id", sa.String(20), nullable=False),
        sa.Column("doc_ids", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dataset_batches_volume_id", "dataset_batches", ["volume_id"])
    op.create_table(
        "document_tombstones",
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("volume_id", sa.String(20), nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("source_version", sa.String(255), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_document_tombstones_volume_id", "document_tombstones", ["volume_id"])


def downgrade() -> None:
    op.drop_index("ix_document_tombstones_volume_id", "document_tombstones")
    op.drop_table("document_tombstones")
    op.drop_index("ix_dataset_batches_volume_id", "dataset_batches")
    op.drop_table("dataset_batches")
    op.drop_table("upload_files")
    with op.batch_alter_table("volumes") as batch:
        batch.drop_column("icon")
