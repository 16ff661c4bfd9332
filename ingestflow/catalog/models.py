"""Catalog tables (SQLAlchemy 2.0): connectors, volumes, load tasks, task files, runs.

The catalog is the source of truth for the seed API; Milvus holds chunks and vectors,
Prefect holds run orchestration.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ingestflow.taskconfig import ProcessConfig, SourceConfig


def now_ts() -> int:
    """Unix seconds, the seed's timestamp unit."""
    return int(time.time())


class Base(DeclarativeBase):
    """Declarative base of the catalog."""


class EncryptedJSON(TypeDecorator):
    """A JSON column stored as one Fernet token (``ingestflow.crypto``); clear rows of older releases still read."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        from ingestflow import crypto

        return None if value is None else crypto.encrypt(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        from ingestflow import crypto

        return None if value is None else crypto.decrypt(value)


class Connector(Base):
    """A configured source (seed 002 connector). ``config`` holds secrets (encrypted at rest): never return it raw."""

    __tablename__ = "connectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    source_type: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    status: Mapped[str] = mapped_column(String(32), default="active")
    usage_type: Mapped[list[Any]] = mapped_column(JSON, default=list)
    username: Mapped[str] = mapped_column(String(255), default="admin")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class Volume(Base):
    """A load target: one Milvus collection bound to one embedding model."""

    __tablename__ = "volumes"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    collection: Mapped[str] = mapped_column(String(255), unique=True)
    embedding_model: Mapped[str] = mapped_column(String(512))
    embedding_dim: Mapped[int] = mapped_column(Integer)
    tenant_code: Mapped[str] = mapped_column(String(128), default="")
    org_code: Mapped[str] = mapped_column(String(128), default="")
    icon: Mapped[str] = mapped_column(Text, default="")  # seed 003 dataset icon (an image URL)
    # hybrid fusion for searches that name none (None = the server default, ``indexers.fusion``)
    fusion_method: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    fusion_dense_weight: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class LoadTask(Base):
    """A load task (seed 002 ``/task``): a connector's uris loaded into a volume on a schedule."""

    __tablename__ = "load_tasks"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"))
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id"))
    source_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    process_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config_type: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[int] = mapped_column(Integer, default=1)
    creator: Mapped[str] = mapped_column(String(255), default="admin")
    tenant_code: Mapped[str] = mapped_column(String(128), default="")
    org_code: Mapped[str] = mapped_column(String(128), default="")
    deployment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    start_at: Mapped[int] = mapped_column(BigInteger, default=0)
    end_at: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)

    @property
    def source(self) -> SourceConfig:
        """``source_config``, typed."""
        return SourceConfig.stored(self.source_config)

    @property
    def process(self) -> ProcessConfig:
        """``process_config``, typed."""
        return ProcessConfig.stored(self.process_config)


