"""The one mapping of source-SDK exceptions to the error tree of ``ingestflow.errors``.

Every connector calls its SDK through ``call`` (or iterates through ``guarded``); whatever the
SDK raises comes out as one of:

    SourceCredentialsRejected  400  the source refused the connector's credentials; names the fields
    NotFound                   404  bucket, object, path, database, table, document
    ValidationFailed           400  a config the SDK refuses before any request (bad bucket name, SQL)
    ProviderUnavailable        503  unreachable, timed out, or a 5xx: worth retrying
    ProviderError              502  anything else the source answered

by SDK (chosen by the module of the exception's class, so no SDK is imported to map another's):

    botocore             ClientError code/status; connect/read timeouts, closed connections
    minio, urllib3       S3Error code/status (as botocore's); ServerError; urllib3 transport errors
    oss2                 OssError code/status; RequestError (transport); ClientError (bad bucket name)
    hdfs, requests       HdfsError's Java exception name; requests connection errors and timeouts
    pymysql              MySQL error numbers (1045 login, 1049/1146 missing, 2003 unreachable, …)
    httpx                HTTPStatusError status (401/403, 404, 5xx); TransportError

Messages are built from the names in ``Source`` (bucket, path, endpoint, user) and error codes,
never from a credential nor from the SDK's own text, which can echo signed URLs or passwords.
Our API's own 401 (``AuthError``) is never produced here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from ingestflow.errors import (
    IngestError, NotFound, ProviderError, ProviderUnavailable, SourceCredentialsRejected, ValidationFailed,
)

T = TypeVar("T")

# S3-protocol error codes (AWS, MinIO, OSS share them)
KEY_ID_CODES = frozenset({"InvalidAccessKeyId", "InvalidClientTokenId"})
SECRET_CODES = frozenset({"SignatureDoesNotMatch"})
DENIED_CODES = frozenset({"AccessDenied", "403", "AllAccessDisabled", "InvalidSecurity"})
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchObject"})
# MySQL error numbers
MYSQL_LOGIN = frozenset({1045, 1142, 1143})
MYSQL_UNREACHABLE = frozenset({2003, 2006, 2013})
MYSQL_BAD_SQL = frozenset({1054, 1064})


@dataclass(frozen=True)
class Source:
    """What a connector's error messages may name (never a secret).

    ``id_field`` / ``secret_field`` are the config fields a user fixes when the source rejects
    the credentials, already prefixed by the kind's body field (``s3.access_key_secret``).
    """

    label: str
    endpoint: str
    bucket: str | None = None
    user: str | None = None
    database: str | None = None
    table: str | None = None
    id_field: str | None = None
    secret_field: str | None = None

    def __post_init__(self) -> None:
        # an endpoint written as scheme://user:password@host must not carry its password into a message
        scheme, sep, rest = self.endpoint.rpartition("://")
        if "@" in rest.split("/", 1)[0]:
            object.__setattr__(self, "endpoint", f"{scheme}{sep}***@{rest.split('@', 1)[1]}")


def import_sdk(module: str, package: str, kind: str) -> ModuleType:
    """Import an optional SDK lazily; a missing one names the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ProviderError(f"the {kind} connector needs the {package!r} package (pip install {package})") from None


