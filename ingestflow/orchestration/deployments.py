"""The API's side of Prefect: one deployment per load task, its schedule, runs, pause/resume.

The web process never runs flow code (it imports only ``ingestflow.flows.run_guard``, whose reaper
makes catalog and Prefect client calls): it only talks to the Prefect API (``PREFECT_API_URL``; unset means Prefect's ephemeral in-process server, fine for
tests). Workers of the ``ingestflow`` process pool run the importable entry point
``ingestflow.flows.load:load_task``: a worker host needs the installed package, no checkout.
"""

from __future__ import annotations

import re
from datetime import timedelta
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from ingestflow.errors import IngestError, ProviderUnavailable
from ingestflow.records import MANUAL_RUN_TAG, LoadIntervalType
from ingestflow.ids import slug
from ingestflow.settings import get_settings
from ingestflow.taskconfig import SourceConfig

FLOW_NAME = "ingestflow-load"
ENTRYPOINT = "ingestflow.flows.load:load_task"  # a module path, imported on the worker: no checkout needed

FIXED_MINUTES = {LoadIntervalType.MIN_5: 5, LoadIntervalType.MIN_10: 10, LoadIntervalType.MIN_30: 30,
                 LoadIntervalType.HOUR_2: 120, LoadIntervalType.HOUR_4: 240, LoadIntervalType.HOUR_6: 360,
                 LoadIntervalType.HOUR_12: 720}
ACTIVE_STATES = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING")

_pool_ready: set[str] = set()
T = TypeVar("T")


def client():  # noqa: ANN201
    """A sync Prefect client (``PREFECT_API_URL``, or the ephemeral API when unset)."""
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def wrap(what: str, exc: Exception) -> IngestError:
    """A Prefect failure as ProviderUnavailable (an IngestError passes through)."""
    if isinstance(exc, IngestError):
        return exc
    return ProviderUnavailable(f"Prefect {what} failed: {type(exc).__name__}: {str(exc)[:200]}")


def schedule_for(source: SourceConfig):  # noqa: ANN201
    """The Prefect schedule of a task's load mode, or None for a run-once task."""
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

    kind, n = source.load_mode.load_interval_type, source.load_mode.every
    settings = get_settings()
    tz = settings.timezone
    if kind == LoadIntervalType.DAILY:
        if n == 1:
            return CronSchedule(cron=f"0 {settings.daily_hour} * * *", timezone=tz)
        return IntervalSchedule(interval=timedelta(days=n), timezone=tz)
    if kind == LoadIntervalType.HOURLY:
        return IntervalSchedule(interval=timedelta(hours=n), timezone=tz)
    if kind == LoadIntervalType.MINUTE:
        return IntervalSchedule(interval=timedelta(minutes=n), timezone=tz)
    if kind in FIXED_MINUTES:
        return IntervalSchedule(interval=timedelta(minutes=FIXED_MINUTES[LoadIntervalType(kind)] * n), timezone=tz)
    return None


def _schedules(source: SourceConfig) -> list[Any]:
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    schedule = schedule_for(source)
    return [DeploymentScheduleCreate(schedule=schedule, active=True)] if schedule is not None else []


def work_pool() -> str:
    """The work pool of this environment's deployments (setting ``work_pool``)."""
    return get_settings().work_pool


def ensure_work_pool(name: str | None = None, type: str = "process") -> None:  # noqa: A002
    """Create the work pool when it does not exist (once per process)."""
    name = name or work_pool()
    if name in _pool_ready:
        return
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        with client() as c:
            try:
                c.read_work_pool(name)
            except ObjectNotFound:
                try:
                    c.create_work_pool(WorkPoolCreate(name=name, type=type))
                except ObjectAlreadyExists:
                    pass
    except Exception as exc:  # noqa: BLE001
        raise wrap("work pool setup", exc) from None
    _pool_ready.add(name)


def name_slug(text: str) -> str:
    """A task name as a deployment name: lower case, words (any script) joined by ``-``."""
    return re.sub(r"[^\w.]+", "-", text.strip().lower()).strip("-.")[:60]


