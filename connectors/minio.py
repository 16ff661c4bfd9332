"""``minio``: objects in a MinIO (or any S3-compatible) bucket through the ``minio`` client.

Same config fields as ``s3``. uri = the object key; a uri ending in "/" lists beneath it.
version = the ETag. The ``minio`` package is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, ClassVar

from ingestflow.connectors.object_store import ObjectStoreListing, buffered, object_item
from ingestflow.connectors.registry import register
from ingestflow.connectors.s3 import AUTH_CODES, NOT_FOUND_CODES, S3Config
from ingestflow.errors import AuthError, IngestError, NotFound, ProviderError, ProviderUnavailable
from ingestflow.records import SourceItem, SourceType


class MinioConfig(S3Config):
    """Config of a MinIO source (the s3 fields)."""


class MinioConnector(ObjectStoreListing):
    """A MinIO bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "minio"

    def __init__(self, config: MinioConfig) -> None:
        self.config = config
        self._client: Any = None

    def __repr__(self) -> str:
        return f"MinioConnector(endpoint={self.config.endpoint!r}, bucket={self.config.bucket_name!r})"

    @property
    def client(self) -> Any:
        """The minio client, built on first use (short timeouts, 2 retries)."""
        if self._client is None:
            try:
                import urllib3
                from minio import Minio
            except ImportError:  # pragma: no cover - depends on the install
                raise ProviderError("the minio connector needs the 'minio' package (pip install minio)") from None
            endpoint = self.config.endpoint.strip().rstrip("/")
            secure = self.config.secure
            if "://" in endpoint:
                scheme, endpoint = endpoint.split("://", 1)
                secure = scheme.lower() == "https"
            http = urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=5, read=30),
                retries=urllib3.Retry(total=2, connect=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            )
            self._client = Minio(
                endpoint,
                access_key=self.config.access_key_id,
                secret_key=self.config.access_key_secret.get_secret_value(),
                secure=secure,
                region=self.config.region,
                http_client=http,
            )
        return self._client

    def _error(self, exc: Exception, what: str) -> IngestError:
        """Map minio / urllib3 exceptions to the error tree (names only, never secrets)."""
        bucket = self.config.bucket_name
        try:
            import urllib3
            from minio.error import S3Error, ServerError
        except ImportError:  # pragma: no cover
            return ProviderError(f"MinIO request for {what} failed")
        if isinstance(exc, S3Error):
            code = str(exc.code or "")
            if code in AUTH_CODES:
                return AuthError(f"S3 rejected the credentials for bucket {bucket!r} ({code})")
            if code == "NoSuchBucket":
                return NotFound(f"bucket {bucket!r} does not exist")
            if code in NOT_FOUND_CODES or (exc.response is not None and exc.response.status == 404):
                return NotFound(f"{what} does not exist in bucket {bucket!r}")
            return ProviderError(f"MinIO request for {what} failed ({code})")
        if isinstance(exc, ServerError):
            return ProviderUnavailable(f"MinIO answered {exc.status_code} for {what}")
        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
            return ProviderUnavailable(f"MinIO endpoint {self.config.endpoint!r} is unreachable")
        return ProviderError(f"MinIO request for {what} failed ({type(exc).__name__})")

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to the error tree
            raise self._error(exc, what) from None

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        next(self._under(self.config.prefix), None)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, streamed from list_objects(recursive=True)."""
        objects = self._call(f"prefix {prefix!r}", self.client.list_objects, self.config.bucket_name,
                             prefix=prefix or None, recursive=True)
        it = iter(objects)
        while True:
            try:
                obj = next(it)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, f"prefix {prefix!r}") from None
            if not obj.is_dir and not obj.object_name.endswith("/"):
                yield object_item(obj.object_name, obj.size, obj.etag, obj.last_modified)

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes (connection released on close)."""
        resp = self._call(f"object {uri!r}", self.client.get_object, self.config.bucket_name, uri)

        def _close() -> None:
            resp.close()
            resp.release_conn()

        return buffered(resp.stream(64 * 1024), _close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object."""
        st = self._call(f"object {uri!r}", self.client.stat_object, self.config.bucket_name, uri)
        return object_item(uri, st.size, st.etag, st.last_modified)


register("minio", SourceType.MINIO, MinioConfig, MinioConnector)
