"""``upload``: the files uploaded through ``POST /connectors/upload``, kept in the upload store.

The upload store is the deployment's, chosen by ``INGESTFLOW_UPLOAD_STORE``:

- empty (default): the data dir's ``uploads/`` directory;
- a path: that directory;
- ``s3://bucket/prefix``: an S3-compatible bucket, endpoint and keys in ``INGESTFLOW_UPLOAD_S3__*``
  (the ``s3`` connector does the work, so its error mapping and streaming apply).

uri = ``<batch id>/<file name>`` relative to the store's root (or prefix), as before the store
existed, so stored file rows keep working. A store can ``put`` (streamed), ``open``, ``stat``,
``list``, ``delete`` and ``move`` (over an existing file: a replaced upload keeps its uri, hence its
document). One upload connector exists per deployment (config ``{}``: where the
files are is the deployment's setting, not the row's); the server creates it on first use and
callers cannot create one (``creatable=False``).
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

from pydantic import ValidationError

from ingestflow.connectors.base import ConnectorConfig
from ingestflow.connectors.local import LocalConfig, LocalConnector
from ingestflow.connectors.object_store import buffered
from ingestflow.connectors.registry import register
from ingestflow.connectors.s3 import S3Config, S3Connector
from ingestflow.errors import Conflict, ValidationFailed
from ingestflow.records import SourceItem, SourceType
from ingestflow.settings import Settings, get_settings

TEMP_DIR = ".incoming"
"""Where a directory store writes temp files. No stored uri may start with it, so a temp name can
never be a user's file name (they are ``<batch id>/<name>``, batch ids being digits)."""
S3_SETTINGS = "INGESTFLOW_UPLOAD_S3__"


class UploadConfig(ConnectorConfig):
    """Config of the upload kind: nothing; the store is the deployment's (INGESTFLOW_UPLOAD_STORE)."""


class UploadStore(Protocol):
    """Where uploads are kept: a directory or a bucket prefix."""

    def validate(self) -> None:
        """The store is reachable and readable."""

    def put(self, uri: str, chunks: Iterable[bytes]) -> int:
        """Store a stream under ``uri``; the byte count. Nothing appears under ``uri`` if it fails."""

    def open(self, uri: str) -> BinaryIO:
        """A stored file's content, streamed."""

    def stat(self, uri: str) -> SourceItem:
        """A stored file's metadata; NotFound when there is none."""

    def list(self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None) -> Iterator[SourceItem]:
        """Stored files under ``uris`` (batches or files), or all."""

    def delete(self, uri: str) -> None:
        """Remove a stored file (a missing one is no error)."""

    def move(self, src: str, dest: str) -> None:
        """Put the file at ``src`` under ``dest``, replacing what ``dest`` held; ``src`` is gone after."""


def check_uri(uri: str) -> str:
    """A stored file's uri: relative POSIX segments, none empty, ``.`` or ``..``, not in the temp area."""
    parts = uri.split("/")
    if not uri or any(p in ("", ".", "..") for p in parts) or "\\" in uri or "\x00" in uri:
        raise ValidationFailed(f"upload uri {uri!r} must be a relative path like '<batch id>/<file name>'")
    if parts[0] == TEMP_DIR:
        raise ValidationFailed(f"upload uri {uri!r} is in the store's temp area")
    return uri


def _listed(uris: Iterable[str] | None) -> list[str]:
    """Listing uris without surrounding slashes ("" and "/" mean everything: an empty list)."""
    return [check_uri(u.strip("/")) for u in uris or [] if u.strip("/")]


