"""What a load run shows in the Prefect UI: its name, its final state's name, its artifact (pure parts)."""

from __future__ import annotations

import logging

from ingestflow.flows import report
from ingestflow.orchestration.deployments import name_slug


def test_run_names_say_the_task_and_when_it_started() -> None:
    assert report.flow_run_name("Docs Nightly", "1", 0.0, "UTC") == "Docs Nightly · 1970-01-01 00:00:00"
    assert report.flow_run_name("", "123", 0.0, "Asia/Shanghai") == "task 123 · 1970-01-01 08:00:00"


def test_a_completed_run_with_failed_files_is_named_so() -> None:
    assert report.final_state_name(0, 200) is None
    assert report.final_state_name(3, 200) == "Completed · 3 of 200 files failed"
    assert report.final_state_name(1, 1) == "Completed · 1 of 1 file failed"


def test_the_artifact_lists_failures_and_every_stage() -> None:
    run = report.RunReport()
    run.add("parse", 2.0)
    run.add("embed", 6.0)
    run.failed("corrupt.pdf", "cannot read | broken\nxref")
    md = report.markdown({"task_id": "7", "files_failed": 1}, run, "Docs")
    assert md.startswith("# Docs\n") and "| files_failed | 1 |" in md
    assert "## Failed files (1)" in md and "| corrupt.pdf | cannot read \\| broken xref |" in md
    assert "| parse | 2.00 | 25% |" in md and "| embed | 6.00 | 75% |" in md and "| OCR | 0.00 | 0% |" in md


def test_deployment_names_keep_words_of_any_script() -> None:
    assert name_slug("Docs Nightly") == "docs-nightly"
    assert name_slug("  文档 / 每晚 ") == "文档-每晚"
    assert name_slug("???") == ""


def test_prefects_error_lines_about_a_failed_file_are_dropped_others_kept() -> None:
    quiet = report._QuietFailedFile()
    make = lambda level, msg: logging.LogRecord("prefect.task_runs", level, __file__, 1, msg, None, None)  # noqa: E731
    assert not quiet.filter(make(logging.ERROR, "Finished in state Failed file('a.pdf: corrupt', type=FAILED)"))
    assert quiet.filter(make(logging.ERROR, "Finished in state Failed('boom')"))
    assert quiet.filter(make(logging.INFO, "Finished in state Completed()"))
