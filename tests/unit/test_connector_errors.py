"""The one SDK error mapping (connectors/errors.py): each SDK's exceptions land on the error tree,
a rejected credential names the config fields to fix and is never our API's 401, no message
carries a secret or the SDK's own text."""

from __future__ import annotations

import pytest

from ingestflow.connectors.errors import Source, call, guarded, import_sdk, map_error
from ingestflow.errors import (
    AuthError, IngestError, NotFound, ProviderError, ProviderUnavailable, SourceCredentialsRejected, ValidationFailed,
)

SECRET = "Planted-Secret-in-SDK-text-42"
BUCKET = Source("S3", "127.0.0.1:9000", bucket="docs", id_field="s3.access_key_id",
                secret_field="s3.access_key_secret")
MO = Source("MatrixOne", "db:6001", user="acct:alice", database="kb", table="notes",
            id_field="mo.username", secret_field="mo.password")
HDFS = Source("HDFS", "nn:9870", user="mallory", id_field="hdfs.username")
DIFY = Source("Dify", "http://dify/v1", secret_field="dify.api_key")


def _client_error(code: str, status: int):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": SECRET}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ListObjectsV2")


def _minio_error(code: str, status: int):
    import urllib3
    from minio.error import S3Error

    return S3Error(urllib3.HTTPResponse(status=status), code, SECRET, "/docs", "req", "host")


def _oss_error(code: str, status: int):
    from oss2.exceptions import OssError

    return OssError(status, {}, SECRET.encode(), {"Code": code, "Message": SECRET})


def _http_status(status: int):
    import httpx

    request = httpx.Request("GET", "http://dify/v1/datasets")
    return httpx.HTTPStatusError(SECRET, request=request, response=httpx.Response(status, request=request,
                                                                                   json={"code": "invalid_param"}))


@pytest.mark.parametrize("make", [_client_error, _minio_error, _oss_error])
@pytest.mark.parametrize(("code", "status", "fields"), [
    ("InvalidAccessKeyId", 403, ("s3.access_key_id",)),
    ("SignatureDoesNotMatch", 403, ("s3.access_key_secret",)),
    ("AccessDenied", 403, ("s3.access_key_id", "s3.access_key_secret")),
])
def test_object_store_rejections_name_the_fields(make, code, status, fields) -> None:
    exc = map_error(make(code, status), BUCKET, "bucket 'docs'")
    assert isinstance(exc, SourceCredentialsRejected) and not isinstance(exc, AuthError)
    assert exc.http_status == 400 and exc.code == "ErrSourceCredentials" and exc.fields == fields
    assert all(f in exc.message for f in fields) and "'docs'" in exc.message and SECRET not in exc.message


@pytest.mark.parametrize("make", [_client_error, _minio_error, _oss_error])
@pytest.mark.parametrize(("code", "status", "kind", "text"), [
    ("NoSuchBucket", 404, NotFound, "bucket 'docs' does not exist"),
    ("NoSuchKey", 404, NotFound, "object 'a.txt' does not exist in bucket 'docs'"),
    ("InternalError", 503, ProviderUnavailable, "answered 503"),
    ("InvalidArgument", 400, ProviderError, "InvalidArgument"),
])
def test_object_store_other_answers(make, code, status, kind, text) -> None:
    exc = map_error(make(code, status), BUCKET, "object 'a.txt'")
    assert type(exc) is kind and text in exc.message and SECRET not in exc.message


def test_transport_failures_are_retryable() -> None:
    import httpx
    import requests
    import urllib3
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
    from oss2.exceptions import RequestError

    for exc in (EndpointConnectionError(endpoint_url="http://127.0.0.1:9000"),
                ReadTimeoutError(endpoint_url="http://127.0.0.1:9000"), urllib3.exceptions.MaxRetryError(None, "/x"),
                RequestError(OSError("refused")), requests.ConnectionError(), requests.Timeout(),
                httpx.ConnectError("refused"), ConnectionRefusedError(), TimeoutError()):
        mapped = map_error(exc, BUCKET, "bucket 'docs'")
        assert isinstance(mapped, ProviderUnavailable) and mapped.retryable, exc
        assert mapped.message == "S3 at '127.0.0.1:9000' is unreachable"


