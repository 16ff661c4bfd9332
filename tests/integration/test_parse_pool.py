"""The killable parse pool: a timed-out or dead worker is replaced and the pool goes on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ingestflow.errors import ParserCrashed, ParseTimeout
from ingestflow.flows.parse_pool import ParseJob, ParsePool
from ingestflow.errors import ParseError


def _job(root: Path, name: str) -> ParseJob:
    return ParseJob("local", {"root": str(root)}, name, name, "chi_sim+eng")


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture()
def pool():
    pool = ParsePool(1)
    yield pool
    pool.close()


def test_timeout_kills_the_worker_group_and_a_fresh_worker_serves_the_next_file(pool, tmp_path) -> None:
    from tests.support import samples

    (tmp_path / "a.txt").write_text("第一段文字。\n\nsecond paragraph\n", encoding="utf-8")
    samples.write_png(tmp_path / "slow.png", [f"第{i}行：扫描件里的一行中文文字 line {i}" for i in range(40)])
    sections, size, _ = pool.run(_job(tmp_path, "a.txt"), timeout_s=60)
    assert "第一段文字" in " ".join(s.text for s in sections) and size > 0
    first = next(iter(pool._all)).proc.pid
    with pytest.raises(ParseTimeout, match="longer than 0.5 s"):
        pool.run(_job(tmp_path, "slow.png"), timeout_s=0.5)
    assert _gone(first)
    assert [w.proc.pid for w in pool._all] != [first] and len(pool._all) == 1
    sections, _, _ = pool.run(_job(tmp_path, "a.txt"), timeout_s=60)
    assert "second paragraph" in " ".join(s.text for s in sections)


def test_a_parser_error_keeps_its_type_and_dead_workers_are_replaced(pool, tmp_path) -> None:
    import threading

    from tests.support import samples

    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "b.md").write_text("# Title\n\nbody text\n", encoding="utf-8")
    samples.write_png(tmp_path / "slow.png", [f"第{i}行：扫描件里的一行中文文字 line {i}" for i in range(40)])
    with pytest.raises(ParseError, match="empty"):
        pool.run(_job(tmp_path, "empty.txt"), timeout_s=60)
    worker = next(iter(pool._all))
    os.kill(worker.proc.pid, signal.SIGKILL)  # dies while idle (as the OOM killer would)
    worker.proc.join(timeout=10)
    sections, _, _ = pool.run(_job(tmp_path, "b.md"), timeout_s=60)  # replaced before the job, no failure
    assert "body text" in " ".join(s.text for s in sections)
    busy = next(iter(pool._all))
    threading.Timer(1.0, os.kill, (busy.proc.pid, signal.SIGKILL)).start()  # dies during a job
    with pytest.raises(ParserCrashed, match="died"):
        pool.run(_job(tmp_path, "slow.png"), timeout_s=120)
    assert busy not in pool._all and len(pool._all) == 1
    sections, _, _ = pool.run(_job(tmp_path, "b.md"), timeout_s=60)
    assert "body text" in " ".join(s.text for s in sections)


def test_the_version_returned_is_that_of_the_bytes_read(pool, tmp_path) -> None:
    """A file edited after the listing is recorded under the version of what was parsed (issue 17, finding 7)."""
    from ingestflow.connectors.local import LocalConfig, LocalConnector

    path = tmp_path / "a.txt"
    path.write_text("old text\n", encoding="utf-8")
    connector = LocalConnector(LocalConfig(root=str(tmp_path)))
    (listed,) = connector.list()
    path.write_text("new, longer text\n", encoding="utf-8")  # edited between the listing and the parse
    sections, _, version = pool.run(_job(tmp_path, "a.txt"), timeout_s=60)
    assert "new, longer text" in " ".join(s.text for s in sections)
    assert version == connector.stat("a.txt").version != listed.version