def _free_name(c: Any, task: Any) -> str:
    """The task's name slugged, with the short id appended when another deployment has it."""
    from prefect.exceptions import ObjectNotFound

    base = name_slug(task.name or "") or f"task-{task.id}"
    for name in (base, f"{base}-{str(task.id)[-6:]}", f"{base}-{task.id}"):
        try:
            c.read_deployment_by_name(f"{FLOW_NAME}/{name}")
        except ObjectNotFound:
            return name
    return f"task-{task.id}"


def _every(source: SourceConfig) -> str:
    schedule = schedule_for(source)
    if schedule is None:
        return "runs once (and on demand)"
    if getattr(schedule, "cron", None):
        return f"daily at {get_settings().daily_hour:02d}:00 {schedule.timezone}"
    minutes = int(schedule.interval.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"every {minutes // 1440} day(s)"
    return f"every {minutes // 60} hour(s)" if minutes % 60 == 0 else f"every {minutes} minute(s)"


def describe(task: Any, connector_kind: str, volume_name: str) -> str:
    """The deployment's description in words: what it loads, where, when, with which rules."""
    source = task.source
    uris = source.uris
    shown = ", ".join(uris[:5]) + (f" and {len(uris) - 5} more" if len(uris) > 5 else "") if uris else "everything"
    process = task.process
    rules = [f"sync {process.sync_mode}"]
    if process.sync_mode == "mirror":
        rules.append(f"deletes at most {process.max_delete_fraction:.0%} of files at once")
    for label, value in (("parse limit", process.parse_timeout_s), ("embed limit", process.embed_timeout_s)):
        if value:
            rules.append(f"{label} {value:g} s")
    if process.ocr_languages:
        rules.append(f"OCR {process.ocr_languages}")
    if process.process_type:
        rules.append(f"chunking {process.process_type}")
    return (f"**{task.name or f'task {task.id}'}**: loads {shown} from a {connector_kind} connector into volume "
            f"{volume_name}; {_every(source)}; {', '.join(rules)}.\n\nLoad task {task.id} (tag task:{task.id}).")


def create_task_deployment(task: Any, connector_kind: str, volume_name: str,
                           extra_tags: list[str] | None = None) -> str:
    """Create the task's deployment (schedule from its load mode); returns the deployment id.

    Named from the task's name (slugged; the short id appended on a clash); the task id is in the
    tags, the parameters and the description, and the catalog keeps the deployment id."""
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions

    ensure_work_pool()
    try:
        with client() as c:
            flow_id = c.create_flow_from_name(FLOW_NAME)
            deployment_id = c.create_deployment(
                flow_id=flow_id, name=_free_name(c, task), entrypoint=ENTRYPOINT,
                # the worker imports ENTRYPOINT from the installed package: no checkout path to show
                path=None,
                work_pool_name=work_pool(), parameters={"task_id": str(task.id)},
                tags=[f"task:{task.id}", f"connector:{connector_kind}", f"volume:{slug(volume_name)}",
                      *(extra_tags or [])],
                schedules=_schedules(task.source), concurrency_limit=1,
                # a run due while one is in flight waits for the slot (it is not dropped: a retry
                # or an edit made mid-run must still be picked up); flows/run_guard.py then skips
                # it as "collapsed" if a run that started after it was due already completed
                concurrency_options=ConcurrencyOptions(collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
                description=describe(task, connector_kind, volume_name),
            )
    except Exception as exc:  # noqa: BLE001
        raise wrap("deployment creation", exc) from None
    return str(deployment_id)


def update_description(deployment_id: str, description: str) -> None:
    """Rewrite the deployment's description (a rename, new uris or schedule).

    Prefect 3.8.8 cannot rename a deployment (``DeploymentUpdate`` has no name), so a renamed task
    keeps its deployment (id, runs, schedule) and says its new name here and in its flow run names."""
    from prefect.client.schemas.actions import DeploymentUpdate

    with_client("deployment update", lambda c: c.update_deployment(UUID(deployment_id),
                                                                   DeploymentUpdate(description=description)))


def ui_url(kind: str, obj_id: str | None) -> str | None:
    """The Prefect UI page of a deployment or flow run (``kind``: "deployment" | "flow-run");
    None without an id or without a UI base (``PREFECT_UI_URL``, else derived from ``PREFECT_API_URL``)."""
    if not obj_id:
        return None
    from prefect.settings import get_current_settings

    base = get_current_settings().ui_url
    return f"{base.rstrip('/')}/{'deployments/deployment' if kind == 'deployment' else 'runs/flow-run'}/{obj_id}" \
        if base else None


def replace_schedules(deployment_id: str, source: SourceConfig, *, active: bool = True) -> None:
    """Swap a deployment's schedules for the ones of a new load mode."""
    try:
        with client() as c:
            for sched in c.read_deployment_schedules(UUID(deployment_id)):
                c.delete_deployment_schedule(UUID(deployment_id), sched.id)
            schedules = _schedules(source)
            for sched in schedules:
                sched.active = active
            if schedules:
                c.create_deployment_schedules(UUID(deployment_id), schedules)
    except Exception as exc:  # noqa: BLE001
        raise wrap("schedule update", exc) from None


def run_deployment(deployment_id: str, parameters: dict[str, Any] | None = None) -> str:
    """Create a flow run of the deployment now; returns the flow run id."""
    run = with_client("flow run creation", lambda c: c.create_flow_run_from_deployment(
        UUID(deployment_id), parameters=parameters or None, tags=[MANUAL_RUN_TAG]))
    return str(run.id)


def _runs(c: Any, deployment_id: str, states: tuple[str, ...]) -> list[Any]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    return c.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[UUID(deployment_id)])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType(s) for s in states]))),
        limit=200,
    )


