"""``s3``: objects in an S3-compatible bucket (AWS, MinIO, Ceph …) through boto3.

uri = the object key; a uri ending in "/" (or a common prefix) lists beneath it.
version = the ETag. boto3 is imported lazily; the client is built on first use with
short timeouts and few retries so an unreachable endpoint fails fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, SecretStr

from ingestflow.connectors.base import ConnectorConfig
from ingestflow.connectors.object_store import ObjectStoreListing, buffered, endpoint_url, object_item
from ingestflow.connectors.registry import register
from ingestflow.errors import AuthError, IngestError, NotFound, ProviderError, ProviderUnavailable
from ingestflow.records import SourceItem, SourceType

AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidClientTokenId", "403"}
NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound", "NoSuchObject"}


class S3Config(ConnectorConfig):
    """Config of an S3-compatible source (field names as in the seed)."""

    endpoint: str = Field("", description="host:port or url; empty for AWS.")
    access_key_id: str = Field(..., min_length=1)
    access_key_secret: SecretStr = Field(..., description="Secret access key.")
    bucket_name: str = Field(..., min_length=1)
    region: str = Field("us-east-1")
    path_style: bool = Field(True, description="Path-style addressing (MinIO and most on-prem stores).")
    prefix: str = Field("", description="Only keys under this prefix when no uris are given.")
    secure: bool = Field(False, description="Use https when the endpoint has no scheme.")


class S3Connector(ObjectStoreListing):
    """An S3 bucket (or a prefix of it) as a source."""

    kind: ClassVar[str] = "s3"

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._client: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.config.endpoint!r}, bucket={self.config.bucket_name!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client, built on first use."""
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError:  # pragma: no cover - depends on the install
                raise ProviderError("the s3 connector needs the 'boto3' package (pip install boto3)") from None
            cfg = Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 2},
                s3={"addressing_style": "path" if self.config.path_style else "auto"},
                signature_version="s3v4",
            )
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url(self.config.endpoint, self.config.secure) if self.config.endpoint else None,
                aws_access_key_id=self.config.access_key_id,
                aws_secret_access_key=self.config.access_key_secret.get_secret_value(),
                region_name=self.config.region,
                config=cfg,
            )
        return self._client

    def _error(self, exc: Exception, what: str) -> IngestError:
        """Map a botocore exception to the ingestflow error tree (names only, never secrets)."""
        bucket = self.config.bucket_name
        try:
            from botocore import exceptions as bex
        except ImportError:  # pragma: no cover
            return ProviderError(f"S3 request failed for {what}")
        if isinstance(exc, bex.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in AUTH_CODES:
                return AuthError(f"S3 rejected the credentials for bucket {bucket!r} ({code})")
            if code == "NoSuchBucket":
                return NotFound(f"bucket {bucket!r} does not exist")
            if code in NOT_FOUND_CODES:
                return NotFound(f"{what} does not exist in bucket {bucket!r}")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500:
                return ProviderUnavailable(f"S3 answered {status} ({code}) for {what}")
            return ProviderError(f"S3 request for {what} failed ({code})")
        if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError,
                            bex.ConnectionClosedError)):
            return ProviderUnavailable(f"S3 endpoint {self.config.endpoint!r} is unreachable")
        return ProviderError(f"S3 request for {what} failed ({type(exc).__name__})")

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to the error tree
            raise self._error(exc, what) from None

    def validate(self) -> None:
        """The bucket must exist and the credentials must allow listing it."""
        self._call(f"bucket {self.config.bucket_name!r}", self.client.list_objects_v2,
                   Bucket=self.config.bucket_name, Prefix=self.config.prefix, MaxKeys=1)

    def _under(self, prefix: str) -> Iterator[SourceItem]:
        """Objects under a prefix, page by page (directory markers skipped)."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.config.bucket_name, Prefix=prefix, PaginationConfig={"PageSize": 1000})
        it = iter(pages)
        while True:
            try:
                page = next(it)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, f"prefix {prefix!r}") from None
            for obj in page.get("Contents", []) or []:
                if not obj["Key"].endswith("/"):
                    yield object_item(obj["Key"], obj.get("Size", 0), obj.get("ETag"), obj.get("LastModified"))

    def open(self, uri: str) -> BinaryIO:
        """A streaming reader of the object's bytes."""
        resp = self._call(f"object {uri!r}", self.client.get_object, Bucket=self.config.bucket_name, Key=uri)
        body = resp["Body"]
        return buffered(body.iter_chunks(64 * 1024), body.close)

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one object (HEAD)."""
        head = self._call(f"object {uri!r}", self.client.head_object, Bucket=self.config.bucket_name, Key=uri)
        return object_item(uri, head.get("ContentLength", 0), head.get("ETag"), head.get("LastModified"))


register("s3", SourceType.S3, S3Config, S3Connector)
