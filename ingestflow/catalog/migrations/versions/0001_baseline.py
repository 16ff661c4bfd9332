"""Baseline: the catalog schema of release 0.1.0 (the last release without Alembic).

A fresh database gets every table. A catalog made by 0.1.0 (or by a release before it, which
grew columns at start-up) is upgraded in place: missing tables are created and missing columns
added with their defaults, nothing else is touched. Later revisions assume this schema.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG, INT, STR, TEXT, FLOAT, BOOL, JSON = sa.BigInteger, sa.Integer, sa.String, sa.Text, sa.Float, sa.Boolean, sa.JSON


def _c(name: str, type_: sa.types.TypeEngine, default=None, **kw) -> sa.Column:  # noqa: ANN001
    """A column whose scalar default is also the SQL default (so added columns fill old rows)."""
    server_default = None
    if default is not None:
        server_default = sa.text(str(int(default))) if isinstance(default, bool) else (
            sa.text(repr(default)) if isinstance(default, str) else sa.text(str(default)))
    return sa.Column(name, type_, server_default=server_default, **kw)


def tables() -> list[sa.Table]:
    """The 0.1.0 tables (frozen here: the live models may move on)."""
    md = sa.MetaData()
    return [
        sa.Table("connectors", md, _c("id", INT, primary_key=True), _c("name", STR(255)),
                 _c("source_type", INT), _c("config", JSON), _c("status", STR(32), "active"),
                 _c("usage_type", JSON), _c("username", STR(255), "admin"),
                 _c("created_at", BIG, 0), _c("updated_at", BIG, 0)),
        sa.Table("volumes", md, _c("id", STR(20), primary_key=True), _c("name", STR(255), unique=True),
                 _c("description", TEXT, ""), _c("collection", STR(255), unique=True),
                 _c("embedding_model", STR(512)), _c("embedding_dim", INT), _c("tenant_code", STR(128), ""),
                 _c("org_code", STR(128), ""), _c("created_at", BIG, 0), _c("updated_at", BIG, 0)),
        sa.Table("load_tasks", md, _c("id", STR(20), primary_key=True), _c("name", STR(255), ""),
                 _c("connector_id", INT, nullable=True), _c("volume_id", STR(20), nullable=True),
                 _c("source_config", JSON), _c("process_config", JSON), _c("config_type", INT, 1),
                 _c("status", INT, 1), _c("creator", STR(255), "admin"), _c("tenant_code", STR(128), ""),
                 _c("org_code", STR(128), ""), _c("deployment_id", STR(64), nullable=True),
                 _c("start_at", BIG, 0), _c("end_at", BIG, 0), _c("created_at", BIG, 0), _c("updated_at", BIG, 0),
                 sa.ForeignKeyConstraint(["connector_id"], ["connectors.id"]),
                 sa.ForeignKeyConstraint(["volume_id"], ["volumes.id"])),
        sa.Table("task_files", md, _c("id", STR(20), primary_key=True), _c("task_id", STR(20), nullable=True),
                 _c("volume_id", STR(20), ""), _c("doc_id", STR(64), ""), _c("uri", TEXT), _c("name", TEXT, ""),
                 _c("file_type", INT, 0), _c("size", BIG, 0), _c("source_version", STR(255), ""),
                 _c("indexed_version", STR(255), ""), _c("status", INT, 1), _c("stage", STR(16), "waiting"),
                 _c("reason", TEXT, ""), _c("enabled", BOOL, True), _c("segment_count", INT, 0),
                 _c("completed_segment_count", INT, 0), _c("char_count", INT, 0), _c("start_time", BIG, 0),
                 _c("end_time", BIG, 0), _c("processing_started_at", FLOAT, nullable=True),
                 _c("parsing_completed_at", FLOAT, nullable=True), _c("splitting_completed_at", FLOAT, nullable=True),
                 _c("completed_at", FLOAT, nullable=True), _c("stopped_at", FLOAT, nullable=True),
                 _c("created_at", BIG, 0), _c("updated_at", BIG, 0),
                 sa.ForeignKeyConstraint(["task_id"], ["load_tasks.id"], ondelete="CASCADE"),
                 sa.UniqueConstraint("task_id", "uri", name="uq_task_file_uri"),
                 sa.Index("ix_task_files_task_status", "task_id", "status"),
                 sa.Index("ix_task_files_volume_id", "volume_id"), sa.Index("ix_task_files_doc_id", "doc_id")),
        sa.Table("load_runs", md, _c("id", STR(20), primary_key=True), _c("task_id", STR(20), nullable=True),
                 _c("flow_run_id", STR(64), nullable=True), _c("status", STR(16), "running"),
                 _c("started_at", FLOAT, 0), _c("ended_at", FLOAT, nullable=True), _c("files_listed", INT, 0),
                 _c("files_added", INT, 0), _c("files_changed", INT, 0), _c("files_deleted", INT, 0),
                 _c("files_skipped", INT, 0), _c("files_failed", INT, 0), _c("files_succeeded", INT, 0),
                 _c("chunks_written", INT, 0), _c("bytes_read", BIG, 0), _c("error", TEXT, ""),
                 sa.ForeignKeyConstraint(["task_id"], ["load_tasks.id"], ondelete="CASCADE"),
                 sa.Index("ix_load_runs_task_id", "task_id")),
        sa.Table("segment_states", md, _c("chunk_id", STR(64), primary_key=True), _c("volume_id", STR(20), ""),
                 _c("doc_id", STR(64), ""), _c("enabled", BOOL, True), _c("disabled_at", BIG, 0),
                 _c("keywords", JSON), _c("hit_count", INT, 0), _c("manual", BOOL, False),
                 _c("created_at", BIG, 0), _c("updated_at", BIG, 0),
                 sa.Index("ix_segment_states_volume_id", "volume_id"), sa.Index("ix_segment_states_doc_id", "doc_id")),
        sa.Table("document_states", md, _c("doc_id", STR(64), primary_key=True), _c("volume_id", STR(20), ""),
                 _c("name", TEXT, nullable=True), _c("hit_count", INT, 0), _c("disabled_at", BIG, 0),
                 _c("updated_at", BIG, 0), sa.Index("ix_document_states_volume_id", "volume_id")),
        sa.Table("search_queries", md, _c("id", STR(20), primary_key=True), _c("volume_id", STR(20), ""),
                 _c("query", TEXT, ""), _c("source", STR(32), "API"), _c("tenant_code", STR(128), nullable=True),
                 _c("created_at", FLOAT, 0),
                 sa.Index("ix_search_queries_volume_created", "volume_id", "created_at")),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in tables():
        if not inspector.has_table(table.name):
            table.create(bind)
            continue
        present = {col["name"] for col in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:  # a catalog from before 0.1.0's last column
                op.add_column(table.name, sa.Column(column.name, column.type, nullable=True,
                                                    server_default=column.server_default.arg
                                                    if column.server_default is not None else None))


def downgrade() -> None:
    for table in reversed(tables()):
        op.drop_table(table.name)