def call(source: Source, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` with any SDK exception mapped to the error tree (``what`` names the target)."""
    try:
        return fn(*args, **kwargs)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - every SDK error is mapped here, once
        raise map_error(exc, source, what) from None


def guarded(source: Source, what: str, items: Iterable[T]) -> Iterator[T]:
    """Iterate an SDK's lazy iterator (pages, chunks) with its errors mapped like ``call``'s."""
    iterator = call(source, what, iter, items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped once, like call()
            raise map_error(exc, source, what) from None
        yield item


def map_error(exc: BaseException, source: Source, what: str) -> IngestError:
    """The error-tree exception for an SDK exception (the mapper of the first SDK in its class's MRO)."""
    if isinstance(exc, IngestError):
        return exc
    for cls in type(exc).__mro__:
        mapper = _MAPPERS.get(cls.__module__.partition(".")[0])
        if mapper is not None:
            return mapper(exc, source, what)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return unreachable(source)
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


# --- the shared outcomes ---------------------------------------------------------------------

def rejected(source: Source, detail: str, *, id_field: bool = True, secret_field: bool = True) -> SourceCredentialsRejected:
    """The source refused the credentials: name the config fields to fix (those implicated, else all)."""
    wanted = [f for f, on in ((source.id_field, id_field), (source.secret_field, secret_field)) if f and on]
    fields = tuple(wanted or [f for f in (source.id_field, source.secret_field) if f])
    where = f" for bucket {source.bucket!r}" if source.bucket else f" at {source.endpoint!r}"
    who = f"user {source.user!r}" if source.user else "the credentials"
    fix = f": check {' and '.join(fields)}" if fields else ""
    return SourceCredentialsRejected(f"{source.label} rejected {who}{where} ({detail}){fix}", fields=fields)


def unreachable(source: Source) -> ProviderUnavailable:
    """The source could not be reached (refused, timed out, connection dropped)."""
    return ProviderUnavailable(f"{source.label} at {source.endpoint!r} is unreachable")


def _object_store(source: Source, what: str, code: str, status: int) -> IngestError:
    """S3-protocol answers (botocore, minio, oss2 all speak it)."""
    if code in KEY_ID_CODES:
        return rejected(source, code, secret_field=False)
    if code in SECRET_CODES:
        return rejected(source, code, id_field=False)
    if code in DENIED_CODES or status == 403:
        return rejected(source, code or str(status))
    if code == "NoSuchBucket":
        return NotFound(f"bucket {source.bucket!r} does not exist")
    if code in NOT_FOUND_CODES or status == 404:
        return NotFound(f"{what} does not exist in bucket {source.bucket!r}")
    if status >= 500:
        return ProviderUnavailable(f"{source.label} answered {status} ({code}) for {what}")
    return ProviderError(f"{source.label} request for {what} failed ({code or status})")


# --- one mapper per SDK (each imports only its own SDK, already loaded since it raised) --------

def _botocore(exc: BaseException, source: Source, what: str) -> IngestError:
    from botocore import exceptions as bex

    if isinstance(exc, bex.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return _object_store(source, what, code, status)
    if isinstance(exc, (bex.NoCredentialsError, bex.PartialCredentialsError)):
        return rejected(source, "no credentials")
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError,
                        bex.ConnectionClosedError)):
        return unreachable(source)
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _minio(exc: BaseException, source: Source, what: str) -> IngestError:
    from minio.error import S3Error, ServerError

    if isinstance(exc, S3Error):
        status = exc.response.status if exc.response is not None else 0
        return _object_store(source, what, str(exc.code or ""), int(status or 0))
    if isinstance(exc, ServerError):
        return ProviderUnavailable(f"{source.label} answered {exc.status_code} for {what}")
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _urllib3(exc: BaseException, source: Source, what: str) -> IngestError:
    import urllib3

    if isinstance(exc, urllib3.exceptions.HTTPError):  # MaxRetryError, timeouts, protocol errors
        return unreachable(source)
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _oss2(exc: BaseException, source: Source, what: str) -> IngestError:
    from oss2 import exceptions as oex

    if isinstance(exc, oex.RequestError):
        return unreachable(source)
    if isinstance(exc, oex.ClientError):  # refused before any request: an invalid bucket name or endpoint
        return ValidationFailed(f"invalid OSS bucket {source.bucket!r} or endpoint {source.endpoint!r}")
    if isinstance(exc, oex.OssError):
        return _object_store(source, what, str(getattr(exc, "code", "") or ""), int(getattr(exc, "status", 0) or 0))
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _hdfs(exc: BaseException, source: Source, what: str) -> IngestError:
    from hdfs.util import HdfsError

    if isinstance(exc, HdfsError):
        # the namenode's Java exception name is the only reliable signal in a WebHDFS error
        text = f"{getattr(exc, 'exception', '') or ''} {exc}"
        if "FileNotFoundException" in text or "does not exist" in text:
            return NotFound(f"{what} does not exist on {source.label}")
        for name in ("AccessControlException", "SecurityException"):
            if name in text:
                return rejected(source, f"{name} on {what}")
        if "Permission denied" in text:
            return rejected(source, f"permission denied on {what}")
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _requests(exc: BaseException, source: Source, what: str) -> IngestError:
    import requests

    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return unreachable(source)
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _pymysql(exc: BaseException, source: Source, what: str) -> IngestError:
    import pymysql

    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code in MYSQL_LOGIN:
        return rejected(source, f"MySQL error {code}")
    if code == 1049:
        return NotFound(f"database {source.database!r} does not exist")
    if code == 1044:  # authenticated, but the database is missing or not granted to this user
        return NotFound(f"database {source.database!r} does not exist or user {source.user!r} may not access it")
    if code == 1146:
        return NotFound(f"table {source.table!r} does not exist in database {source.database!r}")
    if code in MYSQL_UNREACHABLE:
        return unreachable(source)
    if isinstance(exc, pymysql.err.ProgrammingError) or code in MYSQL_BAD_SQL:
        return ValidationFailed(f"the configured query or columns are invalid (MySQL error {code})")
    return ProviderError(f"{source.label} request for {what} failed (MySQL error {code})")


def _httpx(exc: BaseException, source: Source, what: str) -> IngestError:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status in (401, 403):
            return rejected(source, str(status))
        if status == 404:
            return NotFound(f"{what} does not exist in {source.label}")
        if status >= 500:
            return ProviderUnavailable(f"{source.label} answered {status} for {what}")
        return ProviderError(f"{source.label} request for {what} failed ({status} {_json_code(exc.response)})".rstrip())
    if isinstance(exc, httpx.TransportError):
        return unreachable(source)
    return ProviderError(f"{source.label} request for {what} failed ({type(exc).__name__})")


def _json_code(response: Any) -> str:
    """The ``code`` of a JSON error body (an identifier such as ``invalid_param``), or ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = str(body.get("code", "")) if isinstance(body, dict) else ""
    return code if code.replace("_", "").isalnum() and len(code) <= 64 else ""


_MAPPERS: dict[str, Callable[[BaseException, Source, str], IngestError]] = {
    "botocore": _botocore, "minio": _minio, "urllib3": _urllib3, "oss2": _oss2, "hdfs": _hdfs,
    "requests": _requests, "pymysql": _pymysql, "httpx": _httpx,
}