class TaskFile(Base):
    """One source file of a task and the document it becomes (seed 002 file + seed 003 document)."""

    __tablename__ = "task_files"
    __table_args__ = (
        UniqueConstraint("task_id", "uri", name="uq_task_file_uri"),
        Index("ix_task_files_task_status", "task_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("load_tasks.id", ondelete="CASCADE"))
    volume_id: Mapped[str] = mapped_column(String(20), index=True)
    doc_id: Mapped[str] = mapped_column(String(64), index=True)
    uri: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    file_type: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    source_version: Mapped[str] = mapped_column(String(255), default="")
    indexed_version: Mapped[str] = mapped_column(String(255), default="")  # source version + pipeline fingerprint
    status: Mapped[int] = mapped_column(Integer, default=1)
    stage: Mapped[str] = mapped_column(String(16), default="waiting")
    reason: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    segment_count: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(255), default="")  # host/Prefect worker of the last attempt
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # fetch + parse starts, across runs
    deferrals: Mapped[int] = mapped_column(Integer, default=0)  # runs in a row it was left due by an outage
    next_attempt_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # back-off after outages; None = due
    completed_segment_count: Mapped[int] = mapped_column(Integer, default=0)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    start_time: Mapped[int] = mapped_column(BigInteger, default=0)
    end_time: Mapped[int] = mapped_column(BigInteger, default=0)
    processing_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    parsing_completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    splitting_completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    stopped_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class LoadRun(Base):
    """One execution of a load task, with what it did."""

    __tablename__ = "load_runs"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("load_tasks.id", ondelete="CASCADE"), index=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    files_listed: Mapped[int] = mapped_column(Integer, default=0)
    files_added: Mapped[int] = mapped_column(Integer, default=0)
    files_changed: Mapped[int] = mapped_column(Integer, default=0)
    files_deleted: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    files_failed: Mapped[int] = mapped_column(Integer, default=0)
    files_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    chunks_written: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class RunLease(Base):
    """The lease of a task's run in flight: one row per task, held while its holder heartbeats.

    Taking it is one conditional write (insert, or update of an expired row), so it holds across
    hosts; a row past ``expires_at`` belongs to a dead run, which the reaper closes."""

    __tablename__ = "run_leases"

    task_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))  # the holder's secret-less identity: only it renews or releases
    run_id: Mapped[str] = mapped_column(String(20), default="")  # the catalog run (load_runs.id), once started
    flow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    holder: Mapped[str] = mapped_column(String(255), default="")  # host/worker
    acquired_at: Mapped[float] = mapped_column(Float)
    renewed_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class SegmentState(Base):
    """Per-segment state the chunk in Milvus does not hold (seed 003 §4.15–4.20). Rows are lazy:
    a chunk without one is enabled, never hit, loaded by a flow."""

    __tablename__ = "segment_states"

    chunk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(20), index=True)
    doc_id: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[int] = mapped_column(BigInteger, default=0)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class DocumentState(Base):
    """Per-document state of the knowledge-base views: display name, hits, manual disable time."""

    __tablename__ = "document_states"

    doc_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)  # a rename; the source name otherwise
    hit_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class SearchQuery(Base):
    """A recorded search (seed 003 §4.7 recent queries), one row per searched volume."""

    __tablename__ = "search_queries"
    __table_args__ = (Index("ix_search_queries_volume_created", "volume_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(20))
    query: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="API")
    tenant_code: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the caller's bound tenant
    created_at: Mapped[float] = mapped_column(Float)


class VolumeFile(Base):
    """A file or folder of a volume as MOI's catalog API shows it (seed 000).

    A folder is a path prefix inside a volume (``parent_id`` "" is the root); a file is an uploaded
    document: its bytes at ``uri`` in the upload store, loaded by ``task_id`` as document ``doc_id``.
    A file's id is the id of the task file that first loaded it (``/task/files`` shows the same id)."""

    __tablename__ = "volume_files"
    __table_args__ = (Index("ix_volume_files_parent", "volume_id", "parent_id"),
                      Index("ix_volume_files_md5", "volume_id", "md5"))

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(Text)
    stem: Mapped[str] = mapped_column(Text, default="")  # the name without its extension (MOI finds files by either)
    is_folder: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    md5: Mapped[str] = mapped_column(String(32), default="")
    file_type: Mapped[int] = mapped_column(Integer, default=0)
    uri: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[str] = mapped_column(String(20), default="")
    doc_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    ref_file_id: Mapped[str] = mapped_column(String(64), default="")  # the temporary connector file it came from
    created_by: Mapped[str] = mapped_column(String(255), default="admin")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, onupdate=now_ts)


class ConnFile(Base):
    """A temporary connector file (MOI's two-step upload: ``/connectors/file/upload`` → ``conn_file_id``)."""

    __tablename__ = "conn_files"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text, default="")  # the folder the uploader's meta named
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    md5: Mapped[str] = mapped_column(String(32), default="")
    file_type: Mapped[int] = mapped_column(Integer, default=0)
    uri: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255), default="admin")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts, index=True)


class VolumeWorkflowRef(Base):
    """A volume marked as referenced by a workflow (MOI ``add_ref_workflow``; shown as ``ref`` in its info)."""

    __tablename__ = "volume_workflow_refs"

    volume_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)


class UploadFile(Base):
    """A file uploaded through seed 003 §3.1/§3.2 (``/upload-files/…``), kept until deleted: its bytes at
    ``uri`` in the upload store, referenced later by ``POST /datasets/:id/documents``."""

    __tablename__ = "upload_files"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    account: Mapped[str] = mapped_column(String(128), default="")  # the caller's tenant ("" = an admin key)
    name: Mapped[str] = mapped_column(Text)
    uri: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    md5: Mapped[str] = mapped_column(String(32), default="")
    is_image: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)


class DatasetBatch(Base):
    """Seed 003 §4.9's ``batch``: the documents one ``POST /datasets/:id/documents`` added (one load task)."""

    __tablename__ = "dataset_batches"

    batch: Mapped[str] = mapped_column(String(32), primary_key=True)
    volume_id: Mapped[str] = mapped_column(String(20), index=True)
    task_id: Mapped[str] = mapped_column(String(20))
    doc_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)


class DocumentTombstone(Base):
    """A document deleted by hand (seed 003 §4.14) at its source version: a scheduled run that lists the
    same file unchanged does not ingest it again; a new version at the source (or a re-upload) does."""

    __tablename__ = "document_tombstones"

    doc_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # includes volume, connector and uri
    volume_id: Mapped[str] = mapped_column(String(20), index=True)
    uri: Mapped[str] = mapped_column(Text)
    source_version: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ts)
