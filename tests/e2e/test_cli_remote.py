"""The remote CLI groups (connectors, volumes, tasks, documents, query) against a live API."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ingestflow.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def cli(live_api: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--api-url", live_api], env={"INGESTFLOW_API_KEY": "ingestflow-dev-key"})
    assert result.exit_code == code, result.output
    return result.output


def cli_json(live_api: str, *args: str, code: int = 0):  # noqa: ANN201
    return json.loads(cli(live_api, *args, "--json", code=code).strip().splitlines()[-1])


def test_connectors_volumes_tasks(live_api, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n", encoding="utf-8")
    (src / "b.md").write_text("# beta\n", encoding="utf-8")
    cid = cli_json(live_api, "connectors", "create", "cli-src", "--kind", "local", "--root", str(src))["id"]
    listed = cli_json(live_api, "connectors", "list", "--keyword", "cli-src")
    assert listed["total"] == 1 and listed["items"][0]["config"]["root"] == str(src)
    assert {f["uri"] for f in cli_json(live_api, "connectors", "files", str(cid))} == {"a.txt", "b.md"}
    assert cli_json(live_api, "connectors", "validate", str(cid))["valid"] is True
    bad = cli_json(live_api, "connectors", "validate", "--kind", "local", "--config",
                   json.dumps({"root": str(tmp_path / "nope")}), code=1)
    assert bad["valid"] is False

    volume = cli_json(live_api, "volumes", "create", "cli-remote-vol")
    assert volume["name"] == "cli-remote-vol"
    assert volume["id"] in {v["id"] for v in cli_json(live_api, "volumes", "list")["items"]}
    assert cli_json(live_api, "volumes", "get", "cli-remote-vol")["id"] == volume["id"]

    task_id = cli_json(live_api, "tasks", "create", "--connector", str(cid), "--volume", "cli-remote-vol",
                       "--interval-type", "1", "--uri", "a.txt")["task_id"]
    task = cli_json(live_api, "tasks", "get", task_id)
    assert task["volume_id"] == volume["id"] and task["source_config"]["common_file_task_config"]["uris"] == ["a.txt"]
    assert task_id in {t["id"] for t in cli_json(live_api, "tasks", "list")["items"]}
    assert "tasks (" in cli(live_api, "tasks", "list")  # the rich table
    assert cli_json(live_api, "tasks", "pause", task_id)["status"] == 3
    assert cli_json(live_api, "tasks", "resume", task_id)["status"] == 1
    assert cli_json(live_api, "tasks", "files", task_id)["total"] == 0
    assert cli_json(live_api, "tasks", "runs", task_id) == []
    assert cli_json(live_api, "tasks", "retry", task_id)["file_ids"] == []
    assert cli_json(live_api, "tasks", "run", task_id)["started"] is True  # on demand, though scheduled daily
    cli_json(live_api, "tasks", "pause", task_id)
    out = cli(live_api, "tasks", "run", task_id, code=2)
    assert "409 ErrConflict" in out and "paused" in out

    out = cli(live_api, "connectors", "delete", str(cid), code=2)
    assert "409 ErrConflict" in out and task_id in out
    assert cli_json(live_api, "tasks", "delete", task_id)["deleted"] == task_id
    out = cli(live_api, "tasks", "get", task_id, code=2)
    assert "404 ErrNotFound" in out and f"task {task_id} does not exist" in out
    cli(live_api, "connectors", "delete", str(cid))
    cli(live_api, "volumes", "delete", "cli-remote-vol")
    assert "volume 'cli-remote-vol' does not exist" in cli(live_api, "volumes", "get", "cli-remote-vol", code=2)


def test_bad_key_and_bad_json_fail_clearly(live_api) -> None:
    result = runner.invoke(app, ["tasks", "list", "--api-url", live_api, "--api-key", "nope"])
    assert result.exit_code == 2 and "401 ErrAuth" in result.output and "invalid moi-key" in result.output
    out = cli(live_api, "connectors", "create", "x", "--kind", "s3", "--config", "{not json", code=2)
    assert "--config is not valid JSON" in out


def test_upload_run_wait_and_query(live_api, tmp_path) -> None:
    doc = tmp_path / "bridges.txt"
    doc.write_text("The Golden Gate Bridge opened in 1937 in San Francisco.\n", encoding="utf-8")
    cli_json(live_api, "volumes", "create", "cli-run-vol")
    uploaded = cli_json(live_api, "connectors", "upload", str(doc), "--volume", "cli-run-vol")
    task_id = uploaded["task_id"]
    run = cli_json(live_api, "tasks", "run", task_id, "--wait", "--timeout", "300")
    assert run["status"] == "completed" and run["task_id"] == task_id
    files = cli_json(live_api, "tasks", "files", task_id)
    assert files["total_success"] == 1 and files["files"][0]["segment_count"] >= 1
    runs = cli_json(live_api, "tasks", "runs", task_id)
    assert runs[0]["id"] == run["id"] and len(runs) >= 1
    table = cli(live_api, "tasks", "run", task_id, "--wait", "--timeout", "300")  # exit 0: completed, no failures
    newest = cli_json(live_api, "tasks", "runs", task_id)[0]
    assert newest["id"] != run["id"] and newest["status"] == "completed" and f"run {newest['id']} of task" in table

    probe = runner.invoke(app, ["query", "Golden Gate", "--volume", "cli-run-vol", "--api-url", live_api, "--json"])
    if "no such endpoint" in probe.output:
        pytest.skip("POST /search is not served yet")
    assert probe.exit_code == 0, probe.output
    hits = json.loads(probe.output)["results"]
    assert hits and "Golden Gate" in hits[0]["content"]
    docs = runner.invoke(app, ["documents", "list", "cli-run-vol", "--api-url", live_api, "--json"])
    if "no such endpoint" in docs.output:
        pytest.skip("GET /datasets/{id}/documents is not served yet")
    [document] = json.loads(docs.output)["list"]
    cli(live_api, "documents", "disable", "cli-run-vol", document["id"])
    assert cli_json(live_api, "documents", "get", "cli-run-vol", document["id"])["enabled"] is False
    cli(live_api, "documents", "enable", "cli-run-vol", document["id"])
