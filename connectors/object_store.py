"""Shared pieces of the object-store connectors (s3, minio, oss) and of hdfs.

``ChunkStream``/``buffered``: a file-like reader over an iterator of byte chunks (streams;
never holds a whole object). ``BucketConnector``: what the bucket connectors share — the
``list()`` (a uri ending in "/", or a common prefix, lists beneath it; a key lists itself), the
error ``Source`` (credentials are ``access_key_id`` / ``access_key_secret``) and the repr.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, SecretStr

from ingestflow.connectors.base import (
    ConnectorConfig, Endpoint, HeaderValue, SdkConnector, normalise_file_types, wanted_type,
)
from ingestflow.connectors.errors import Source
from ingestflow.errors import NotFound
from ingestflow.records import SourceItem, file_type_for


class ChunkStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks, closing the source on close."""

    def __init__(self, chunks: Iterable[bytes], on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._buffer = b""
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = bytes(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        if not self.closed and self._on_close is not None:
            try:
                self._on_close()
            finally:
                self._on_close = None
        super().close()


def buffered(chunks: Iterable[bytes], on_close: Callable[[], None] | None = None) -> BinaryIO:
    """``ChunkStream`` behind a BufferedReader (read(n), readline, iteration, close)."""
    return io.BufferedReader(ChunkStream(chunks, on_close), buffer_size=64 * 1024)  # type: ignore[return-value]


def endpoint_url(endpoint: str, secure: bool) -> str:
    """``host:port`` → ``http(s)://host:port``; a url with a scheme is kept."""
    endpoint = endpoint.strip().rstrip("/")
    if "://" in endpoint:
        return endpoint
    return f"{'https' if secure else 'http'}://{endpoint}"


def object_item(key: str, size: int | None, etag: str | None, modified: Any) -> SourceItem:
    """The ``SourceItem`` of one object (version = its ETag, without quotes)."""
    name = posixpath.basename(key.rstrip("/")) or key
    return SourceItem(
        uri=key,
        name=name,
        size=int(size or 0),
        file_type=file_type_for(name),
        version=(etag or "").strip('"'),
        modified_at=modified.timestamp() if hasattr(modified, "timestamp") else None,
    )


class BucketConfig(ConnectorConfig):
    """The fields every bucket kind's config has (field names as in the seed)."""

    endpoint: Endpoint = Field("", description="host:port or url; empty for the provider's default.")
    access_key_id: HeaderValue = Field(..., min_length=1)
    access_key_secret: SecretStr = Field(..., description="Secret access key.")
    bucket_name: str = Field(..., min_length=1)
    prefix: str = Field("", description="Only keys under this prefix when no uris are given.")
    secure: bool = Field(False, description="Use https when the endpoint has no scheme.")


class BucketConnector(SdkConnector):
    """Base of bucket connectors; subclasses set ``label`` and provide ``_under(prefix)`` and ``stat(uri)``."""

    config: BucketConfig

    label: ClassVar[str]
    repr_fields = ("endpoint", "bucket_name")

    @property
    def source(self) -> Source:
        """Errors name the bucket and endpoint, and the key fields to fix."""
        return Source(self.label, self.config.endpoint or "the default endpoint", bucket=self.config.bucket_name,
                      id_field=self.field("access_key_id"), secret_field=self.field("access_key_secret"))

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        raise NotImplementedError

    def stat(self, uri: str) -> SourceItem:
        raise NotImplementedError

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Objects under the given keys/prefixes, or under the configured prefix."""
        types = normalise_file_types(file_types)
        for uri in list(uris or []) or [self.config.prefix]:
            uri = uri.lstrip("/")
            if not uri or uri.endswith("/"):
                items: Iterator[SourceItem] = self._under(uri)
            else:
                try:
                    items = iter([self.stat(uri)])
                except NotFound:
                    items = self._under(uri + "/")
                    first = next(items, None)
                    if first is None:
                        raise NotFound(f"{uri!r} does not exist in bucket {self.config.bucket_name!r}") from None
                    items = _chain(first, items)
            for item in items:
                if wanted_type(item, types):
                    yield item


def _chain(first: SourceItem, rest: Iterator[SourceItem]) -> Iterator[SourceItem]:
    yield first
    yield from rest