class DirStore:
    """Uploads in a directory (``<root>/<uri>``); reads go through the ``local`` connector."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self._files = LocalConnector(LocalConfig(root=str(self.root)))

    def __repr__(self) -> str:
        return f"DirStore(root={str(self.root)!r})"

    def validate(self) -> None:
        """The root must be (or become) a readable directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._files.validate()

    def put(self, uri: str, chunks: Iterable[bytes]) -> int:
        """Write to a temp file in the temp area, then rename it to its final name (same filesystem)."""
        dest = self.root / check_uri(uri)
        (self.root / TEMP_DIR).mkdir(parents=True, exist_ok=True)
        tmp = self.root / TEMP_DIR / f"{uuid.uuid4().hex}.part"
        size = 0
        try:
            with tmp.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():  # batch ids are unique: a clash is a caller's bug, never an overwrite
                raise Conflict(f"upload {uri!r} already exists")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    def open(self, uri: str) -> BinaryIO:
        """The stored file opened for reading."""
        return self._files.open(check_uri(uri))

    def stat(self, uri: str) -> SourceItem:
        """Metadata of a stored file."""
        return self._files.stat(check_uri(uri))

    def list(self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None) -> Iterator[SourceItem]:
        """Stored files under the given batches/files, or every batch (the temp area never)."""
        wanted = _listed(uris)
        if not wanted:
            if not self.root.is_dir():
                return  # nothing uploaded yet
            wanted = sorted(e.name for e in os.scandir(self.root) if e.name != TEMP_DIR)
            if not wanted:
                return
        yield from self._files.list(wanted, file_types)

    def delete(self, uri: str) -> None:
        """Remove a stored file, and its batch directory once empty."""
        path = self.root / check_uri(uri)
        path.unlink(missing_ok=True)
        self._prune(path.parent)

    def move(self, src: str, dest: str) -> None:
        """One rename (atomic: a reader sees the old file or the new one, never a mix)."""
        source, target = self.root / check_uri(src), self.root / check_uri(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self._prune(source.parent)

    def _prune(self, parent: Path) -> None:
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


class S3Store:
    """Uploads in an S3-compatible bucket (key = ``<prefix><uri>``), through the ``s3`` connector."""

    def __init__(self, connector: S3Connector) -> None:
        self.s3 = connector
        self.prefix = connector.config.prefix

    def __repr__(self) -> str:
        return f"S3Store(endpoint={self.s3.config.endpoint!r}, bucket={self.s3.config.bucket_name!r}, prefix={self.prefix!r})"

    def _relative(self, item: SourceItem) -> SourceItem:
        return dataclasses.replace(item, uri=item.uri[len(self.prefix):])

    def validate(self) -> None:
        """The bucket must exist and the keys must allow listing the prefix."""
        self.s3.validate()

    def put(self, uri: str, chunks: Iterable[bytes]) -> int:
        """Stream to the final key: S3 shows an object only once its upload completed, so there is no
        temp name to rename (a failed multipart upload is aborted and leaves nothing)."""
        counted = _Counted(chunks)
        self.s3.put(self.prefix + check_uri(uri), buffered(counted))
        return counted.size

    def open(self, uri: str) -> BinaryIO:
        """The stored object, streamed."""
        return self.s3.open(self.prefix + check_uri(uri))

    def stat(self, uri: str) -> SourceItem:
        """Metadata of a stored object."""
        return self._relative(self.s3.stat(self.prefix + check_uri(uri)))

    def list(self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None) -> Iterator[SourceItem]:
        """Stored objects under the given batches/files, or under the prefix."""
        keys = [self.prefix + u for u in _listed(uris)] or [self.prefix]
        for item in self.s3.list(keys, file_types):
            yield self._relative(item)

    def delete(self, uri: str) -> None:
        """Remove a stored object."""
        self.s3.delete(self.prefix + check_uri(uri))

    def move(self, src: str, dest: str) -> None:
        """Copy through this process (S3 replaces ``dest`` only once the upload completed), then delete ``src``."""
        with self.open(src) as stream:
            self.put(dest, iter(lambda: stream.read(1024 * 1024), b""))
        self.delete(src)


class _Counted:
    """An iterable of chunks that counts the bytes it hands out."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk


def store_from_settings(settings: Settings | None = None) -> UploadStore:
    """The deployment's upload store, from INGESTFLOW_UPLOAD_STORE (and INGESTFLOW_UPLOAD_S3__*)."""
    settings = settings or get_settings()
    where = settings.upload_store.strip()
    if not where:
        return DirStore(settings.uploads_dir)
    if where.startswith("s3://"):
        bucket, _, prefix = where[len("s3://"):].partition("/")
        prefix = prefix.strip("/")
        s3 = settings.upload_s3
        try:
            config = S3Config(endpoint=s3.endpoint, access_key_id=s3.access_key_id,
                              access_key_secret=s3.access_key_secret, bucket_name=bucket, region=s3.region,
                              path_style=s3.path_style, secure=s3.secure, prefix=f"{prefix}/" if prefix else "")
        except ValidationError as exc:  # name the settings, never their values
            names = sorted({"INGESTFLOW_UPLOAD_STORE (bucket)" if e["loc"][0] == "bucket_name"
                            else f"{S3_SETTINGS}{str(e['loc'][0]).upper()}" for e in exc.errors()})
            raise ValidationFailed(f"the S3 upload store needs {', '.join(names)}") from None
        return S3Store(S3Connector(config, field_name=lambda name: f"{S3_SETTINGS}{name.upper()}"))
    if "://" in where:
        raise ValidationFailed(f"INGESTFLOW_UPLOAD_STORE {where!r}: use a directory or s3://bucket/prefix")
    return DirStore(Path(where))


class UploadConnector:
    """The upload store as a source (list, open, stat); ``store`` also puts and deletes."""

    kind: ClassVar[str] = "upload"

    def __init__(self, config: UploadConfig, store: UploadStore | None = None) -> None:
        self.config = config
        self.store = store if store is not None else store_from_settings()

    def __repr__(self) -> str:
        return f"UploadConnector(store={self.store!r})"

    def validate(self) -> None:
        """The store must be reachable and readable."""
        self.store.validate()

    def list(self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None) -> Iterator[SourceItem]:
        """Uploaded files under ``uris`` (batches or files), or all."""
        return self.store.list(uris, file_types)

    def open(self, uri: str) -> BinaryIO:
        """An uploaded file's content."""
        return self.store.open(uri)

    def stat(self, uri: str) -> SourceItem:
        """An uploaded file's metadata."""
        return self.store.stat(uri)


register("upload", SourceType.UPLOAD, UploadConfig, UploadConnector, creatable=False)
