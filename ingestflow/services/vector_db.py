"""Seed 004's 素材库 (vector-DB service): the global DOC and QA collections, and what lives in them.

Each collection type is a volume underneath (one catalog record, one Milvus collection), named
``GLOBAL[kind]``: seed 002 sees it in ``/volumes`` and seed 003 as a dataset. Tenant and org codes
are stamped on what is added (on its load task, hence on its chunks), so one global collection holds
every tenant's data, filtered at search time; ``del_collection`` with codes removes one tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable

from ingestflow.catalog import catalog
from ingestflow.catalog.models import Volume, VolumeFile
from ingestflow.errors import Forbidden
from ingestflow.services import moi_files
from ingestflow.settings import get_settings
from ingestflow.tenancy import Scope

KINDS = ("DOC", "QA")
GLOBAL = {"DOC": "seed004-DOC", "QA": "seed004-QA"}
"""The volume behind each global collection type."""
DESCRIPTIONS = {"DOC": "Seed 004 global document collection (素材库 DOC)",
                "QA": "Seed 004 global question-answer collection (素材库 QA)"}


def global_volume(kind: str) -> Volume | None:
    """The volume of a collection type, None before ``new_collection`` (or the first add) made it."""
    with catalog() as c:
        return c.volumes.by_name(GLOBAL[kind])


def ensure_collections(dimension_of: Callable[[str], int]) -> dict[str, Volume]:
    """Both global volumes, created when missing (``dimension_of(model)`` sizes their vectors)."""
    model = get_settings().embedding_model
    out: dict[str, Volume] = {}
    for kind in KINDS:
        volume = global_volume(kind)
        if volume is None:
            dimension = dimension_of(model)
            with catalog() as c:
                volume = c.volumes.by_name(GLOBAL[kind]) or c.volumes.create(
                    GLOBAL[kind], model, dimension, description=DESCRIPTIONS[kind])
        out[kind] = volume
    return out


def scoped(scope: Scope, tenant_code: str | None, org_code: str | None) -> tuple[str, str]:
    """The (tenant, org) codes a write acts for: a tenant-bound key's own, whatever the request says."""
    if scope.is_admin:
        return tenant_code or "", org_code or ""
    if tenant_code and tenant_code != scope.tenant_code or (scope.org_code and org_code
                                                             and org_code != scope.org_code):
        raise Forbidden("this key is bound to another tenant/org than the request names")
    return scope.tenant_code or "", scope.org_code or org_code or ""


def doc_volume_ids(volume_ids: list[str]) -> list[str]:
    """What a DOC search covers: the named volumes, else every volume but the QA collection."""
    if volume_ids:
        return list(dict.fromkeys(volume_ids))
    with catalog() as c:
        return [v.id for v in c.volumes.all() if v.name != GLOBAL["QA"]]


def files_of(volume: Volume, tenant_code: str | None, org_code: str | None,
             names: list[str] | None = None) -> list[VolumeFile]:
    """The volume's files whose task carries the codes (None: any), optionally only those named."""
    with catalog() as c:
        rows = c.volume_files.of_volume(volume.id, files_only=True)
        keep = []
        for row in rows:
            if names is not None and row.name not in names:
                continue
            task = c.tasks.find(row.task_id) if row.task_id else None
            tenant, org = c.tasks.scope(task) if task is not None else ("", "")
            if tenant_code is not None and tenant != tenant_code:
                continue
            if org_code is not None and org != org_code:
                continue
            keep.append(row)
        return keep


def delete_data(scope: Scope, tenant_code: str | None, org_code: str | None) -> int:
    """Remove the global collections' files (chunks, catalog rows, bytes) for the codes; all without any.

    A tenant-bound key only ever removes its own tenant's data. Returns how many files went."""
    if not scope.is_admin:
        tenant_code, org_code = scope.tenant_code, scope.org_code or org_code or None
    removed = 0
    for kind in KINDS:
        volume = global_volume(kind)
        if volume is None:
            continue
        rows = files_of(volume, tenant_code or None, org_code or None)
        moi_files.delete_files(rows)
        removed += len(rows)
    return removed
