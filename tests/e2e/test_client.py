"""The Python client (sync and async) against a live API process with a Prefect worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ingestflow.client import (
    AsyncIngestflowClient, AuthenticationError, BadRequestError, ConflictError, Connector, IngestflowClient,
    IngestflowConnectionError, NotFoundError, Task, TaskFiles, Volume,
)

pytestmark = pytest.mark.slow
SECRET = "PLANTED-client-s3cr3t-41"
DAILY = 1


def _source(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "rivers.txt").write_text("The Yangtze is the longest river in Asia.\n", encoding="utf-8")
    (root / "notes.md").write_text("# 笔记\n\n长江是亚洲最长的河流。\n", encoding="utf-8")
    return root


def _s3_config() -> dict:
    return {"endpoint": "127.0.0.1:9", "access_key_id": "AKID", "access_key_secret": SECRET, "bucket_name": "b"}


def test_sync_round_trip(live_api, tmp_path) -> None:
    src = _source(tmp_path / "src")
    with IngestflowClient(live_api) as api:
        assert api.health()
        cid = api.create_connector("sync-local", "local", {"root": str(src)})
        conn = api.get_connector(cid)
        assert isinstance(conn, Connector) and conn.source_type == 6 and conn.config["root"] == str(src)
        listed = api.list_connectors(keyword="sync-local")
        assert listed.total == 1 and listed.items[0].id == cid
        assert api.validate_connector(connector_id=cid).valid is True
        bad = api.validate_connector(kind="local", config={"root": str(tmp_path / "missing")})
        assert bad.valid is False and "missing" in bad.reason

        files = api.list_source_files(cid)
        assert {f.uri for f in files} == {"rivers.txt", "notes.md"}
        assert {f.uri for f in api.list_source_files(cid, file_types=[6])} == {"notes.md"}

        volume = api.create_volume("client-sync-vol", description="client test")
        assert isinstance(volume, Volume) and volume.embedding_dim > 0
        assert api.get_volume(volume.id).name == "client-sync-vol"
        assert volume.id in {v.id for v in api.list_volumes(keyword="client-sync").items}

        task_id = api.create_task(cid, volume.id, uris=["rivers.txt"], load_interval_type=DAILY, name="sync task")
        task = api.get_task(task_id)
        assert isinstance(task, Task) and task.volume_id == volume.id and task.load_interval_type == DAILY
        assert task.source_config["common_file_task_config"]["uris"] == ["rivers.txt"]
        assert task_id in {t.id for t in api.list_tasks(page_size=100).items}
        api.update_task(task_id, load_interval_type=DAILY, uris=["rivers.txt", "notes.md"])
        assert api.get_task(task_id).source_config["common_file_task_config"]["uris"] == ["rivers.txt", "notes.md"]
        assert api.pause_task(task_id) == 3 and api.get_task(task_id).status == 3
        assert api.resume_task(task_id) == 1
        task_files = api.task_files(task_id)
        assert isinstance(task_files, TaskFiles) and task_files.total == 0 and api.task_runs(task_id) == []
        assert api.retry_task(task_id).file_ids == []

        uploaded = api.upload([("hello.txt", b"hello upload")])
        assert uploaded.files[0]["filename"] == "hello.txt" and uploaded.connector_id

        with pytest.raises(ConflictError) as exc:
            api.delete_connector(cid)
        assert exc.value.status_code == 409 and task_id in exc.value.msg
        api.delete_task(task_id)
        api.delete_connector(cid)
        api.delete_volume(volume.id)
        with pytest.raises(NotFoundError):
            api.get_connector(cid)


def test_async_round_trip(live_api, tmp_path) -> None:
    src = _source(tmp_path / "asrc")

    async def scenario() -> None:
        async with AsyncIngestflowClient(live_api) as api:
            assert await api.health()
            cid = await api.create_connector("async-local", 6, {"root": str(src)})
            volume = await api.create_volume("client-async-vol")
            files, vols = await asyncio.gather(api.list_source_files(cid), api.list_volumes(keyword="client-async"))
            assert {f.filename for f in files} == {"rivers.txt", "notes.md"} and vols.items[0].id == volume.id
            task_id = await api.create_task(cid, volume.id, load_interval_type=DAILY)
            task = await api.get_task(task_id)
            assert task.source_connector_id == cid and task.volume_name == "client-async-vol"
            assert (await api.task_files(task_id)).total == 0
            await api.delete_task(task_id)
            with pytest.raises(NotFoundError) as exc:
                await api.get_task(task_id)
            assert exc.value.code == "ErrNotFound" and f"task {task_id} does not exist" in exc.value.msg
            await api.delete_connector(cid)
            await api.delete_volume(volume.id)

    asyncio.run(scenario())


def test_errors_carry_the_server_code_and_message(live_api) -> None:
    with IngestflowClient(live_api) as api:
        with pytest.raises(NotFoundError) as exc:
            api.get_task("1234567890123456789")
        err = exc.value
        assert (err.status_code, err.code) == (404, "ErrNotFound")
        assert err.msg == "task 1234567890123456789 does not exist" and "/task/get" in str(err)
        with pytest.raises(BadRequestError) as exc:
            api.create_task(1, "not-a-number")
        assert exc.value.status_code == 400 and "volume_id" in exc.value.msg
        with pytest.raises(NotFoundError) as exc:
            api.create_task(987654, "1")
        assert "connector 987654" in exc.value.msg
        with pytest.raises(BadRequestError, match="unknown connector kind"):
            api.create_connector("x", "ftp", {})
    with IngestflowClient(live_api, api_key="wrong-key") as bad, pytest.raises(AuthenticationError) as exc:
        bad.list_tasks()
    assert exc.value.status_code == 401 and exc.value.code == "ErrAuth" and "wrong-key" not in str(exc.value)
    with IngestflowClient("http://127.0.0.1:9", timeout=2) as nowhere, pytest.raises(IngestflowConnectionError):
        nowhere.list_tasks()


def test_secrets_are_masked(live_api) -> None:
    with IngestflowClient(live_api) as api:
        cid = api.create_connector("client-s3", "s3", _s3_config())
        try:
            conn = api.get_connector(cid)
            assert conn.config["access_key_secret"] == "******" and conn.config["access_key_id"] == "AKID"
            assert SECRET not in repr(conn) and SECRET not in conn.model_dump_json()
            api.update_connector(cid, name="client-s3b", config={**_s3_config(), "access_key_secret": "******"})
            assert api.get_connector(cid).name == "client-s3b"
            result = api.validate_connector(connector_id=cid)
            assert result.valid is False and SECRET not in result.reason
        finally:
            api.delete_connector(cid)
    assert "api_key='******'" in repr(IngestflowClient(live_api, api_key=SECRET).config)


def test_upload_load_and_wait_sync(live_api, tmp_path) -> None:
    doc = tmp_path / "长江.txt"
    doc.write_text("长江全长约六千三百公里，是中国第一长河。", encoding="utf-8")
    with IngestflowClient(live_api) as api:
        volume = api.create_volume("client-upload-vol")
        uploaded = api.upload([doc], volume_id=volume.id)
        assert uploaded.success and uploaded.task_id and uploaded.file_id
        seen: list[tuple[int, str | None]] = []
        run = api.wait_for_run(uploaded.task_id, timeout=300, poll_interval=1,
                               on_progress=lambda files, r: seen.append((files.total, r and r.status)))
        assert run.status == "completed" and run.files_succeeded == 1 and run.chunks_written >= 1
        assert seen and seen[-1] == (1, "completed")
        files = api.task_files(uploaded.task_id)
        assert files.total_success == 1 and files.files[0].id == uploaded.file_id and files.files[0].segment_count >= 1
        assert api.get_task(uploaded.task_id).status == 4
        api.delete_task(uploaded.task_id)


def test_run_task_and_wait_async(live_api, tmp_path) -> None:
    src = _source(tmp_path / "runsrc")

    async def scenario() -> None:
        async with AsyncIngestflowClient(live_api) as api:
            cid = await api.create_connector("async-run", "local", {"root": str(src)})
            volume = await api.create_volume("client-run-vol")
            task_id = await api.create_task(cid, volume.id)  # run-once: starts at once
            first = await api.wait_for_run(task_id, timeout=300)
            assert first.status == "completed" and first.files_added == 2 and first.files_succeeded == 2
            (src / "rivers.txt").write_text("The Nile is the longest river in Africa.\n", encoding="utf-8")
            second = await api.run_task(task_id, wait=True, timeout=300)
            assert second.id != first.id and second.status == "completed"
            assert (second.files_changed, second.files_skipped, second.files_succeeded) == (1, 1, 1)
            assert [r.id for r in await api.task_runs(task_id)][:2] == [second.id, first.id]
            scheduled = await api.create_task(cid, volume.id, load_interval_type=DAILY)
            assert await api.task_runs(scheduled) == []  # a daily task does not start on creation
            on_demand = await api.run_task(scheduled, wait=True, timeout=300)  # POST /task/run
            assert on_demand.status == "completed" and on_demand.flow_run_id and on_demand.files_listed == 2
            await api.pause_task(scheduled)
            with pytest.raises(ConflictError, match="paused"):
                await api.run_task(scheduled)
            for tid in (task_id, scheduled):
                await api.delete_task(tid)
            await api.delete_connector(cid)

    asyncio.run(scenario())


def _route_missing(exc: NotFoundError) -> bool:
    return exc.msg.startswith("no such endpoint")


def test_search_and_documents(live_api, tmp_path) -> None:
    """The query side (issue 6), once its routes exist on the server."""
    with IngestflowClient(live_api) as api:
        try:
            api.search("probe", volume_id="1")
        except NotFoundError as exc:
            if _route_missing(exc):
                pytest.skip("POST /search is not served yet")
        doc = tmp_path / "catalog.txt"
        doc.write_text("Product code XK-2049 is a titanium bicycle frame.\n", encoding="utf-8")
        volume = api.create_volume("client-search-vol")
        uploaded = api.upload([doc], volume_id=volume.id)
        assert api.wait_for_run(uploaded.task_id, timeout=300).status == "completed"
        result = api.search("XK-2049", volume_id=volume.id, retrieval_strategy="full_text", k=3)
        assert result.results and "XK-2049" in result.results[0].content
        assert result.results[0].document and result.results[0].document.name == "catalog.txt"
        try:
            docs = api.list_documents(volume.id)
        except NotFoundError as exc:
            if _route_missing(exc):
                pytest.skip("GET /datasets/{id}/documents is not served yet")
            raise
        [document] = docs.items
        assert docs.paginator.total_record == 1 and api.get_document(volume.id, document.id).name == "catalog.txt"
        api.set_document_enabled(volume.id, document.id, False)
        assert api.search("XK-2049", volume_id=volume.id, retrieval_strategy="full_text").results == []
        api.set_document_enabled(volume.id, document.id, True)
        segments = api.list_segments(volume.id, document.id)
        assert segments.items and "XK-2049" in segments.items[0].content
        api.delete_task(uploaded.task_id)
