"""Issue 16: document identity per tenant, connector configs checked before an SDK sees them, name limits."""

from __future__ import annotations

import pytest

from ingestflow.connectors.registry import parse_config
from ingestflow.errors import ValidationFailed
from ingestflow.ids import document_id

PLANTED = "PLANTED-k3y-77"


def test_a_tenant_less_document_keeps_its_id_and_tenants_get_their_own() -> None:
    legacy = "6d5e41a7-851f-5989-b70d-639856c7da59"  # uuid5(volume, connector, uri) as before issue 16
    assert document_id("2128", 7, "a.txt") == document_id("2128", 7, "a.txt", "", "") == legacy
    ids = {document_id("2128", 7, "a.txt", t, o) for t, o in (("", ""), ("a", ""), ("b", ""), ("a", "o1"))}
    assert len(ids) == 4


def _s3(endpoint: str, key_id: str = "AKIA") -> dict:
    return {"endpoint": endpoint, "access_key_id": key_id, "access_key_secret": PLANTED, "bucket_name": "b"}


@pytest.mark.parametrize(("source_type", "raw", "field"), [
    (5, _s3("http://["), "s3.endpoint"),
    (5, _s3("http://h:99999"), "s3.endpoint"),
    (5, _s3("ftp://h:21"), "s3.endpoint"),
    (5, _s3("h:9000", "AK IA"), "s3.access_key_id"),
    (1, {"api_url": "http://h:5001", "api_key": PLANTED + "é"}, "dify.api_key"),
    (1, {"api_url": "http://h:5001", "api_key": "dataset-a b"}, "dify.api_key"),
    (1, {"api_url": "http://[::1", "api_key": PLANTED}, "dify.api_url"),
    (2, {"address": "nn:notaport"}, "hdfs.address"),
])
def test_configs_an_sdk_would_reject_later_are_refused_now(source_type, raw, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_config(source_type, raw)
    assert field in caught.value.message and PLANTED not in caught.value.message


@pytest.mark.parametrize(("source_type", "raw"), [
    (5, _s3("")), (5, _s3("127.0.0.1:9000")), (5, _s3("https://s3.example.com")), (5, _s3("http://[::1]:9000")),
    (1, {"api_url": "127.0.0.1:5001/v1", "api_key": "dataset-abc"}), (2, {"address": "namenode:9870"}),
])
def test_good_configs_still_pass(source_type, raw) -> None:
    parse_config(source_type, raw)


def test_upload_names_are_measured_after_nfc() -> None:
    from ingestflow.api.uploads import safe_name

    assert safe_name("n" * 251 + ".txt") == "n" * 251 + ".txt"
    with pytest.raises(ValidationFailed, match="255 bytes"):
        safe_name("\u0958" * 85)  # 255 bytes as sent, 510 after NFC
