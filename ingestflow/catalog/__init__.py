"""The metadata catalog (SQLAlchemy 2.0, Alembic migrations): per-entity repositories in one unit of work.

    from ingestflow.catalog import catalog

    with catalog() as c:
        task = c.tasks.get(task_id)
        files = c.files.of_task(task.id)
"""

from ingestflow.catalog.files import FileRef
from ingestflow.catalog.unit import Catalog, catalog

__all__ = ["Catalog", "FileRef", "catalog"]
