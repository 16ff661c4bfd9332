"""Engine, migrations and units of work for the catalog (SQLite by default, PostgreSQL by URL).

The schema is owned by Alembic (``ingestflow/catalog/migrations``): the first engine of a process
for a URL upgrades that database to the newest revision, so a catalog made by an earlier release
is upgraded in place. Callers work through a unit of work::

    with catalog() as c:                  # one transaction: commit on success, rollback on error
        task = c.tasks.get(task_id)
        c.files.mark([...])
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ingestflow.settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")
_migrate_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config(engine: Engine):  # noqa: ANN201
    """An Alembic config for ``engine`` (no alembic.ini: the script location is the package's)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the catalog at ``engine`` to ``revision`` (idempotent; concurrent callers wait)."""
    from alembic import command

    with _migrate_lock:
        command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The catalog's Alembic revision (None for a database no release has touched)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process, its database upgraded to the newest schema."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30} if is_sqlite else {},
        pool_pre_ping=not is_sqlite,
    )
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def get_engine() -> Engine:
    """The engine for the configured catalog URL."""
    return engine_for(get_settings().catalog_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = sessionmaker(bind=get_engine(), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
