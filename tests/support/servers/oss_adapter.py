"""An OSS protocol adapter in front of moto's S3 server, for testing the ``oss`` connector.

OSS's object API is S3's with a different signature and a few XML differences, so this
small HTTP proxy turns moto into an OSS test server. It adapts only requests whose
``Authorization`` header starts with ``OSS `` (what ``oss2`` sends); everything else is
forwarded to moto unchanged. For OSS requests it:

1. verifies the OSS V1 signature (``OSS id:signature``) with oss2's own signer against the
   keys it was given, answering OSS's 403 ``InvalidAccessKeyId`` / ``SignatureDoesNotMatch``
   error XML on a mismatch (moto cannot check OSS signatures);
2. drops empty ``continuation-token`` / ``marker`` / ``delimiter`` query parameters, which
   oss2 always sends and moto rejects;
3. re-signs the request with AWS SigV4 and the S3 server's keys (moto has IAM auth on) and
   forwards it;
4. rewrites ListBucket (ListObjects) XML responses: strips the S3 XML namespace (oss2 parses
   without namespaces) and adds OSS's ``<Type>Normal</Type>`` to each ``<Contents>``.
"""

from __future__ import annotations

import http.client
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.servers.http import HttpTestServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

DROP_IF_EMPTY = {"continuation-token", "marker", "delimiter"}
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "host"}


def _oss_error(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{uuid.uuid4().hex}</RequestId><HostId>oss-adapter</HostId></Error>").encode()


def rewrite_list_xml(body: bytes) -> bytes:
    """S3 ListBucketResult → OSS shape: no namespace, ``<Type>Normal</Type>`` in each Contents."""
    text = body.decode("utf-8")
    text = re.sub(r'\sxmlns="[^"]*"', "", text, count=1)
    text = text.replace("</Contents>", "<Type>Normal</Type></Contents>")
    return text.encode("utf-8")


class OssAdapter(HttpTestServer):
    """The adapter proxy; ``oss_keys`` maps OSS access key ids to secrets."""

    def __init__(self, upstream: str, aws_key: str, aws_secret: str, oss_keys: dict[str, str],
                 region: str = "us-east-1") -> None:
        self.upstream = urlsplit(upstream)
        self.aws_key, self.aws_secret, self.region = aws_key, aws_secret, region
        self.oss_keys = dict(oss_keys)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


    # -- request handling ------------------------------------------------------------
    @staticmethod
    def _body(h: BaseHTTPRequestHandler) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    h.rfile.readline()
                    return out
                out += h.rfile.read(size)
                h.rfile.readline()
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    def _check_oss_signature(self, h: BaseHTTPRequestHandler, params: list[tuple[str, str]]) -> tuple[str, str] | None:
        """None when the OSS signature is valid, else (error code, message)."""
        import oss2
        from oss2.http import Request

        key_id, _, signature = h.headers["Authorization"][4:].partition(":")
        if key_id not in self.oss_keys:
            return "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records."
        path = urlsplit(h.path).path
        bucket, _, key = path.lstrip("/").partition("/")
        req = Request(h.command, f"http://{h.headers.get('Host')}{path}", params=dict(params),
                      headers={k: v for k, v in h.headers.items()})
        auth = oss2.Auth(key_id, self.oss_keys[key_id])
        creds = auth.credentials_provider.get_credentials()
        expected = auth._ProviderAuth__make_signature(req, bucket, unquote(key), creds)  # type: ignore[attr-defined]
        if expected != signature:
            return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = self._body(h)
        parts = urlsplit(h.path)
        params = parse_qsl(parts.query, keep_blank_values=True)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_HEADERS}
        is_oss = h.headers.get("Authorization", "").startswith("OSS ")
        if is_oss:
            problem = self._check_oss_signature(h, params)
            if problem:
                self._reply(h, 403, {"Content-Type": "application/xml", "x-oss-request-id": uuid.uuid4().hex},
                            _oss_error(*problem))
                return
            params = [(k, v) for k, v in params if not (k in DROP_IF_EMPTY and v == "")]
            headers = self._resign(h.command, parts.path, params, headers, body)
        query = urlencode(params, safe="/") if params else ""
        target = parts.path + (f"?{query}" if query else "")
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            conn.request(h.command, target, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out_headers = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS | {"content-length"}}
            bucket_level = parts.path.strip("/").count("/") == 0 and parts.path.strip("/") != ""
            if is_oss and h.command == "GET" and bucket_level and b"<ListBucketResult" in data[:300]:
                data = rewrite_list_xml(data)
            if h.command == "HEAD":
                out_headers["Content-Length"] = resp.getheader("Content-Length", "0")
            self._reply(h, resp.status, out_headers, data)
        finally:
            conn.close()

    def _resign(self, method: str, path: str, params: list[tuple[str, str]], headers: dict[str, str],
                body: bytes) -> dict[str, str]:
        """Replace the OSS signature with an AWS SigV4 one for moto."""
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        keep = {k: v for k, v in headers.items()
                if k.lower() in ("content-type", "content-md5", "content-length", "range")}
        query = urlencode(params, safe="/")
        url = f"http://{self.upstream.netloc}{path}" + (f"?{query}" if query else "")
        req = AWSRequest(method=method, url=url, data=body, headers=keep)
        S3SigV4Auth(Credentials(self.aws_key, self.aws_secret), "s3", self.region).add_auth(req)
        return dict(req.prepare().headers)

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
        h.send_response(status)
        for k, v in headers.items():
            if k.lower() == "content-length":
                continue
            h.send_header(k, v)
        if h.command == "HEAD":
            h.send_header("Content-Length", headers.get("Content-Length", "0"))
            h.end_headers()
            return
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