def test_boto_without_credentials_and_oss_bad_bucket_name() -> None:
    from botocore.exceptions import NoCredentialsError
    from oss2.exceptions import ClientError

    assert isinstance(map_error(NoCredentialsError(), BUCKET, "x"), SourceCredentialsRejected)
    bad = map_error(ClientError(f"bucket name invalid {SECRET}"), BUCKET, "x")
    assert isinstance(bad, ValidationFailed) and "invalid OSS bucket 'docs'" in bad.message and SECRET not in bad.message


def test_hdfs_errors() -> None:
    from hdfs.util import HdfsError

    denied = map_error(HdfsError(SECRET, exception="AccessControlException"), HDFS, "path '/data'")
    assert isinstance(denied, SourceCredentialsRejected) and denied.fields == ("hdfs.username",)
    assert "user 'mallory'" in denied.message and SECRET not in denied.message
    missing = map_error(HdfsError("File /x does not exist.", exception="FileNotFoundException"), HDFS, "path '/x'")
    assert isinstance(missing, NotFound) and missing.message == "path '/x' does not exist on HDFS"
    assert type(map_error(HdfsError(SECRET), HDFS, "path '/x'")) is ProviderError


@pytest.mark.parametrize(("code", "kind", "text"), [
    (1045, SourceCredentialsRejected, "check mo.username and mo.password"),
    (1049, NotFound, "database 'kb' does not exist"),
    (1146, NotFound, "table 'notes' does not exist in database 'kb'"),
    (2003, ProviderUnavailable, "MatrixOne at 'db:6001' is unreachable"),
    (1064, ValidationFailed, "MySQL error 1064"),
    (1205, ProviderError, "MySQL error 1205"),
])
def test_mysql_errors(code, kind, text) -> None:
    import pymysql

    exc = map_error(pymysql.err.OperationalError(code, f"Access denied for user 'acct:alice' {SECRET}"), MO, "the query")
    assert type(exc) is kind and text in exc.message and SECRET not in exc.message
    assert isinstance(map_error(pymysql.err.ProgrammingError(1054, SECRET), MO, "q"), ValidationFailed)


@pytest.mark.parametrize(("status", "kind"), [(401, SourceCredentialsRejected), (403, SourceCredentialsRejected),
                                              (404, NotFound), (502, ProviderUnavailable), (400, ProviderError)])
def test_http_statuses(status, kind) -> None:
    exc = map_error(_http_status(status), DIFY, "dataset 'kb'")
    assert type(exc) is kind and SECRET not in exc.message
    if kind is SourceCredentialsRejected:
        assert exc.fields == ("dify.api_key",) and "check dify.api_key" in exc.message
    if status == 400:
        assert "invalid_param" in exc.message


def test_call_and_guarded_map_once_and_pass_our_errors_through() -> None:
    def fails() -> None:
        raise _client_error("SignatureDoesNotMatch", 403)

    with pytest.raises(SourceCredentialsRejected) as info:
        call(BUCKET, "bucket 'docs'", fails)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # the SDK error (and its text) is dropped
    ours = NotFound("mine")
    with pytest.raises(NotFound) as same:
        call(BUCKET, "x", lambda: (_ for _ in ()).throw(ours))
    assert same.value is ours

    def pages():
        yield 1
        raise _client_error("InternalError", 500)

    got = []
    with pytest.raises(ProviderUnavailable):
        for page in guarded(BUCKET, "prefix ''", pages()):
            got.append(page)
    assert got == [1]
    assert isinstance(map_error(ValueError(SECRET), BUCKET, "x"), ProviderError)
    assert SECRET not in map_error(ValueError(SECRET), BUCKET, "x").message
    assert map_error(ours, BUCKET, "x") is ours and isinstance(ours, IngestError)


def test_a_missing_sdk_names_the_package() -> None:
    with pytest.raises(ProviderError, match=r"the widget connector needs the 'no-such-sdk' package"):
        import_sdk("no_such_sdk_module_xyz", "no-such-sdk", "widget")


def test_an_endpoint_with_a_password_is_masked() -> None:
    source = Source("Dify", f"http://bob:{SECRET}@dify:5001/v1")
    assert source.endpoint == "http://***@dify:5001/v1"
    assert SECRET not in map_error(ConnectionRefusedError(), source, "x").message
    assert Source("HDFS", "nn:9870").endpoint == "nn:9870"
