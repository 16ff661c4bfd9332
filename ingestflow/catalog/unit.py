"""The catalog's unit of work: every repository over one session, one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingestflow.catalog.connectors import Connectors
from ingestflow.catalog.db import session_scope
from ingestflow.catalog.files import TaskFiles
from ingestflow.catalog.knowledge import Documents, Queries, Segments
from ingestflow.catalog.leases import Leases
from ingestflow.catalog.models import ConnFile, Connector, LoadRun, LoadTask, TaskFile, Volume, VolumeFile
from ingestflow.catalog.runs import Runs
from ingestflow.catalog.tasks import Tasks
from ingestflow.catalog.uploads import Batches, Tombstones, UploadFiles
from ingestflow.catalog.volume_files import ConnFiles, VolumeFiles, WorkflowRefs
from ingestflow.catalog.volumes import Volumes


class Catalog:
    """Repositories sharing one session: what a caller does inside one ``with catalog()`` commits together."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connectors = Connectors(session)
        self.volumes = Volumes(session)
        self.tasks = Tasks(session)
        self.files = TaskFiles(session)
        self.runs = Runs(session)
        self.leases = Leases(session)
        self.documents = Documents(session)
        self.segments = Segments(session)
        self.queries = Queries(session)
        self.volume_files = VolumeFiles(session)
        self.conn_files = ConnFiles(session)
        self.workflow_refs = WorkflowRefs(session)
        self.upload_files = UploadFiles(session)
        self.batches = Batches(session)
        self.tombstones = Tombstones(session)

    def row_counts(self) -> dict[str, int]:
        """Rows per core table (tests check that a failed request leaves nothing behind)."""
        return {m.__tablename__: int(self.session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Connector, Volume, LoadTask, TaskFile, LoadRun, VolumeFile, ConnFile)}


@contextmanager
def catalog() -> Iterator[Catalog]:
    """A unit of work on the configured catalog: commit on success, roll back on error."""
    with session_scope() as session:
        yield Catalog(session)


