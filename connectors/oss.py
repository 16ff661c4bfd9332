"""``oss``: objects in an Alibaba Cloud OSS bucket through ``oss2``.

uri = the object key; a uri ending in "/" lists beneath it. version = the ETag.
``oss2`` is imported lazily; an IP endpoint makes oss2 use path-style addressing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field

from ingestflow.connectors.base import Endpoint
from ingestflow.connectors.errors import import_sdk
from ingestflow.connectors.object_store import BucketConfig, BucketConnector, buffered, endpoint_url, object_item
from ingestflow.connectors.registry import register
from ingestflow.records import SourceItem, SourceType


class OssConfig(BucketConfig):
    """Config of an OSS source (the bucket fields; the endpoint is required)."""

    endpoint: Endpoint = Field(..., min_length=1, description="e.g. oss-cn-hangzhou.aliyuncs.com or host:port.")


class OssConnector(BucketConnector):
    """An OSS bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "oss"
    label: ClassVar[str] = "OSS"

    def _make_client(self) -> Any:
        """The oss2.Bucket (5 s connect timeout); an invalid bucket name fails here, before any request."""
        oss2 = import_sdk("oss2", "oss2", self.kind)
        auth = oss2.Auth(self.config.access_key_id, self.config.access_key_secret.get_secret_value())
        return oss2.Bucket(auth, endpoint_url(self.config.endpoint, self.config.secure), self.config.bucket_name,
                           is_cname=False, connect_timeout=5)

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        self._call(f"bucket {self.config.bucket_name!r}", self.client.list_objects,
                   prefix=self.config.prefix, max_keys=1)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, streamed page by page through oss2.ObjectIterator."""
        import oss2

        for obj in self._guard(f"prefix {prefix!r}", oss2.ObjectIterator(self.client, prefix=prefix, max_keys=1000)):
            if not obj.key.endswith("/"):
                yield object_item(obj.key, obj.size, obj.etag, obj.last_modified)

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes."""
        result = self._call(f"object {uri!r}", self.client.get_object, uri)
        chunks = iter(lambda: result.read(64 * 1024), b"")
        return buffered(self._guard(f"object {uri!r}", chunks), result.close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object (HEAD)."""
        head = self._call(f"object {uri!r}", self.client.head_object, uri)
        return object_item(uri, head.content_length, head.etag, head.last_modified)


register("oss", SourceType.OSS, OssConfig, OssConnector)
