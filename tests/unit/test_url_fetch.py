"""URL-fetch safety rules: every refusal, decided before any connection (a fixed resolver stands in for DNS)."""

from __future__ import annotations

import io

import pytest

from ingestflow.connectors.url_fetch import check_url, fetch, parse_networks, shown
from ingestflow.errors import ValidationFailed

PUBLIC = "93.184.215.14"


def _resolver(table: dict[str, list[str]]):  # noqa: ANN202
    def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise ValidationFailed(f"doc_url host {host!r} cannot be resolved")
        return table[host]
    return resolve


DNS = _resolver({"example.com": [PUBLIC], "inside.test": ["10.1.2.3"], "meta.test": ["169.254.169.254"],
                 "split.test": [PUBLIC, "127.0.0.1"], "v6.test": ["::1"], "mapped.test": ["::ffff:127.0.0.1"]})


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "scheme"),
    ("ftp://example.com/a.pdf", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("example.com/a.pdf", "scheme"),
    ("http:///nohost", "no host"),
    ("http://127.0.0.1:8000/a.txt", "loopback"),
    ("http://localhost.localdomain.invalid/", "cannot be resolved"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.5/a.txt", "private"),
    ("http://192.168.1.1/a.txt", "private"),
    ("http://[::1]/a.txt", "loopback"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://100.64.0.1/", "non-public"),
    ("http://inside.test/a.txt", "private"),
    ("http://meta.test/a.txt", "link-local"),
    ("http://split.test/a.txt", "loopback"),  # one bad answer is enough
    ("http://v6.test/a.txt", "loopback"),
    ("http://mapped.test/a.txt", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://example.com:99999/", "valid URL"),
])
def test_refused_urls_name_the_reason(url, reason):
    with pytest.raises(ValidationFailed) as err:
        check_url(url, [], DNS)
    assert reason in err.value.message


def test_a_public_address_passes_and_is_the_one_connected_to():
    url, ip = check_url("https://example.com/doc.pdf", [], DNS)
    assert url == "https://example.com/doc.pdf" and str(ip) == PUBLIC


def test_allowed_networks_opt_in_to_private_addresses():
    allow = parse_networks(["127.0.0.0/8", "10.0.0.0/8"])
    assert str(check_url("http://127.0.0.1:8000/a.txt", allow, DNS)[1]) == "127.0.0.1"
    assert str(check_url("http://inside.test/a.txt", allow, DNS)[1]) == "10.1.2.3"
    assert str(check_url("http://mapped.test/a.txt", allow, DNS)[1].ipv4_mapped) == "127.0.0.1"
    with pytest.raises(ValidationFailed, match="link-local"):
        check_url("http://169.254.169.254/", allow, DNS)


def test_a_bad_cidr_is_named():
    with pytest.raises(ValidationFailed, match="not-a-net"):
        parse_networks(["10.0.0.0/8", "not-a-net"])


def test_credentials_never_show_in_messages():
    assert shown("http://user:pa55@example.com:8080/a?b=1") == "http://example.com:8080/a?b=1"
    with pytest.raises(ValidationFailed) as err:
        check_url("http://user:pa55@10.0.0.1/a", [], DNS)
    assert "pa55" not in err.value.message


def test_fetch_refuses_before_connecting():
    sink = io.BytesIO()
    with pytest.raises(ValidationFailed, match="link-local"):
        fetch("http://meta.test/latest", sink, max_bytes=10, timeout_s=1, allow=[], resolve=DNS)
    assert sink.getvalue() == b""
