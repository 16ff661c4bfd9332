"""Files arriving in a volume (MOI ``/connectors/upload``, seed 002 form b): dedup, folders, one load task.

The bytes of every incoming file are already in the upload store under a fresh uri. Then, per
file, with ``dedup`` (``by``: "name" = same name in the same folder, "md5" = same content anywhere
in the volume; either criterion listed makes a duplicate):

- ``skip``: a duplicate is not added: its fresh copy is removed and the answer names the existing
  file (and the task that loaded it), so no second document exists;
- ``replace``: the existing file keeps its id and its uri, hence its document: the new bytes are
  moved over the old ones and the task that loaded it runs again, which re-indexes it atomically
  (new chunks first, then the old ones removed), so search never shows it twice;
- otherwise (or without ``dedup``) the file is new: every new file of one request goes into one
  run-once load task, and the file's id is the id of its task file (``/task/files`` shows it).

A request fails as a whole before anything is committed (a replace of a file still being loaded, a
duplicate pair inside one request under ``replace``); when Prefect fails part-way, what was done is
undone (new rows, folders, the new task, moved bytes) except re-runs already started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ingestflow.catalog import catalog
from ingestflow.catalog.listing import record_items
from ingestflow.catalog.models import LoadTask, Volume, VolumeFile, now_ts
from ingestflow.catalog.volume_files import stem_of
from ingestflow.connectors import build_connector
from ingestflow.connectors.upload import store_from_settings
from ingestflow.errors import Conflict, IngestError, ValidationFailed
from ingestflow.ids import snowflake_id
from ingestflow.records import FileStatus, TaskStatus, file_type_for
from ingestflow.services import connectors as connector_configs
from ingestflow.services import moi_volumes
from ingestflow.services import tasks as task_service
from ingestflow.taskconfig import ProcessConfig, SourceConfig

log = logging.getLogger("ingestflow.services")

DEDUP_BY = ("name", "md5")
STRATEGIES = ("skip", "replace")
IN_FLIGHT = (FileStatus.WAITING, FileStatus.PROCESSING, FileStatus.RETRYING)
MESSAGES = {"created": "上传成功", "skipped": "文件已存在，已跳过", "replaced": "已替换原文件"}


@dataclass(frozen=True)
class Dedup:
    """MOI's ``dedup``: which criteria make a duplicate, and what to do with one."""

    by: tuple[str, ...]
    strategy: str = "skip"


@dataclass
class Incoming:
    """One file arriving in a volume, its bytes stored at ``uri`` (fresh, ``<id>/<name>``)."""

    uri: str
    name: str
    size: int
    md5: str
    folder: tuple[str, ...] = ()
    parent_id: str | None = None  # a folder id given directly (wins over ``folder``)
    ref_file_id: str = ""


@dataclass
class Outcome:
    """What happened to one incoming file."""

    incoming: Incoming
    status: str  # "created" | "skipped" | "replaced"
    file_id: str = ""
    task_id: str = ""
    parent_id: str = ""
    path: str = ""
    matched_by: str = ""  # "name" | "md5" for a duplicate
    target: VolumeFile | None = None
    rerun: LoadTask | None = None  # replace: the task that loads the target (None: it joins the new task)
    twin: Outcome | None = None  # skipped as a duplicate of an earlier file of the same request

    @property
    def message(self) -> str:
        base = MESSAGES[self.status]
        return f"{base}（按 {self.matched_by} 去重）" if self.matched_by else base


@dataclass
class ImportResult:
    """Outcomes in request order, and the task to poll (the new one, else a re-run one, else a skipped file's)."""

    outcomes: list[Outcome]
    task_id: str = ""
    undo_log: list[Any] = field(default_factory=list, repr=False)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def _volume_lock(volume_id: str) -> Iterator[None]:
    """Dedup decisions and their commit are serialised per volume (within this API process)."""
    with _locks_guard:
        lock = _locks.setdefault(volume_id, threading.Lock())
    with lock:
        yield


