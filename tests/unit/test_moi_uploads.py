"""The pure parts of MOI uploads: where a meta ``path`` puts a file, ``dedup`` configs, signed links, previews."""

from __future__ import annotations

import io
import time

import pytest

from ingestflow.errors import Forbidden, ValidationFailed


@pytest.mark.parametrize(("path", "name", "folder"), [
    (None, "a.pdf", ()), ("", "a.pdf", ()), ("/", "a.pdf", ()), ("a.pdf", "a.pdf", ()),  # the SDK's own metas
    ("/a.pdf", "a.pdf", ()), ("reports/2024/a.pdf", "a.pdf", ("reports", "2024")), ("reports/", "a.pdf", ("reports",)),
    ("reports/2024", "a.pdf", ("reports", "2024")), ("报告//2024/./", "年度.md", ("报告", "2024")),
    ("docs\\sub\\x.txt", "x.txt", ("docs", "sub")), ("a.pdf/", "a.pdf", ("a.pdf",)),
])
def test_meta_path_names_the_folder(path, name, folder) -> None:
    from ingestflow.api.uploads import folder_of

    assert folder_of(path, name) == folder


@pytest.mark.parametrize("path", ["../x/", "a/../b", 7, "a/" * 40, "bad\x01/"])
def test_bad_meta_paths_are_refused(path) -> None:
    from ingestflow.api.uploads import folder_of

    with pytest.raises(ValidationFailed, match="meta.path"):
        folder_of(path, "a.txt")


def test_dedup_configs() -> None:
    from ingestflow.services.volume_imports import Dedup, parse_dedup

    assert parse_dedup(None) is None and parse_dedup({}) is None
    assert parse_dedup({"by": ["name", "md5"], "strategy": "skip"}) == Dedup(("name", "md5"), "skip")
    assert parse_dedup({"by": ["md5"]}) == Dedup(("md5",), "skip")  # Go's omitempty drops an empty strategy
    assert parse_dedup({"by": "name", "strategy": "replace"}) == Dedup(("name",), "replace")
    for bad, field in [({"by": ["name"], "strategy": "overwrite"}, "dedup.strategy"), ({"by": []}, "dedup.by"),
                       ({"by": ["size"]}, "dedup.by"), ("skip", "dedup"), ({"by": ["md5"], "keep": 1}, "dedup.keep")]:
        with pytest.raises(ValidationFailed, match=field):
            parse_dedup(bad)


def test_signed_links_open_one_file_one_way_until_they_expire(settings_env) -> None:
    from urllib.parse import parse_qs, urlsplit

    from ingestflow.services import file_links

    settings_env("INGESTFLOW_PUBLIC_URL", "https://files.example.com/")
    link = file_links.sign("files", "123", "http://127.0.0.1:8000/", inline=True, ttl_s=60)
    parts = urlsplit(link.url)
    assert (parts.netloc, parts.path) == ("files.example.com", "/links/files/123")
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    file_links.verify("files", "123", int(q["expires"]), True, q["signature"])
    for kind, item, expires, inline in [("files", "124", q["expires"], True), ("conn-files", "123", q["expires"], True),
                                        ("files", "123", int(q["expires"]) + 1, True), ("files", "123", q["expires"], False)]:
        with pytest.raises(Forbidden, match="signature"):
            file_links.verify(kind, item, int(expires), inline, q["signature"])
    expired = int(time.time()) - 1
    with pytest.raises(Forbidden, match="expired"):
        file_links.verify("files", "123", expired, False, file_links._signature("files", "123", expired, False))
    settings_env("INGESTFLOW_URL_SIGNING_KEY", "another-key")
    with pytest.raises(Forbidden):
        file_links.verify("files", "123", int(q["expires"]), True, q["signature"])


def test_connector_file_previews() -> None:
    from ingestflow.services.moi_files import preview_rows

    data = "id;name\n1;苹果\n2;\"香;蕉\"\n".encode()
    rows = preview_rows("f.csv", io.BytesIO(data), header_row=1, row_start=2, separator=";")
    assert [(r["columnName"], r["charNumber"], r["columnValues"]) for r in rows] == [
        ("id", "A", ["1", "2"]), ("name", "B", ["苹果", "香;蕉"])]
    no_header = preview_rows("f.csv", io.BytesIO(b"1,2,3\n4,5\n"), header_row=None, row_start=1)
    assert [(r["columnName"], r["columnValues"]) for r in no_header] == [("A", ["1", "4"]), ("B", ["2", "5"]),
                                                                        ("C", ["3", ""])]
    text = preview_rows("n.md", io.BytesIO("# 标题\n\n正文".encode()), header_row=None, row_start=1)
    assert text == [{"number": 1, "columnName": "content", "columnValues": ["# 标题", "", "正文"], "charNumber": "A",
                     "charColumnName": "content"}]
    assert preview_rows("x.pdf", io.BytesIO(b"%PDF-1.7\xff\xfe"), header_row=None, row_start=1) == []


def test_preview_text_survives_a_character_cut_by_the_limit() -> None:
    from ingestflow.services.moi_files import _utf8

    text = "长江" * 10
    cut = text.encode()[:-1]  # the last character's bytes cut short
    assert _utf8(cut, truncated=True) == "长江" * 9 + "长"
    assert _utf8(cut, truncated=False) is None  # not truncated: invalid UTF-8 is binary
    assert _utf8(b"\xff\xd8\xff\xe0 jpeg", truncated=True) is None
