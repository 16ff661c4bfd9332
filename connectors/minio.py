"""``minio``: objects in a MinIO (or any S3-compatible) bucket through the ``minio`` client.

Same config fields as ``s3``. uri = the object key; a uri ending in "/" lists beneath it.
version = the ETag. The ``minio`` package is imported lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from ingestflow.connectors.errors import import_sdk
from ingestflow.connectors.object_store import BucketConnector, buffered, object_item
from ingestflow.connectors.registry import register
from ingestflow.connectors.s3 import S3Config
from ingestflow.records import SourceItem, SourceType


class MinioConfig(S3Config):
    """Config of a MinIO source (the s3 fields)."""


class MinioConnector(BucketConnector):
    """A MinIO bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "minio"
    label: ClassVar[str] = "MinIO"

    def _make_client(self) -> Any:
        """The minio client (5 s connect timeout, 2 retries on 5xx)."""
        minio = import_sdk("minio", "minio", self.kind)
        import urllib3

        endpoint = self.config.endpoint.strip().rstrip("/")
        secure = self.config.secure
        if "://" in endpoint:
            scheme, endpoint = endpoint.split("://", 1)
            secure = scheme.lower() == "https"
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=30),
            retries=urllib3.Retry(total=2, connect=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        return minio.Minio(
            endpoint,
            access_key=self.config.access_key_id,
            secret_key=self.config.access_key_secret.get_secret_value(),
            secure=secure,
            region=self.config.region,
            http_client=http,
        )

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        next(self._under(self.config.prefix), None)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, streamed from list_objects(recursive=True)."""
        objects = self._call(f"prefix {prefix!r}", self.client.list_objects, self.config.bucket_name,
                             prefix=prefix or None, recursive=True)
        for obj in self._guard(f"prefix {prefix!r}", objects):
            if not obj.is_dir and not obj.object_name.endswith("/"):
                yield object_item(obj.object_name, obj.size, obj.etag, obj.last_modified)

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes (connection released on close)."""
        resp = self._call(f"object {uri!r}", self.client.get_object, self.config.bucket_name, uri)

        def _close() -> None:
            resp.close()
            resp.release_conn()

        return buffered(self._guard(f"object {uri!r}", resp.stream(64 * 1024)), _close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object."""
        st = self._call(f"object {uri!r}", self.client.stat_object, self.config.bucket_name, uri)
        return object_item(uri, st.size, st.etag, st.last_modified)


register("minio", SourceType.MINIO, MinioConfig, MinioConnector)
