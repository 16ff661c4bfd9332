"""Dead runs (issue 17): the run lease, the reaper, and Prefect's concurrency slot of a dead run.

A dead run is forged the way a SIGKILLed worker leaves one: a lease nobody renews, a catalog run
"running", files "processing", and a Prefect flow run RUNNING that holds its deployment's only
concurrency slot. ``run_guard.reap`` (the API's timer, every run start) must close all of it.
"""

from __future__ import annotations

import time
from uuid import UUID

import pytest

from ingestflow.catalog import catalog, lifecycle
from ingestflow.flows import run_guard
from ingestflow.records import FileStatus, TaskStatus
from ingestflow.services.local import ensure_local_task
from tests.support import catalog as cat


def _lease(task_id: str, holder: str, ttl_s: float, flow_run_id: str | None = None) -> str:
    token = f"tok-{holder}-{time.monotonic_ns()}"
    with catalog() as c:
        ok, _ = c.leases.acquire(task_id, token, holder, flow_run_id, ttl_s)
    return token if ok else ""


def test_a_live_lease_refuses_a_second_holder_and_an_expired_one_is_taken_over() -> None:
    task_id = f"lease-{time.monotonic_ns()}"
    first = _lease(task_id, "host-a/w1", ttl_s=0.4)
    assert first
    assert _lease(task_id, "host-b/w1", ttl_s=30) == ""  # live: refused (another host, same answer)
    with catalog() as c:
        assert c.leases.renew(task_id, first, 0.4)
    time.sleep(0.6)
    token = f"tok-b-{time.monotonic_ns()}"
    with catalog() as c:
        ok, previous = c.leases.acquire(task_id, token, "host-b/w1", None, 30)
    assert ok and previous is not None and previous.holder == "host-a/w1" and previous.token == first
    with catalog() as c:
        assert not c.leases.renew(task_id, first, 30)  # the dead holder cannot come back
        assert c.leases.held(task_id).token == token
        c.leases.release(task_id, first)  # nor drop the new holder's lease
        assert c.leases.held(task_id) is not None
        c.leases.release(task_id, token)
        assert c.leases.held(task_id) is None