def has_running_flow(deployment_id: str) -> bool:
    """True when a flow run of the deployment is pending or running."""
    return with_client("flow run lookup", lambda c: bool(_runs(c, deployment_id, ("PENDING", "RUNNING"))))


def cancel_runs(deployment_id: str, states: tuple[str, ...] = ("SCHEDULED",)) -> int:
    """Cancel the deployment's flow runs in these states; returns how many."""
    from prefect.states import Cancelled, Cancelling

    try:
        with client() as c:
            runs = _runs(c, deployment_id, states)
            for run in runs:
                state = Cancelling() if run.state_type and run.state_type.value in ("RUNNING", "PENDING") else Cancelled()
                c.set_flow_run_state(run.id, state, force=True)
            return len(runs)
    except Exception as exc:  # noqa: BLE001
        raise wrap("flow run cancel", exc) from None


def with_client(what: str, call: Callable[[Any], T]) -> T:
    """``call(client)``; any Prefect failure becomes ``wrap(what, …)``."""
    try:
        with client() as c:
            return call(c)
    except Exception as exc:  # noqa: BLE001
        raise wrap(what, exc) from None


def pause(deployment_id: str) -> None:
    """Pause the deployment's schedules (Prefect deletes its future runs)."""
    with_client("deployment pause", lambda c: c.pause_deployment(UUID(deployment_id)))


def resume(deployment_id: str) -> None:
    """Resume the deployment's schedules."""
    with_client("deployment resume", lambda c: c.resume_deployment(UUID(deployment_id)))


def delete(deployment_id: str) -> None:
    """Delete the deployment (cancelling its runs first); a deployment already gone is fine."""
    from prefect.exceptions import ObjectNotFound

    try:
        cancel_runs(deployment_id, ACTIVE_STATES[:3])
        with client() as c:
            c.delete_deployment(UUID(deployment_id))
    except ObjectNotFound:
        return
    except Exception as exc:  # noqa: BLE001
        raise wrap("deployment delete", exc) from None


def read(deployment_id: str) -> Any:
    """The deployment (tests and diagnostics)."""
    with client() as c:
        return c.read_deployment(UUID(deployment_id))


def flow_runs(deployment_id: str, states: tuple[str, ...] = ACTIVE_STATES + ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")) -> list[Any]:
    with client() as c:
        return _runs(c, deployment_id, states)
