"""MOI's catalog view of volumes (seed 000): files and folders of a volume, temporary connector files,
workflow references.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volume_files",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("volume_id", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.String(20), nullable=False, server_default=""),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("stem", sa.Text, nullable=False, server_default=""),
        sa.Column("is_folder", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("md5", sa.String(32), nullable=False, server_default=""),
        sa.Column("file_type", sa.Integer, nullable=False, server_default="0"),
        sa.Column("uri", sa.Text, nullable=False, server_default=""),
        sa.Column("task_id", sa.String(20), nullable=False, server_default=""),
        sa.Column("doc_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("ref_file_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(255), nullable=False, server_default="admin"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_volume_files_parent", "volume_files", ["volume_id", "parent_id"])
    op.create_index("ix_volume_files_md5", "volume_files", ["volume_id", "md5"])
    op.create_index("ix_volume_files_doc_id", "volume_files", ["doc_id"])
    op.create_table(
        "conn_files",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("md5", sa.String(32), nullable=False, server_default=""),
        sa.Column("file_type", sa.Integer, nullable=False, server_default="0"),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False, server_default="admin"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_conn_files_created_at", "conn_files", ["created_at"])
    op.create_table(
        "volume_workflow_refs",
        sa.Column("volume_id", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("volume_workflow_refs")
    op.drop_index("ix_conn_files_created_at", table_name="conn_files")
    op.drop_table("conn_files")
    for index in ("ix_volume_files_doc_id", "ix_volume_files_md5", "ix_volume_files_parent"):
        op.drop_index(index, table_name="volume_files")
    op.drop_table("volume_files")
