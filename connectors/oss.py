"""``oss``: objects in an Alibaba Cloud OSS bucket through ``oss2``.

uri = the object key; a uri ending in "/" lists beneath it. version = the ETag.
``oss2`` is imported lazily; an IP endpoint makes oss2 use path-style addressing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, SecretStr

from ingestflow.connectors.base import ConnectorConfig
from ingestflow.connectors.object_store import ObjectStoreListing, buffered, endpoint_url, object_item
from ingestflow.connectors.registry import register
from ingestflow.connectors.s3 import AUTH_CODES
from ingestflow.errors import AuthError, ValidationFailed, IngestError, NotFound, ProviderError, ProviderUnavailable
from ingestflow.records import SourceItem, SourceType


class OssConfig(ConnectorConfig):
    """Config of an OSS source (field names as in the seed)."""

    endpoint: str = Field(..., min_length=1, description="e.g. oss-cn-hangzhou.aliyuncs.com or host:port.")
    access_key_id: str = Field(..., min_length=1)
    access_key_secret: SecretStr = Field(...)
    bucket_name: str = Field(..., min_length=1)
    prefix: str = Field("", description="Only keys under this prefix when no uris are given.")
    secure: bool = Field(False, description="Use https when the endpoint has no scheme.")


class OssConnector(ObjectStoreListing):
    """An OSS bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "oss"

    def __init__(self, config: OssConfig) -> None:
        self.config = config
        self._bucket: Any = None

    def __repr__(self) -> str:
        return f"OssConnector(endpoint={self.config.endpoint!r}, bucket={self.config.bucket_name!r})"

    @property
    def bucket(self) -> Any:
        """The oss2.Bucket, built on first use (5 s connect timeout)."""
        if self._bucket is None:
            try:
                import oss2
            except ImportError:  # pragma: no cover - depends on the install
                raise ProviderError("the oss connector needs the 'oss2' package (pip install oss2)") from None
            auth = oss2.Auth(self.config.access_key_id, self.config.access_key_secret.get_secret_value())
            try:
                self._bucket = oss2.Bucket(
                    auth,
                    endpoint_url(self.config.endpoint, self.config.secure),
                    self.config.bucket_name,
                    is_cname=False,
                    connect_timeout=5,
                )
            except oss2.exceptions.ClientError as exc:  # e.g. an invalid bucket name
                raise ValidationFailed(f"invalid OSS bucket or endpoint: {str(exc)[:200]}") from None
        return self._bucket

    def _error(self, exc: Exception, what: str) -> IngestError:
        """Map oss2 exceptions to the error tree (names only, never secrets)."""
        bucket = self.config.bucket_name
        try:
            from oss2 import exceptions as oex
        except ImportError:  # pragma: no cover
            return ProviderError(f"OSS request for {what} failed")
        if isinstance(exc, oex.RequestError):
            return ProviderUnavailable(f"OSS endpoint {self.config.endpoint!r} is unreachable")
        if isinstance(exc, oex.OssError):
            code = str(getattr(exc, "code", "") or "")
            status = int(getattr(exc, "status", 0) or 0)
            if code in AUTH_CODES or status == 403:
                return AuthError(f"OSS rejected the credentials for bucket {bucket!r} ({code or status})")
            if code == "NoSuchBucket":
                return NotFound(f"bucket {bucket!r} does not exist")
            if status == 404:
                return NotFound(f"{what} does not exist in bucket {bucket!r}")
            if status >= 500:
                return ProviderUnavailable(f"OSS answered {status} ({code}) for {what}")
            return ProviderError(f"OSS request for {what} failed ({code or status})")
        return ProviderError(f"OSS request for {what} failed ({type(exc).__name__})")

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to the error tree
            raise self._error(exc, what) from None

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        self._call(f"bucket {self.config.bucket_name!r}", self.bucket.list_objects,
                   prefix=self.config.prefix, max_keys=1)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, streamed page by page through oss2.ObjectIterator."""
        import oss2

        it = iter(oss2.ObjectIterator(self.bucket, prefix=prefix, max_keys=1000))
        while True:
            try:
                obj = next(it)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, f"prefix {prefix!r}") from None
            if not obj.key.endswith("/"):
                yield object_item(obj.key, obj.size, obj.etag, obj.last_modified)

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes."""
        result = self._call(f"object {uri!r}", self.bucket.get_object, uri)

        def _chunks() -> Iterator[bytes]:
            while True:
                data = result.read(64 * 1024)
                if not data:
                    return
                yield data

        return buffered(_chunks(), result.close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object (HEAD)."""
        head = self._call(f"object {uri!r}", self.bucket.head_object, uri)
        return object_item(uri, head.content_length, head.etag, head.last_modified)


register("oss", SourceType.OSS, OssConfig, OssConnector)
