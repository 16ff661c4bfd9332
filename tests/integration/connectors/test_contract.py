"""The connector contract every kind passes, plus a few kind-specific checks."""

from __future__ import annotations

import json
import logging
import time

import pytest

from ingestflow.connectors import build_connector, parse_config
from ingestflow.connectors.base import Connector
from ingestflow.errors import IngestError, NotFound, ProviderError, SourceCredentialsRejected, ValidationFailed
from ingestflow.records import FileType
from tests.integration.connectors.conftest import DIFY_KEY, PLANTED

CHINESE = "红楼梦 第一回.txt"
CHINESE_TEXT = "满纸荒唐言，一把辛酸泪。\n\n都云作者痴，谁解其中味？".encode()


def _read(conn: Connector, uri: str) -> bytes:
    stream = conn.open(uri)
    try:
        head = stream.read(5)  # read(n) works, then the rest
        return head + stream.read()
    finally:
        stream.close()


def _versions(conn: Connector) -> dict[str, str]:
    return {item.uri: item.version for item in conn.list()}


# -- the contract ------------------------------------------------------------------------
def test_is_a_connector(harness):
    conn = build_connector(harness.kind, harness.config())
    assert isinstance(conn, Connector) and conn.kind == harness.kind


def test_validate_good_and_bad_credentials(harness):
    build_connector(harness.kind, harness.config()).validate()
    bad = build_connector(harness.kind, harness.bad_auth_config())
    with pytest.raises(NotFound if harness.kind == "local" else SourceCredentialsRejected) as info:
        bad.validate()
    if harness.kind != "local":  # a 4xx naming the config fields to fix, never our API's 401
        assert info.value.http_status == 400 and info.value.code == "ErrSourceCredentials"
        assert info.value.fields and all(f.startswith(harness.field_prefix) for f in info.value.fields)
        assert all(f in info.value.message for f in info.value.fields)


def test_round_trip_with_chinese_name(harness):
    harness.put(CHINESE, CHINESE_TEXT)
    harness.put("plain.txt", b"plain ascii content\n")
    conn = build_connector(harness.kind, harness.config())
    items = list(conn.list())
    assert items, "nothing listed"
    for item in items:
        data = _read(conn, item.uri)
        assert len(data) == item.size
        stat = conn.stat(item.uri)
        assert (stat.uri, stat.version, stat.size) == (item.uri, item.version, item.size)
    if harness.kind == "mo":
        rendered = json.dumps(CHINESE_TEXT.decode(), ensure_ascii=False)  # one JSON object per row
        assert any(rendered in _read(conn, i.uri).decode() for i in items)
        return
    by_name = {item.name: item for item in items}
    assert CHINESE in by_name
    assert _read(conn, by_name[CHINESE].uri) == CHINESE_TEXT
    assert _read(conn, by_name["plain.txt"].uri) == b"plain ascii content\n"


def test_version_changes_only_with_content(harness):
    for i in range(3):
        harness.put(f"doc{i}.txt", f"content number {i}".encode())
    conn = build_connector(harness.kind, harness.config())
    before = _versions(conn)
    assert _versions(conn) == before  # stable when nothing changed
    time.sleep(0.01)
    harness.change("doc1.txt", b"content number 1, edited to be longer")
    after = _versions(conn)
    assert set(after) == set(before)
    changed = [uri for uri in before if before[uri] != after[uri]]
    assert len(changed) == 1


def test_planted_secret_never_leaks(harness, caplog):
    caplog.set_level(logging.DEBUG)
    raw = harness.bad_auth_config()
    config = parse_config(harness.kind, raw)
    conn = build_connector(harness.kind, config)
    with pytest.raises(IngestError) as info:
        conn.validate()
    with pytest.raises(IngestError) as info2:
        list(conn.list())
    good = build_connector(harness.kind, harness.config())
    secrets = [PLANTED] + [v for k, v in harness.config().items() if k in ("access_key_secret", "password", "api_key")]
    texts = [repr(conn), repr(config), str(config), str(info.value), str(info2.value), repr(good),
             repr(good.config), str(good.config), caplog.text]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_unreachable_server_fails_fast(harness):
    raw = harness.unreachable_config()
    if raw is None:
        pytest.skip("local has no server")
    conn = build_connector(harness.kind, raw)
    start = time.monotonic()
    with pytest.raises(ProviderError) as info:
        conn.validate()
    assert time.monotonic() - start < 15
    assert info.value.retryable


