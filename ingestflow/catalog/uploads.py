"""Seed 003's upload files (``/upload-files/…``), document batches (``POST /datasets/:id/documents``) and
tombstones of documents deleted by hand (§4.14)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from ingestflow.catalog.base import Repository
from ingestflow.catalog.models import DatasetBatch, DocumentTombstone, UploadFile


class UploadFiles(Repository[UploadFile]):
    """The upload_files table."""

    model = UploadFile
    label = "upload file"

    def add(self, file_id: str, account: str, name: str, uri: str, size: int, md5: str, *,
            is_image: bool = False) -> UploadFile:
        """Record a stored upload."""
        row = UploadFile(id=file_id, account=account, name=name, uri=uri, size=size, md5=md5, is_image=is_image)
        self.s.add(row)
        self.s.flush()
        return row

    def many(self, ids: Iterable[str]) -> dict[str, UploadFile]:
        """id → row for the ids that exist."""
        keys = list({str(i) for i in ids})
        if not keys:
            return {}
        return {r.id: r for r in self.s.scalars(select(UploadFile).where(UploadFile.id.in_(keys)))}


class Batches(Repository[DatasetBatch]):
    """The dataset_batches table."""

    model = DatasetBatch
    label = "batch"

    def add(self, batch: str, volume_id: str, task_id: str, doc_ids: list[str]) -> DatasetBatch:
        """Record the documents one request added."""
        row = DatasetBatch(batch=batch, volume_id=volume_id, task_id=task_id, doc_ids=list(doc_ids))
        self.s.add(row)
        self.s.flush()
        return row

    def delete_of_volume(self, volume_id: str) -> None:
        """Forget a deleted dataset's batches."""
        self.s.execute(delete(DatasetBatch).where(DatasetBatch.volume_id == str(volume_id)))


class Tombstones(Repository[DocumentTombstone]):
    """The document_tombstones table."""

    model = DocumentTombstone
    label = "tombstone"

    def bury(self, volume_id: str, doc_id: str, uri: str, source_version: str) -> None:
        """Remember a deleted document at its source version."""
        row = self.s.get(DocumentTombstone, str(doc_id))
        if row is None:
            self.s.add(DocumentTombstone(doc_id=str(doc_id), volume_id=str(volume_id), uri=uri,
                                         source_version=source_version))
        else:
            row.uri, row.source_version = uri, source_version

    def of_docs(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc id → buried source version, for the given documents that have a tombstone."""
        keys = list({str(d) for d in doc_ids})
        if not keys:
            return {}
        return dict(self.s.execute(select(DocumentTombstone.doc_id, DocumentTombstone.source_version)
                                   .where(DocumentTombstone.doc_id.in_(keys))).all())

    def lift(self, doc_ids: Iterable[str]) -> None:
        """Forget tombstones (the source changed, or the document was added again)."""
        keys = list({str(d) for d in doc_ids})
        if keys:
            self.s.execute(delete(DocumentTombstone).where(DocumentTombstone.doc_id.in_(keys)))
