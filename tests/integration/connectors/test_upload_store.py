"""The upload store: the data dir's directory (default) and an S3 bucket on moto's server.

Both stores put (streamed, nothing visible until complete), open, stat, list and delete; the
upload connector (source_type 7) reads the store its settings name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestflow.connectors import build_connector, entry_for
from ingestflow.connectors.upload import TEMP_DIR, DirStore, S3Store, UploadConnector, store_from_settings
from ingestflow.errors import NotFound, PayloadTooLarge, SourceCredentialsRejected, ValidationFailed
from ingestflow.records import FileType, SourceType
from tests.integration.connectors.conftest import PLANTED, _unique


@pytest.fixture()
def s3_store_env(s3_server, settings_env) -> str:
    """Settings naming a fresh bucket on the moto server as the upload store; the bucket name."""
    bucket = _unique("store")
    s3_server.client().create_bucket(Bucket=bucket)
    settings_env("INGESTFLOW_UPLOAD_STORE", f"s3://{bucket}/uploads")
    settings_env("INGESTFLOW_UPLOAD_S3__ENDPOINT", s3_server.endpoint)
    settings_env("INGESTFLOW_UPLOAD_S3__ACCESS_KEY_ID", s3_server.access_key)
    settings_env("INGESTFLOW_UPLOAD_S3__ACCESS_KEY_SECRET", s3_server.secret_key)
    return bucket


@pytest.fixture(params=["dir", "s3"])
def store(request, tmp_path, settings_env):
    if request.param == "dir":
        settings_env("INGESTFLOW_UPLOAD_STORE", str(tmp_path / "store"))
    else:
        request.getfixturevalue("s3_store_env")
    return store_from_settings()


def _read(store, uri: str) -> bytes:
    with store.open(uri) as fh:
        return fh.read()


def _failing(chunks: list[bytes]) -> Iterator[bytes]:
    yield from chunks
    raise PayloadTooLarge("past the limit")


def test_put_open_stat_list_delete(store) -> None:
    assert list(store.list()) == []  # an empty (or not yet created) store lists nothing
    big = b"0123456789" * 200_000  # many chunks
    assert store.put("1001/红楼梦 第一回.txt", [b"first ", "满纸荒唐言".encode()]) == 6 + len("满纸荒唐言".encode())
    assert store.put("1001/notes.md", [b"# notes"]) == 7
    assert store.put("1002/big.bin", [big[i:i + 65536] for i in range(0, len(big), 65536)]) == len(big)
    assert _read(store, "1001/红楼梦 第一回.txt") == "first 满纸荒唐言".encode()
    assert _read(store, "1002/big.bin") == big
    item = store.stat("1001/notes.md")
    assert (item.uri, item.name, item.size, item.file_type) == ("1001/notes.md", "notes.md", 7, FileType.MARKDOWN)
    assert sorted(i.uri for i in store.list()) == ["1001/notes.md", "1001/红楼梦 第一回.txt", "1002/big.bin"]
    assert sorted(i.uri for i in store.list(["1001"])) == ["1001/notes.md", "1001/红楼梦 第一回.txt"]
    assert [i.uri for i in store.list(["1001/"], file_types=[int(FileType.MARKDOWN)])] == ["1001/notes.md"]
    store.delete("1001/notes.md")
    store.delete("1001/notes.md")  # deleting twice is no error
    with pytest.raises(NotFound):
        store.stat("1001/notes.md")
    with pytest.raises(NotFound):
        list(store.list(["no-such-batch"]))


def test_a_failed_put_leaves_nothing(store) -> None:
    with pytest.raises(PayloadTooLarge):
        store.put("2001/half.txt", _failing([b"written before the failure"]))
    # 9 MiB before failing: past boto3's 8 MiB multipart threshold, so parts were sent (and aborted)
    with pytest.raises(PayloadTooLarge):
        store.put("2001/big-half.bin", _failing([b"x" * (1 << 20)] * 9))
    assert list(store.list()) == []
    with pytest.raises(NotFound):
        store.stat("2001/half.txt")
    if isinstance(store, S3Store):
        pending = store.s3.client.list_multipart_uploads(Bucket=store.s3.config.bucket_name)
        assert not pending.get("Uploads")


@pytest.mark.parametrize("uri", ["", "/abs.txt", "a/../b.txt", "a//b.txt", "./a.txt", f"{TEMP_DIR}/x.part",
                                 "a\\b.txt", "nul\x00.txt"])
def test_unsafe_uris_are_refused(store, uri) -> None:
    with pytest.raises(ValidationFailed):
        store.put(uri, [b"x"])
    with pytest.raises(ValidationFailed):
        store.stat(uri)


def test_temp_names_never_meet_user_names(tmp_path) -> None:
    store = DirStore(tmp_path / "store")
    store.put("3001/.x.txt.part", [b"a user's file that looks like a temp name"])
    store.put("3001/x.txt", [b"x"])
    store.put("3001/.incoming", [b"a file named like the temp area, inside a batch"])
    assert {i.uri for i in store.list()} == {"3001/.x.txt.part", "3001/x.txt", "3001/.incoming"}
    assert (tmp_path / "store" / TEMP_DIR).is_dir() and not any((tmp_path / "store" / TEMP_DIR).iterdir())
    for uri in ("3001/.x.txt.part", "3001/x.txt", "3001/.incoming"):
        store.delete(uri)
    assert not (tmp_path / "store" / "3001").exists()  # an emptied batch directory goes too


def test_default_store_is_the_data_dirs_uploads(settings_env) -> None:
    from ingestflow.settings import get_settings

    settings_env("INGESTFLOW_UPLOAD_STORE", "")
    store = store_from_settings()
    assert isinstance(store, DirStore) and store.root == get_settings().uploads_dir
    conn = build_connector(SourceType.UPLOAD, {})
    assert isinstance(conn, UploadConnector) and isinstance(conn.store, DirStore)
    assert entry_for("upload").source_type == SourceType.UPLOAD == 7 and not entry_for(7).creatable


def test_s3_store_keys_live_under_the_prefix(s3_server, s3_store_env) -> None:
    store = store_from_settings()
    assert isinstance(store, S3Store)
    store.put("4001/a.txt", [b"a"])
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_store_env).get("Contents", [])]
    assert keys == ["uploads/4001/a.txt"]
    assert [i.uri for i in build_connector("upload", {}).list()] == ["4001/a.txt"]


def test_s3_store_with_a_wrong_secret_names_the_setting(s3_server, s3_store_env, settings_env) -> None:
    settings_env("INGESTFLOW_UPLOAD_S3__ACCESS_KEY_SECRET", PLANTED)
    conn = build_connector("upload", {})
    with pytest.raises(SourceCredentialsRejected) as info:
        conn.validate()
    assert info.value.fields == ("INGESTFLOW_UPLOAD_S3__ACCESS_KEY_SECRET",)
    assert PLANTED not in str(info.value) and PLANTED not in repr(conn)


@pytest.mark.parametrize(("where", "named"), [("s3:///prefix", "INGESTFLOW_UPLOAD_STORE"),
                                              ("gs://bucket/x", "INGESTFLOW_UPLOAD_STORE")])
def test_bad_store_settings_name_the_setting(settings_env, where, named) -> None:
    settings_env("INGESTFLOW_UPLOAD_STORE", where)
    with pytest.raises(ValidationFailed, match=named):
        store_from_settings()


def test_s3_store_without_keys_names_the_settings(settings_env) -> None:
    settings_env("INGESTFLOW_UPLOAD_STORE", "s3://bucket/x")
    with pytest.raises(ValidationFailed, match="INGESTFLOW_UPLOAD_S3__ACCESS_KEY_ID"):
        store_from_settings()
