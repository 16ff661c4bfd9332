"""The CLI: load a folder, search it, show status; bad input exits non-zero with a message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ingestflow.cli import app
from tests.support import samples

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_load_search_status_round_trip(prefect_server, tmp_path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    samples.write_md(folder / "长城.md", "长城", ["长城是古代中国修建的军事防御工程，总长度超过两万公里。"])
    samples.write_txt(folder / "coffee.txt", "Coffee", ["Espresso is brewed by forcing hot water through fine coffee grounds."])
    result = runner.invoke(app, ["load", str(folder), "--volume", "cli-test", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["files_succeeded"] == 2 and summary["chunks_written"] >= 2
    found = runner.invoke(app, ["search", "长城有多长", "--volume", "cli-test", "--json", "-k", "1"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)[0]["document"]["uri"] == "长城.md"
    status = runner.invoke(app, ["status", summary["task_id"], "--json"])
    assert {f["status"] for f in json.loads(status.output)["files"]} == {5}


def test_unknown_volume_and_task_fail_clearly(prefect_server) -> None:
    result = runner.invoke(app, ["search", "x", "--volume", "no-such-volume"])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(app, ["status", "123"])
    assert result.exit_code == 2 and "task 123 does not exist" in result.output


def test_bad_mode_is_rejected(prefect_server, tmp_path) -> None:
    result = runner.invoke(app, ["search", "x", "--volume", "cli-test", "--mode", "fuzzy"])
    assert result.exit_code == 2 and "unknown retrieval strategy" in result.output