def test_two_reapers_close_a_dead_run_once(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n", encoding="utf-8")
    task_id = ensure_local_task(tmp_path, "dead-runs")
    token = _lease(task_id, "host-a/w1", ttl_s=0.2)
    time.sleep(0.4)
    with catalog() as c:
        [dead] = [d for d in c.leases.expired() if d.task_id == task_id]
        assert dead.token == token
    assert run_guard.close_dead_run(dead)
    assert not run_guard.close_dead_run(dead)  # the second reaper finds the lease gone


def _prefect_run_holding_the_slot(task_id: str) -> tuple[str, str]:
    """The task's deployment (concurrency_limit=1) and a flow run of it RUNNING with the slot."""
    from prefect.states import Pending, Running

    from ingestflow.orchestration import deployments

    deployment_id = deployments.create_task_deployment(cat.task(task_id), "local", "dead-runs")
    with deployments.client() as client:
        run = client.create_flow_run_from_deployment(UUID(deployment_id))
        assert client.set_flow_run_state(run.id, Pending()).state.type.value == "PENDING"  # takes the slot
        client.set_flow_run_state(run.id, Running())
    return deployment_id, str(run.id)


def _second_run_gets_the_slot(deployment_id: str) -> str:
    from prefect.states import Pending

    from ingestflow.orchestration import deployments

    with deployments.client() as client:
        run = client.create_flow_run_from_deployment(UUID(deployment_id))
        result = client.set_flow_run_state(run.id, Pending())
        return result.state.name if result.state is not None else str(result.status)


def test_the_reaper_crashes_a_dead_run_frees_its_slot_and_puts_its_files_back(prefect_server, tmp_path) -> None:
    from ingestflow.orchestration import deployments

    (tmp_path / "a.txt").write_text("alpha\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("beta\n", encoding="utf-8")
    task_id = ensure_local_task(tmp_path, "dead-runs")
    deployment_id, flow_run_id = _prefect_run_holding_the_slot(task_id)
    assert _second_run_gets_the_slot(deployment_id) == "AwaitingConcurrencySlot"  # the dead run holds it

    from ingestflow.catalog.listing import diff_listing
    from ingestflow.flows.context import task_context

    ctx = task_context(task_id, refresh=True)
    refs = [ref for ref, _ in diff_listing(ctx.task, ctx.connector().list(uris=[]), ctx.fingerprint)]
    lease = run_guard.RunLease(task_id, "host-a/ingestflow-1", flow_run_id)
    lease.ttl_s = 1.5
    with catalog() as c:  # what the run had done when its worker was SIGKILLed
        ok, _ = c.leases.acquire(task_id, lease.token, lease.holder, flow_run_id, lease.ttl_s)
        run_id = c.runs.start(task_id, flow_run_id).id
        lifecycle.run_started(c, c.tasks.get(task_id))
        c.files.mark(lifecycle.parsing(refs))
    lease.started(run_id)
    assert ok and {f.status for f in cat.files(task_id)} == {int(FileStatus.PROCESSING)}

    assert [d for d in run_guard.reap() if d.task_id == task_id] == []  # still live: nothing to do
    time.sleep(1.7)
    closed = [d for d in run_guard.reap() if d.task_id == task_id]
    assert [d.flow_run_id for d in closed] == [flow_run_id]

    with deployments.client() as client:
        state = client.read_flow_run(UUID(flow_run_id)).state
    assert state.type.value == "CRASHED" and "process died" in state.message
    assert _second_run_gets_the_slot(deployment_id) == "Pending"  # the slot is free
    run = next(r for r in cat.runs(task_id) if r.id == run_id)
    assert run.status == "crashed" and "no heartbeat from host-a/ingestflow-1" in run.error
    files = cat.files(task_id)
    assert {f.status for f in files} == {int(FileStatus.WAITING)}
    assert all("waiting for the next run: the run's process died" in f.reason for f in files)
    assert cat.task(task_id).status == int(TaskStatus.RUNNING)  # run-once, not completed: its files are due
    with catalog() as c:
        assert c.leases.held(task_id) is None


def test_a_reaper_that_cannot_reach_prefect_keeps_the_lease_for_the_next_pass(tmp_path, monkeypatch) -> None:
    (tmp_path / "a.txt").write_text("alpha\n", encoding="utf-8")
    task_id = ensure_local_task(tmp_path, "dead-runs")
    _lease(task_id, "host-a/w1", ttl_s=0.2, flow_run_id="8c1d2a3e-0000-4000-8000-000000000000")
    time.sleep(0.4)

    def unreachable(flow_run_id: str, reason: str) -> None:
        raise ConnectionError("Prefect is restarting")

    monkeypatch.setattr(run_guard, "crash_flow_run", unreachable)
    assert [d for d in run_guard.reap() if d.task_id == task_id] == []
    with catalog() as c:
        assert c.leases.held(task_id) is not None  # kept: the flow run still has to be crashed
    monkeypatch.undo()
    assert [d.task_id for d in run_guard.reap() if d.task_id == task_id] == [task_id]  # unknown to Prefect: fine


def test_the_heartbeat_keeps_a_live_run_alive_and_notices_a_takeover() -> None:
    from sqlalchemy import update

    from ingestflow.catalog.models import RunLease

    task_id = f"beat-{time.monotonic_ns()}"
    lease = run_guard.RunLease(task_id, "host-a/w1", None)
    lease.ttl_s = 0.6  # renewed every 0.2 s
    assert lease.acquire()
    try:
        time.sleep(1.5)  # well past one ttl
        assert [d for d in run_guard.reap() if d.task_id == task_id] == []  # alive: not reaped
        assert not lease.lost.is_set()
        with catalog() as c:  # another host took it over (we were presumed dead)
            c.session.execute(update(RunLease).where(RunLease.task_id == task_id).values(token="someone-else"))
        deadline = time.monotonic() + 3
        while not lease.lost.is_set():
            assert time.monotonic() < deadline, "the heartbeat did not notice the takeover"
            time.sleep(0.05)
    finally:
        lease.release()
    with catalog() as c:
        assert c.leases.held(task_id).token == "someone-else"  # release never drops another holder's lease
        c.leases.release(task_id, "someone-else")
