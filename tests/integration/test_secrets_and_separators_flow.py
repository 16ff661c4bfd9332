"""Issue 16 findings 4 and 5 through the real load flow and Prefect's API.

- ReDoS: a custom separator that passes validation but backtracks exponentially fails its file by the
  split budget, with a reason; the other file loads and the run completes.
- Secrets: a non-ASCII Dify key planted in the catalog (past the API's validation) and a secret carried by
  a task's exception and a log line never appear in Prefect's logs or states read back through its API.
"""

from __future__ import annotations

import pytest

from ingestflow.records import FileStatus
from tests.support import catalog as cat

DIFY_KEY_NON_ASCII = "dataset-kéy-PLANTED-flow-7e3a"
TASK_SECRET = "PLANTED-task-secret-91b2"


def _prefect_text(flow_run_id: str) -> tuple[str, int]:
    """Everything Prefect's API holds about a flow run: its logs, its and its task runs' state messages."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    run_id = UUID(str(flow_run_id))
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        flow_run = client.read_flow_run(run_id)
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    parts = [log.message for log in logs] + [str(flow_run.state.message if flow_run.state else "")]
    parts += [str(t.state.message if t.state else "") for t in task_runs]
    return "\n".join(parts), len(logs)


@pytest.fixture(scope="module")
def loaded(prefect_server, tmp_path_factory) -> tuple[str, str]:
    from ingestflow.services.local import ensure_local_task

    root = tmp_path_factory.mktemp("redos")
    (root / "evil.txt").write_text("a" * 34 + "!", encoding="utf-8")
    (root / "good.txt").write_text("熊猫吃竹子。\n\n" + "giant pandas eat bamboo most of the day. " * 4, encoding="utf-8")
    task_id = ensure_local_task(root, "i16c-flow")
    return cat.task(task_id).volume_id, task_id  # (volume id, task id)


def test_a_slow_custom_separator_fails_its_file_by_timeout_and_the_run_completes(loaded, settings_env) -> None:
    from ingestflow.flows.load import load_task

    _, task_id = loaded
    settings_env("INGESTFLOW_SPLIT_TIMEOUT_S", "1")
    cat.update_task(task_id, process_config={"process_type": "custom", "rule": {"segment": {
        "separators": [r"(a|aa)+$"], "chunk_size": 16, "chunk_overlap": 0, "unit": "chars"}}})
    summary = load_task(task_id)
    files = {f.uri: f for f in cat.files(task_id)}
    assert files["evil.txt"].status == FileStatus.FAILED
    assert "custom separator" in files["evil.txt"].reason and "took more than 1 s" in files["evil.txt"].reason
    assert files["good.txt"].status == FileStatus.SUCCESS, files["good.txt"].reason
    assert summary["files_failed"] == 1 and summary["files_succeeded"] == 1
    assert cat.runs(task_id)[0].status == "completed"


def test_a_planted_non_ascii_dify_key_never_reaches_prefect(loaded) -> None:
    from ingestflow.flows.load import load_task
    from ingestflow.taskconfig import SourceConfig
    from tests.support.servers.dify_server import DifyTestServer

    vol, _ = loaded
    server = DifyTestServer("dataset-good-key").start()
    try:
        ds = server.add_dataset("kb")
        server.add_document(ds, "doc.txt", ["some text"])
        # straight into the catalog: the API would refuse this key with a 400
        connector = cat.create_connector("dify-planted", 1, {"api_url": server.url, "api_key": DIFY_KEY_NON_ASCII,
                                                             "dataset_ids": [ds]})
        task = cat.create_task(connector.id, vol, SourceConfig.once().dump())
        with pytest.raises(Exception):  # noqa: B017, PT011 - the run fails; what it shows is the test
            load_task(task.id)
    finally:
        server.stop()
    run = cat.runs(task.id)[0]
    assert run.status == "failed" and "dify.api_key" in run.error and "PLANTED" not in run.error
    text, n_logs = _prefect_text(run.flow_run_id)
    assert n_logs > 0 and "dify.api_key" in text
    assert "PLANTED" not in text and "k\\xe9y" not in text


def test_a_secret_in_a_task_exception_and_a_log_line_is_scrubbed_in_prefect(prefect_server) -> None:
    from prefect import flow, get_run_logger, task
    from prefect.runtime import flow_run

    from ingestflow import scrub
    from ingestflow.errors import ProviderError

    scrub.install()
    scrub.remember(TASK_SECRET)  # as a connector config does when it is built

    @task(name="leaky-sdk-call")
    @scrub.scrubbed
    def leaky() -> None:
        try:
            f"Bearer {TASK_SECRET}é".encode("ascii")  # an SDK's error carrying the key in its args
        except UnicodeEncodeError as exc:
            raise ProviderError(f"the source refused key {TASK_SECRET}") from exc

    seen: dict[str, str] = {}

    @flow(name="i16c-leak")
    @scrub.scrubbed
    def leaky_flow() -> None:
        seen["id"] = str(flow_run.id)
        get_run_logger().error("calling the source with %s", TASK_SECRET)
        leaky()

    state = leaky_flow(return_state=True)
    assert state.is_failed()
    text, _ = _prefect_text(seen["id"])
    assert "the source refused key ******" in text and "calling the source with ******" in text
    assert TASK_SECRET not in text and "PLANTED" not in text