def test_file_types_filter(harness):
    harness.put("notes.md", b"# notes")
    harness.put("story.txt", b"once upon a time")
    conn = build_connector(harness.kind, harness.config())
    all_items = list(conn.list())
    if harness.typed:
        md = list(conn.list(file_types=[int(FileType.MARKDOWN)]))
        assert [i.name for i in md] == ["notes.md"]
        both = list(conn.list(file_types=[int(FileType.MARKDOWN), int(FileType.TXT)]))
        assert len(both) == len(all_items) == 2
    else:
        assert list(conn.list(file_types=[int(FileType.MARKDOWN)])) == []
        assert len(list(conn.list(file_types=[int(FileType.TXT)]))) == len(all_items)


def test_listing_a_directory_uri(harness):
    harness.put("top.txt", b"top")
    harness.put("sub/inner.txt", b"inner")
    harness.put("sub/deeper/leaf.txt", b"leaf")
    conn = build_connector(harness.kind, harness.config())
    names = sorted(i.name for i in conn.list([harness.dir_uri]))
    if harness.has_dirs:
        assert names == ["inner.txt", "leaf.txt"]
        assert sorted(i.name for i in conn.list([harness.dir_uri.rstrip("/")])) == names
        with pytest.raises(NotFound):
            list(conn.list(["no-such-thing"]))
    else:  # the container uri (table / dataset) lists everything in it
        assert len(names) == len(list(conn.list()))
        assert names


def test_missing_item_is_not_found(harness):
    harness.put("here.txt", b"here")
    conn = build_connector(harness.kind, harness.config())
    missing = {"mo": f"{harness.dir_uri}/rows/9998-9999", "dify": f"{harness.dir_uri}/no-such-doc"}
    with pytest.raises(NotFound):
        conn.stat(missing.get(harness.kind, "no/such/file.txt"))
    with pytest.raises(NotFound):
        conn.open(missing.get(harness.kind, "no/such/file.txt")).read()


# -- kind-specific ---------------------------------------------------------------------
def test_oss_goes_through_the_adapter(s3_server, oss_server):
    from tests.integration.connectors.conftest import OssHarness

    h = OssHarness(s3_server, oss_server)
    h.put("a/b.txt", b"b")
    conn = build_connector("oss", h.config())
    assert [i.uri for i in conn.list(["a/"])] == ["a/b.txt"]
    with pytest.raises(NotFound, match="bucket"):
        build_connector("oss", {**h.config(), "bucket_name": "no-such-bucket-x"}).validate()
    with pytest.raises(SourceCredentialsRejected) as info:
        build_connector("oss", {**h.config(), "access_key_id": "unknown-id"}).validate()
    assert info.value.fields == ("oss.access_key_id",)


def test_hdfs_redirect_and_chinese_path(hdfs_server):
    from tests.integration.connectors.conftest import HdfsHarness

    h = HdfsHarness(hdfs_server)
    h.put(f"目录/{CHINESE}", CHINESE_TEXT)
    conn = build_connector("hdfs", h.config())
    [item] = list(conn.list())
    assert item.uri == f"目录/{CHINESE}"
    start = len(hdfs_server.requests)
    assert _read(conn, item.uri) == CHINESE_TEXT
    roles = [role for role, _, path in hdfs_server.requests[start:] if "op=OPEN" in path]
    assert roles == ["namenode", "datanode"]
    assert item.version == f"{int(item.modified_at * 1000)}-{len(CHINESE_TEXT)}"
    with pytest.raises(ValidationFailed, match="simple"):
        build_connector("hdfs", {**h.config(), "auth_type": 2}).validate()
    with pytest.raises(ValidationFailed):
        conn.stat("../escape")


def test_hdfs_client_write_through_test_server(hdfs_server):
    import hdfs

    client = hdfs.InsecureClient(f"http://{hdfs_server.address}", user="alice")
    client.makedirs("/written")
    client.write("/written/x.txt", data=iter([b"ab", b"cd"]), overwrite=True)  # chunked body
    client.write("/written/x.txt", data=b"abcdef", overwrite=True)
    assert client.status("/written/x.txt")["length"] == 6
    assert client.delete("/written", recursive=True)


def test_mo_watermark_and_query(mariadb):
    from tests.integration.connectors.conftest import MoHarness

    h = MoHarness(mariadb)
    for i in range(5):
        h.put(f"t{i}", f"body {i}".encode())
    conn = build_connector("mo", {**h.config(), "watermark_column": "updated_at", "content_columns": ["title", "body"]})
    before = {i.uri: i for i in conn.list()}
    assert list(before) == [f"table/{h.table}/rows/1-2", f"table/{h.table}/rows/3-4", f"table/{h.table}/rows/5-5"]
    assert all(i.extra["watermark"] and i.version.endswith(f"-{i.extra['rows']}") for i in before.values())
    time.sleep(0.01)
    h.change("t3", b"body 3 edited")
    after = {i.uri: i for i in conn.list()}
    changed = [u for u in before if before[u].version != after[u].version]
    assert changed == [f"table/{h.table}/rows/3-4"]
    assert after[changed[0]].extra["watermark"] > before[changed[0]].extra["watermark"]
    text = _read(conn, changed[0]).decode()
    assert text.split("\n\n")[1] == '{"title": "t3", "body": "body 3 edited"}'
    q = build_connector("mo", {**h.config(), "table": None, "row_template": "{title}: {body}",
                               "query": f"SELECT id, title, body FROM {h.table} WHERE id >= 4"})
    items = list(q.list())
    assert [i.uri for i in items] == ["query/rows/4-5"]
    assert _read(q, items[0].uri) == b"t3: body 3 edited\n\nt4: body 4"


