"""``s3``: objects in an S3-compatible bucket (AWS, MinIO, Ceph …) through boto3.

uri = the object key; a uri ending in "/" (or a common prefix) lists beneath it.
version = the ETag. boto3 is imported lazily; the client is built on first use with
short timeouts and few retries so an unreachable endpoint fails fast. ``put``/``delete``
serve the upload store (``upload.py``), which keeps its files in such a bucket.
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


class S3Config(BucketConfig):
    """Config of an S3-compatible source (the bucket fields, plus region and addressing)."""

    endpoint: Endpoint = Field("", description="host:port or url; empty for AWS.")
    region: str = Field("us-east-1")
    path_style: bool = Field(True, description="Path-style addressing (MinIO and most on-prem stores).")


class S3Connector(BucketConnector):
    """An S3 bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "s3"
    label: ClassVar[str] = "S3"

    def _make_client(self) -> Any:
        """A boto3 S3 client: 5 s connect timeout, 2 attempts, path-style unless told otherwise."""
        boto3 = import_sdk("boto3", "boto3", self.kind)
        from botocore.config import Config

        cfg = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 2},
            s3={"addressing_style": "path" if self.config.path_style else "auto"},
            signature_version="s3v4",
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url(self.config.endpoint, self.config.secure) if self.config.endpoint else None,
            aws_access_key_id=self.config.access_key_id,
            aws_secret_access_key=self.config.access_key_secret.get_secret_value(),
            region_name=self.config.region,
            config=cfg,
        )

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        self._call(f"bucket {self.config.bucket_name!r}", self.client.list_objects_v2,
                   Bucket=self.config.bucket_name, Prefix=self.config.prefix, MaxKeys=1)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, page by page (directory markers skipped)."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.config.bucket_name, Prefix=prefix, PaginationConfig={"PageSize": 1000})
        for page in self._guard(f"prefix {prefix!r}", pages):
            for obj in page.get("Contents", []) or []:
                if not obj["Key"].endswith("/"):
                    yield object_item(obj["Key"], obj.get("Size", 0), obj.get("ETag"), obj.get("LastModified"))

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes."""
        resp = self._call(f"object {uri!r}", self.client.get_object, Bucket=self.config.bucket_name, Key=uri)
        body = resp["Body"]
        return buffered(self._guard(f"object {uri!r}", body.iter_chunks(64 * 1024)), body.close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object (HEAD)."""
        head = self._call(f"object {uri!r}", self.client.head_object, Bucket=self.config.bucket_name, Key=uri)
        return object_item(uri, head.get("ContentLength", 0), head.get("ETag"), head.get("LastModified"))

    def put(self, key: str, stream: BinaryIO) -> None:
        """Store a stream as one object. S3 makes an object visible only once its upload completes (a
        multipart upload that fails is aborted), so a reader never sees a partial object."""
        self._call(f"object {key!r}", self.client.upload_fileobj, stream, self.config.bucket_name, key)

    def delete(self, key: str) -> None:
        """Remove one object (a missing one is no error: S3 deletes are idempotent)."""
        self._call(f"object {key!r}", self.client.delete_object, Bucket=self.config.bucket_name, Key=key)


register("s3", SourceType.S3, S3Config, S3Connector)
