"""Short jobs the API needs done synchronously (write a segment …), run by Prefect workers and waited for.

Each job is a flow with one deployment (``<flow>/job``) on the ``ingestflow`` work pool, created on
first use. ``run_job`` creates a flow run, waits for its final state within a time limit and turns a
failure back into the ingestflow error the flow raised (see ``ingestflow.flows.segments``). Past the
limit it answers ``ProviderUnavailable`` and the run finishes on its own.
"""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

from ingestflow import errors
from ingestflow.errors import IngestError, ProviderError, ProviderUnavailable
from ingestflow.orchestration.deployments import client, ensure_work_pool, work_pool, wrap

JOBS = {"ingestflow-segment": "ingestflow.flows.segments:write_segment",
        "ingestflow-chat-parse": "ingestflow.flows.chat_parse:parse_uploads"}
JOB_DEPLOYMENT = "job"
JOB_QUEUE = "jobs"  # its own queue of the pool: a worker may serve only jobs (``--work-queue jobs``)
_deployments: dict[tuple[str, str], str] = {}  # (pool, flow) → deployment id


def job_deployment(flow_name: str) -> str:
    """The deployment id of a job flow (created once per process)."""
    key = (work_pool(), flow_name)
    if key in _deployments:
        return _deployments[key]
    ensure_work_pool()
    try:
        with client() as c:
            flow_id = c.create_flow_from_name(flow_name)
            deployment_id = c.create_deployment(  # an upsert by (flow, name): every API process may call it
                flow_id=flow_id, name=JOB_DEPLOYMENT, entrypoint=JOBS[flow_name], work_pool_name=work_pool(),
                work_queue_name=JOB_QUEUE,
                tags=["ingestflow:job"], description=f"ingestflow job {flow_name}, run by the API and waited for")
    except Exception as exc:  # noqa: BLE001
        raise wrap("job deployment", exc) from None
    _deployments[key] = str(deployment_id)
    return _deployments[key]


def run_job(flow_name: str, parameters: dict[str, Any], *, timeout_s: float, tags: list[str] | None = None) -> None:
    """Run a job flow on a worker and wait for it; raise what it raised, or ProviderUnavailable past ``timeout_s``."""
    deployment_id = job_deployment(flow_name)
    try:
        with client() as c:
            run = c.create_flow_run_from_deployment(UUID(deployment_id), parameters=parameters, tags=tags or [])
    except Exception as exc:  # noqa: BLE001
        raise wrap("job run creation", exc) from None
    state = wait_for_flow_run(str(run.id), timeout_s)
    if state is None:
        raise ProviderUnavailable(f"{flow_name} did not finish within {timeout_s:g} s (is a worker running on "
                                  f"pool {work_pool()!r}?); flow run {run.id} finishes on its own")
    if not state.is_completed():
        raise job_error(flow_name, state.message or state.name)


def wait_for_flow_run(flow_run_id: str, timeout_s: float, poll_s: float = 0.25) -> Any:
    """The flow run's final state, or None when it is not final within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    with client() as c:
        while True:
            state = c.read_flow_run(UUID(flow_run_id)).state
            if state is not None and state.is_final():
                return state
            if time.monotonic() >= deadline:
                return None
            time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
            poll_s = min(poll_s * 1.5, 1.0)


def job_error(flow_name: str, message: str) -> IngestError:
    """The error a job's failed state carries (JSON from the flow), else a ProviderError with its message."""
    try:
        data = json.loads(message)
        cls = getattr(errors, str(data.get("error", "")), None)
        if isinstance(cls, type) and issubclass(cls, IngestError):
            return cls(str(data.get("message", "")))
    except (TypeError, ValueError):
        pass
    return ProviderError(f"{flow_name} failed: {message[:500]}")