def test_mo_identifiers_cannot_inject(mariadb):
    from tests.integration.connectors.conftest import MoHarness

    h = MoHarness(mariadb)
    h.put("keep", b"me")
    for table in ("x`; DROP TABLE y; --", f"{h.table}`; DROP TABLE `{h.table}"):
        with pytest.raises((ValidationFailed, NotFound)):
            build_connector("mo", {**h.config(), "table": table}).validate()
    with pytest.raises((ValidationFailed, NotFound)):
        build_connector("mo", {**h.config(), "id_column": "id` FROM x; --"}).validate()
    with pytest.raises(ValidationFailed):
        parse_config("mo", {**h.config(), "table": None, "query": "SELECT 1; DROP TABLE x"})
    with pytest.raises(ValidationFailed):
        parse_config("mo", {**h.config(), "row_template": "{title.__class__}"})
    with pytest.raises(NotFound):
        build_connector("mo", {**h.config(), "database": "no_such_db"}).validate()
    assert len(list(build_connector("mo", h.config()).list())) == 1  # the table survived


def test_dify_paging_across_pages(dify_server, monkeypatch):
    from ingestflow.connectors import dify as dify_module

    monkeypatch.setattr(dify_module, "PAGE_LIMIT", 2)
    ds = dify_server.add_dataset("paged")
    for i in range(3):
        dify_server.add_document(ds, f"doc{i}.md", [f"segment {i}a", f"segment {i}b", f"segment {i}c"])
    conn = build_connector("dify", {"api_url": dify_server.url.removesuffix("/v1") + "/", "api_key": DIFY_KEY})
    start = len(dify_server.requests)
    items = list(conn.list([f"dify://{ds}"]))
    assert [i.name for i in items] == ["doc0.md", "doc1.md", "doc2.md"]
    assert all(i.file_type == FileType.MARKDOWN for i in items)
    doc_pages = [p for p in dify_server.requests[start:] if p.split("?")[0].endswith("/documents")]
    assert len(doc_pages) == 2  # has_more followed to page 2
    assert _read(conn, items[2].uri) == b"segment 2a\n\nsegment 2b\n\nsegment 2c"
    import httpx

    doc_id = items[0].uri.rsplit("/", 1)[1]
    meta = httpx.get(f"{dify_server.url}/datasets/{ds}/documents/{doc_id}/upload-file",
                     headers={"Authorization": f"Bearer {DIFY_KEY}"}).json()
    assert meta["name"] == "doc0.md" and meta["extension"] == "md" and meta["size"] == len(b"segment 0a" * 3)
    every = list(conn.list())  # all datasets, paged too
    assert {i.uri for i in items} <= {i.uri for i in every}


def test_mo_seed_shaped_config_loads_tables_named_by_uri(mariadb):
    """The seed's MO connector has only host/port/username/password; task uris name 'db.table'."""
    from tests.integration.connectors.conftest import MoHarness

    h = MoHarness(mariadb)
    h.put("seed", "按 uri 指定的表".encode())
    full = h.config()
    seed_shaped = {k: full[k] for k in ("host", "port", "username", "password")}
    conn = build_connector("mo", seed_shaped)
    conn.validate()
    with pytest.raises(ValidationFailed, match="database.table"):
        list(conn.list())
    items = list(conn.list([f"{full['database']}.{h.table}"]))
    assert len(items) == 1 and items[0].uri.startswith(f"{full['database']}.{h.table}/table/")
    with conn.open(items[0].uri) as fh:
        text = fh.read().decode("utf-8")
    assert "按 uri 指定的表" in text and len(text.encode("utf-8")) == items[0].size
    assert conn.stat(items[0].uri).version == items[0].version
    with pytest.raises((ValidationFailed, NotFound)):
        list(conn.list([f"{full['database']}.no_such_table`; DROP TABLE x"]))


def test_oss_invalid_bucket_name_is_a_validation_error():
    conn = build_connector("oss", {"endpoint": "127.0.0.1:1", "access_key_id": "id", "access_key_secret": "s",
                                   "bucket_name": "b"})
    with pytest.raises(ValidationFailed, match="invalid OSS bucket"):
        conn.validate()
