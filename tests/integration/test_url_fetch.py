"""URL fetches against a local web server: 127.0.0.0/8 allowed for these tests only."""

from __future__ import annotations

import io

import pytest

from ingestflow.connectors.url_fetch import fetch, parse_networks
from ingestflow.errors import PayloadTooLarge, ValidationFailed
from tests.support.docserver import doc_server

LOCAL = parse_networks(["127.0.0.0/8"])


@pytest.fixture(scope="module")
def server():
    with doc_server() as s:
        s.docs["/files/%E6%96%87%E6%A1%A3.txt"] = "文档内容".encode()
        yield s


def _get(url: str, *, allow=LOCAL, max_bytes: int = 1 << 20, timeout_s: float = 5):  # noqa: ANN001, ANN202
    sink = io.BytesIO()
    got = fetch(url, sink, max_bytes=max_bytes, timeout_s=timeout_s, allow=allow)
    return got, sink.getvalue()


def test_a_document_is_fetched_with_its_name(server):
    got, body = _get(f"{server.base}/files/%E6%96%87%E6%A1%A3.txt")
    assert body == "文档内容".encode() and got.size == len(body) and got.file_name == "文档.txt"


def test_loopback_is_refused_unless_allowed(server):
    with pytest.raises(ValidationFailed, match="loopback"):
        _get(f"{server.base}/files/%E6%96%87%E6%A1%A3.txt", allow=[])


def test_a_redirect_to_the_metadata_address_is_refused(server):
    before = len(server.hits)
    with pytest.raises(ValidationFailed, match="link-local"):
        _get(f"{server.base}/redirect?to=http://169.254.169.254/latest/meta-data/")
    assert server.hits[before:] == ["/redirect"]


def test_a_redirect_to_an_allowed_address_is_followed(server):
    got, body = _get(f"{server.base}/redirect?to=/files/%E6%96%87%E6%A1%A3.txt")
    assert body == "文档内容".encode() and got.url.endswith("/files/%E6%96%87%E6%A1%A3.txt")


def test_a_redirect_loop_stops(server):
    with pytest.raises(ValidationFailed, match="redirects more than"):
        _get(f"{server.base}/redirect?to=/redirect?to=/redirect?to=/redirect?to=/redirect?to=/redirect?to=/redirect")


def test_size_cap_holds_while_streaming(server):
    with pytest.raises(PayloadTooLarge, match="limit"):
        _get(f"{server.base}/big", max_bytes=1024 * 1024)


def test_time_limit_holds_on_a_slow_body(server):
    with pytest.raises(ValidationFailed, match="within 1 s"):
        _get(f"{server.base}/slow", timeout_s=1)


def test_missing_document_and_closed_port_are_named(server):
    with pytest.raises(ValidationFailed, match="HTTP 404"):
        _get(f"{server.base}/nope.txt")
    with pytest.raises(ValidationFailed, match="cannot be fetched"):
        _get("http://127.0.0.1:9/a.txt")
