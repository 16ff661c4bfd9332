"""``hdfs``: files under a root path of an HDFS cluster, through WebHDFS (the ``hdfs`` package).

uri = the path relative to ``file_path`` (POSIX); a directory uri lists beneath it.
version = ``{modificationTime}-{length}``. Only simple (insecure, user name) auth is supported.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, field_validator

from ingestflow.connectors.base import ConnectorConfig, Endpoint, SdkConnector, normalise_file_types, wanted_type
from ingestflow.connectors.errors import Source, import_sdk
from ingestflow.connectors.object_store import buffered
from ingestflow.connectors.registry import register
from ingestflow.errors import ValidationFailed
from ingestflow.records import FileType, SourceItem, SourceType, file_type_for

AUTH_SIMPLE = 1


class HdfsConfig(ConnectorConfig):
    """Config of an HDFS source (field names as in the seed)."""

    address: Endpoint = Field(..., min_length=1, description="host:port of the namenode's WebHDFS http port.")
    auth_type: int = Field(AUTH_SIMPLE, description="1 = simple (user name, no Kerberos).")
    username: str = Field("", description="The HDFS user name (simple auth).")
    file_path: str = Field("/", description="Root path to load from.")
    timeout: float = Field(10.0, gt=0, le=120, description="Per-request timeout in seconds.")

    @field_validator("file_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return posixpath.normpath("/" + value.strip().lstrip("/")) if value.strip() else "/"


class HdfsConnector(SdkConnector):
    """A WebHDFS directory tree as a source."""

    kind: ClassVar[str] = "hdfs"
    repr_fields = ("address", "file_path")
    config: HdfsConfig

    @property
    def url(self) -> str:
        """The WebHDFS base url (``http://`` added to a bare host:port)."""
        address = self.config.address.strip().rstrip("/")
        return address if "://" in address else f"http://{address}"

    @property
    def source(self) -> Source:
        """Errors name the namenode and the user (the only credential of simple auth)."""
        return Source("HDFS", self.config.address, user=self.config.username or None,
                      id_field=self.field("username"))

    def _make_client(self) -> Any:
        """The hdfs.InsecureClient (simple auth: the user name travels as ``user.name``)."""
        if self.config.auth_type != AUTH_SIMPLE:
            raise ValidationFailed(f"hdfs auth_type {self.config.auth_type} is not supported; only simple auth (1) is")
        hdfs = import_sdk("hdfs", "hdfs", self.kind)
        return hdfs.InsecureClient(self.url, user=self.config.username or None, timeout=self.config.timeout)

    def _path(self, uri: str) -> str:
        path = posixpath.normpath(posixpath.join(self.config.file_path, uri.lstrip("/")))
        root = self.config.file_path
        if path != root and not path.startswith(root.rstrip("/") + "/"):
            raise ValidationFailed(f"uri {uri!r} points outside the connector's root")
        return path

    def _uri(self, path: str) -> str:
        rel = posixpath.relpath(path, self.config.file_path)
        return "" if rel == "." else rel

    def _item(self, path: str, status: dict[str, Any]) -> SourceItem:
        name = posixpath.basename(path) or path
        is_dir = status.get("type") == "DIRECTORY"
        length = int(status.get("length", 0) or 0)
        mtime = int(status.get("modificationTime", 0) or 0)
        return SourceItem(
            uri=self._uri(path),
            name=name,
            size=length,
            file_type=FileType.DIR if is_dir else file_type_for(name),
            version=f"{mtime}-{length}",
            modified_at=mtime / 1000 if mtime else None,
            extra={"owner": status.get("owner"), "permission": status.get("permission")},
        )

    def validate(self) -> None:
        """The root path must exist and be a directory readable by the user."""
        status = self._call(f"path {self.config.file_path!r}", self.client.status, self.config.file_path)
        if status.get("type") != "DIRECTORY":
            raise ValidationFailed(f"HDFS path {self.config.file_path!r} is not a directory")
        self._call(f"path {self.config.file_path!r}", self.client.list, self.config.file_path)

    def _walk(self, path: str) -> Iterator[SourceItem]:
        """Files under a directory, one directory listing at a time, in name order."""
        entries = self._call(f"path {self._uri(path)!r}", self.client.list, path, status=True)
        for name, status in sorted(entries, key=lambda e: e[0]):
            child = posixpath.join(path, name)
            if status.get("type") == "DIRECTORY":
                yield from self._walk(child)
            else:
                yield self._item(child, status)

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Files under the given uris (files or directories), or the whole root."""
        types = normalise_file_types(file_types)
        for uri in list(uris or []) or [""]:
            path = self._path(uri)
            status = self._call(f"path {uri!r}", self.client.status, path)
            items = self._walk(path) if status.get("type") == "DIRECTORY" else iter([self._item(path, status)])
            for item in items:
                if wanted_type(item, types):
                    yield item

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the file (WebHDFS OPEN, following the datanode redirect)."""
        path = self._path(uri)
        ctx = self.client.read(path, chunk_size=64 * 1024)
        chunks = self._call(f"file {uri!r}", ctx.__enter__)
        return buffered(self._guard(f"file {uri!r}", chunks), lambda: ctx.__exit__(None, None, None))

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one file or directory."""
        path = self._path(uri)
        return self._item(path, self._call(f"path {uri!r}", self.client.status, path))


register("hdfs", SourceType.HDFS, HdfsConfig, HdfsConnector)
