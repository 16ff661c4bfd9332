"""Request bodies against the live API (uvicorn): the key is checked before the body is read, bodies are bounded.

Memory and disk are measured on the server process (psutil): its RSS, and ``write_chars`` — every byte it
passed to ``write()``, which is where a multipart body spooled to temporary files would show.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.support.api import KEY
from tests.support.stack import api_server

MB = 1024 * 1024
BODY_MB = 50


def _chunks(total_mb: int, head: bytes = b"", tail: bytes = b"") -> Iterator[bytes]:
    """A body streamed in 1 MiB chunks (httpx sends it chunked: no Content-Length to trust)."""
    yield head
    block = b"x" * MB
    for _ in range(total_mb):
        yield block
    yield tail


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The API under uvicorn with a 2 MB upload limit and a 1 MB body limit; yields (url, server process)."""
    data = tmp_path_factory.mktemp("limits-data")
    env = dict(os.environ, INGESTFLOW_DATA_DIR=str(data), INGESTFLOW_MAX_UPLOAD_MB="2", INGESTFLOW_MAX_BODY_MB="1",
               TMPDIR=str(tmp_path_factory.mktemp("limits-tmp")))
    env.pop("INGESTFLOW_DATABASE_URL", None)
    with api_server(env) as url:
        port = int(url.rsplit(":", 1)[1])
        [proc] = [p for p in psutil.Process().children(recursive=True)
                  if any(c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in p.net_connections("tcp"))]
        yield url, proc


def _grown(proc: psutil.Process, send) -> tuple[httpx.Response, float, float]:  # noqa: ANN001
    """The response of ``send()``, and how much the server's RSS and written bytes grew meanwhile (MB)."""
    rss, written = proc.memory_info().rss, proc.io_counters().write_chars
    response = send()
    return response, (proc.memory_info().rss - rss) / MB, (proc.io_counters().write_chars - written) / MB


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_big_body_without_a_key_is_401_and_never_read(server, chunked) -> None:
    url, proc = server
    body = _chunks(BODY_MB) if chunked else b"x" * (BODY_MB * MB)
    with httpx.Client(base_url=url, timeout=120) as http:
        http.post("/search", headers={"moi-key": KEY}, json={"query": "warm"})  # first-use imports paid here
        r, rss, written = _grown(proc, lambda: http.post("/search", content=body,
                                                         headers={"content-type": "application/json"}))
    assert r.status_code == 401 and r.json() == {"code": "ErrAuth", "msg": "missing moi-key header"}
    assert rss < 5 and written < 1, (rss, written)


def test_a_wrong_key_and_a_tenant_key_on_an_admin_route_are_answered_before_the_body(server) -> None:
    url, proc = server
    with httpx.Client(base_url=url, timeout=120) as http:
        r, rss, _ = _grown(proc, lambda: http.post("/connectors/upload", content=_chunks(BODY_MB), headers={
            "moi-key": "wrong", "content-type": "multipart/form-data; boundary=b"}))
        assert r.status_code == 401 and r.json()["msg"] == "invalid moi-key" and rss < 5
        r = http.request("GET", "/datasets", content=_chunks(BODY_MB))  # seed 003: its own envelope
        assert r.status_code == 401 and r.json()["code"] == "unauthorized" and r.json()["data"] == {}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_json_body_over_the_limit_is_413(server, chunked) -> None:
    url, proc = server
    body = _chunks(BODY_MB) if chunked else b"x" * (BODY_MB * MB)
    with httpx.Client(base_url=url, timeout=120, headers={"moi-key": KEY}) as http:
        r, rss, _ = _grown(proc, lambda: http.post("/search", content=body, headers={"content-type": "application/json"}))
        assert r.status_code == 413 and r.json()["code"] == "ErrPayloadTooLarge", r.text
        assert "1 MB (INGESTFLOW_MAX_BODY_MB)" in r.json()["msg"] and rss < 5
        r = http.post("/search", json={"query": "x" * (MB // 2)})  # under the limit: read and answered
        assert r.status_code != 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_over_the_limit_is_413_and_not_spooled(server, chunked) -> None:
    url, proc = server
    head = (b'--b\r\nContent-Disposition: form-data; name="data"; filename="big.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n")
    body = _chunks(BODY_MB, head, b"\r\n--b--\r\n")
    content = body if chunked else b"".join(body)
    with httpx.Client(base_url=url, timeout=120, headers={"moi-key": KEY}) as http:
        r, rss, written = _grown(proc, lambda: http.post("/connectors/upload", content=content, headers={
            "content-type": "multipart/form-data; boundary=b"}))
        # at most the limit (2 MB + 1 MiB of form fields) reached a temporary file, not the 50 MB sent
        assert written < 3.5 and rss < 8, (written, rss)
        assert r.status_code == 413 and "INGESTFLOW_MAX_UPLOAD_MB" in r.json()["msg"], r.text
        small = http.post("/connectors/upload", files={"data": ("small.txt", b"x" * MB, "text/plain")})
        assert small.status_code == 200, small.text