def parse_dedup(raw: Any) -> Dedup | None:
    """A dedup config from its JSON value (None: no dedup); ValidationFailed naming the field."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise ValidationFailed('dedup must be a JSON object like {"by": ["name", "md5"], "strategy": "skip"}')
    by = raw.get("by")
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, list) or not by or not all(isinstance(b, str) for b in by):
        raise ValidationFailed('dedup.by must be a non-empty list of "name" and/or "md5"')
    unknown = [b for b in by if b not in DEDUP_BY]
    if unknown:
        raise ValidationFailed(f"dedup.by: {unknown[0]!r} is not one of {', '.join(DEDUP_BY)}")
    strategy = raw.get("strategy") or "skip"
    if strategy not in STRATEGIES:
        raise ValidationFailed(f"dedup.strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    unexpected = sorted(set(raw) - {"by", "strategy"})
    if unexpected:
        raise ValidationFailed(f"dedup.{unexpected[0]}: unknown field (dedup has by and strategy)")
    return Dedup(tuple(dict.fromkeys(by)), strategy)


def import_files(volume: Volume, incoming: list[Incoming], dedup: Dedup | None, user: str,
                 task_fields: dict[str, Any] | None = None) -> ImportResult:
    """Add (or dedup) the incoming files into the volume; see the module docstring. ``task_fields``
    (name, tenant_code, org_code, process, tags …) go to the new load task (seed 003's chunking rules,
    deployment tags telling the API family)."""
    with _volume_lock(volume.id):
        result = ImportResult(_plan(volume, incoming, dedup))
        store = store_from_settings()
        try:
            _commit(volume, result, user, store, task_fields or {})
        except BaseException:
            _undo(result)
            raise
        for outcome in result.outcomes:
            if outcome.status == "skipped":
                store.delete(outcome.incoming.uri)
        _describe(volume, result)
    return result


def _existing_parent(c: Any, volume_id: str, item: Incoming) -> str | None:
    """The id of the folder an incoming file goes to, if it exists already ("" = root)."""
    if item.parent_id is not None:
        return item.parent_id
    parent = ""
    for segment in item.folder:
        found = c.volume_files.named(volume_id, parent, segment, folder=True)
        if found is None:
            return None
        parent = found.id
    return parent


def _plan(volume: Volume, incoming: list[Incoming], dedup: Dedup | None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with catalog() as c:
        for item in incoming:
            if item.parent_id:
                c.volume_files.get_folder(item.parent_id, volume.id)
            if dedup is None:
                outcomes.append(Outcome(item, "created"))
                continue
            earlier = _earlier_duplicate(outcomes, item, dedup)
            if earlier is not None:
                if dedup.strategy == "replace":
                    raise ValidationFailed(f"files {earlier.incoming.name!r} and {item.name!r} of this request are "
                                           f"duplicates by {'/'.join(dedup.by)}: send one of them")
                outcomes.append(Outcome(item, "skipped", matched_by=_criterion(earlier.incoming, item, dedup),
                                        twin=earlier))
                continue
            match, by = _match(c, volume.id, item, dedup)
            if match is None:
                outcomes.append(Outcome(item, "created"))
            elif dedup.strategy == "skip":
                outcomes.append(Outcome(item, "skipped", file_id=match.id, task_id=match.task_id, matched_by=by,
                                        target=match))
            else:
                outcomes.append(Outcome(item, "replaced", file_id=match.id, matched_by=by, target=match,
                                        rerun=_rerun_task(c, match)))
    return outcomes


def _criterion(a: Incoming, b: Incoming, dedup: Dedup) -> str:
    same_place = (a.parent_id, a.folder) == (b.parent_id, b.folder)
    return "name" if "name" in dedup.by and same_place and a.name == b.name else "md5"


def _earlier_duplicate(outcomes: list[Outcome], item: Incoming, dedup: Dedup) -> Outcome | None:
    for prev in outcomes:
        if prev.status == "skipped":
            continue
        other = prev.incoming
        same_place = (other.parent_id, other.folder) == (item.parent_id, item.folder)
        if ("name" in dedup.by and same_place and other.name == item.name) or ("md5" in dedup.by
                                                                             and other.md5 == item.md5):
            return prev
    return None


def _match(c: Any, volume_id: str, item: Incoming, dedup: Dedup) -> tuple[VolumeFile | None, str]:
    if "name" in dedup.by:
        parent = _existing_parent(c, volume_id, item)
        if parent is not None:
            found = c.volume_files.named(volume_id, parent, item.name, folder=False)
            if found is not None:
                return found, "name"
    if "md5" in dedup.by:
        found = c.volume_files.with_md5(volume_id, item.md5)
        if found is not None:
            return found, "md5"
    return None, ""


def _rerun_task(c: Any, target: VolumeFile) -> LoadTask | None:
    """The task to re-run for a replaced file (None: its task is gone, it joins the new one); 409 while
    it is being loaded or its task is paused."""
    load = c.volume_files.load_rows([target]).get(target.id)
    task = c.tasks.find(target.task_id) if target.task_id else None
    if task is None or load is None or not task.deployment_id:
        return None
    if task.status in (TaskStatus.PAUSING, TaskStatus.PAUSED):
        raise Conflict(f"file {target.id} ({target.name!r}) is loaded by task {task.id}, which is paused: "
                       f"resume it before replacing the file")
    if load.status in IN_FLIGHT and task.status == TaskStatus.RUNNING:
        raise Conflict(f"file {target.id} ({target.name!r}) is still being loaded by task {task.id} "
                       f"(stage {load.stage}); replace it once the task has finished")
    return task


def _commit(volume: Volume, result: ImportResult, user: str, store: Any, task_fields: dict[str, Any]) -> None:
    """Folders, bytes moved over replaced files, the new task with its file rows, re-runs."""
    outcomes = result.outcomes
    placed = [o for o in outcomes if o.status in ("created", "replaced")]
    for outcome in placed:
        item = outcome.incoming
        if item.parent_id is not None:
            outcome.parent_id = item.parent_id
        else:
            outcome.parent_id, made = moi_volumes.ensure_folders(volume.id, item.folder, user)
            result.undo_log.extend(("folder", f) for f in made)
    joining = [o for o in placed if o.status == "created" or o.rerun is None]
    for outcome in joining:
        if outcome.status == "replaced":
            _move_over(store, result, outcome)
    if joining:
        _new_task(volume, result, joining, user, task_fields)
    reruns: dict[str, list[Outcome]] = {}
    for outcome in placed:
        if outcome.status == "replaced" and outcome.rerun is not None:
            reruns.setdefault(outcome.rerun.id, []).append(outcome)
    for group in reruns.values():
        for outcome in group:
            _move_over(store, result, outcome)
            _update_target(result, outcome, outcome.rerun.id)
        _run_again(group[0].rerun)
        started = [u for u in result.undo_log if u[0] in ("backup", "fields") and any(u[1] is o for o in group)]
        for kind, _outcome, backup in started:  # the re-run is started: the new bytes and fields stay
            if kind == "backup":
                store.delete(backup)
        result.undo_log = [u for u in result.undo_log if not any(u is s for s in started)]
        if not result.task_id:
            result.task_id = group[0].rerun.id
    for _kind, outcome, backup in [u for u in result.undo_log if u[0] == "backup"]:
        store.delete(backup)
    if not result.task_id:
        result.task_id = next((o.task_id for o in outcomes if o.task_id), "")


def _move_over(store: Any, result: ImportResult, outcome: Outcome) -> None:
    """The target's bytes to a backup, the incoming bytes to the target's uri (its document's)."""
    target = outcome.target
    backup = f"replaced/{snowflake_id()}/{target.uri.rsplit('/', 1)[-1]}"
    store.move(target.uri, backup)
    result.undo_log.append(("backup", outcome, backup))
    store.move(outcome.incoming.uri, target.uri)


def _update_target(result: ImportResult, outcome: Outcome, task_id: str, doc_id: str | None = None) -> None:
    """The replaced file takes the new name, folder, size, md5 (and task); the old values go to the undo log."""
    item, target = outcome.incoming, outcome.target
    with catalog() as c:
        row = c.volume_files.get_file(target.id)
        fields = {"name": item.name, "stem": stem_of(item.name), "parent_id": outcome.parent_id, "size": item.size,
                  "md5": item.md5, "file_type": int(file_type_for(item.name)), "task_id": task_id,
                  "updated_at": now_ts(), "ref_file_id": item.ref_file_id or row.ref_file_id}
        if doc_id:
            fields["doc_id"] = doc_id
        result.undo_log.append(("fields", outcome, {k: getattr(row, k) for k in fields}))
        c.volume_files.update(row.id, **fields)
        if row.doc_id or doc_id:
            c.documents.rename(volume_id=row.volume_id, doc_id=doc_id or row.doc_id, name=item.name)
    outcome.task_id = task_id


def _new_task(volume: Volume, result: ImportResult, joining: list[Outcome], user: str,
              task_fields: dict[str, Any]) -> None:
    connector = connector_configs.upload_connector()
    source = build_connector(connector.source_type, connector.config)
    uris = [o.incoming.uri if o.status == "created" else o.target.uri for o in joining]

    def add_rows(task: LoadTask) -> None:
        refs = record_items(task, [source.stat(u) for u in uris])
        with catalog() as c:
            for outcome, ref in zip(joining, refs, strict=True):
                item = outcome.incoming
                if outcome.status == "created":
                    c.volume_files.add(volume.id, outcome.parent_id, item.name, file_id=ref.id, size=item.size,
                                       md5=item.md5, file_type=int(file_type_for(item.name)), uri=item.uri,
                                       task_id=task.id, doc_id=ref.doc_id, ref_file_id=item.ref_file_id,
                                       created_by=user)
                    result.undo_log.append(("row", ref.id))
                    outcome.file_id, outcome.task_id = ref.id, task.id
        for outcome, ref in zip(joining, refs, strict=True):
            if outcome.status == "replaced":
                _update_target(result, outcome, task.id, ref.doc_id)

    first = joining[0].incoming.name
    fields = {"name": f"upload {first}", **task_fields}
    fields["name"] = fields["name"][:255]
    task = task_service.create_task(connector, volume, SourceConfig.once(uris), creator=user, before_run=add_rows,
                                    **fields)
    result.undo_log.append(("task", task))
    result.task_id = task.id


def _run_again(task: LoadTask) -> None:
    """Re-run the task that loads replaced files: status runnable now (a poll never sees the old run's
    "completed"), one run queued behind any in flight (runs of a task never overlap)."""
    with catalog() as c:
        task = c.tasks.get(task.id)
    if task.source.load_mode.run_once:
        task_service.update_task(task, uris=task.source.uris)
    else:
        task_service.run_task(task)


def _undo(result: ImportResult) -> None:
    """Best effort, newest first: the new task, new rows, changed fields, moved bytes, new folders."""
    store = store_from_settings()
    for entry in reversed(result.undo_log):
        try:
            if entry[0] == "task":
                task_service.delete_task(entry[1], keep_chunks=False)
            elif entry[0] == "row":
                with catalog() as c:
                    c.volume_files.remove([entry[1]])
            elif entry[0] == "backup":
                _kind, outcome, backup = entry
                store.move(backup, outcome.target.uri)
            elif entry[0] == "fields":
                _kind, outcome, old = entry
                with catalog() as c:
                    row = c.volume_files.find(outcome.target.id)
                    if row is not None:
                        c.volume_files.update(row.id, **old)
                        if row.doc_id:
                            c.documents.rename(row.volume_id, row.doc_id, old["name"])
            elif entry[0] == "folder":
                with catalog() as c:
                    c.volume_files.remove([entry[1]])
        except (IngestError, OSError) as exc:
            log.warning("could not undo %s of a failed import: %s", entry[0], exc)


def _describe(volume: Volume, result: ImportResult) -> None:
    """Fill each outcome's ids and path from the committed catalog."""
    with catalog() as c:
        folders = c.volume_files.folders([volume.id])
        for outcome in result.outcomes:
            source = outcome.twin or outcome
            row = c.volume_files.find(source.file_id) if source.file_id else None
            if row is not None:
                outcome.file_id, outcome.task_id = row.id, outcome.task_id or source.task_id or row.task_id
                outcome.parent_id, outcome.path = row.parent_id, moi_volumes.show_path(folders, row)
