"""Alembic environment of the catalog: runs online against the engine ``catalog.db.migrate`` passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from ingestflow.catalog.models import Base

config = context.config


def run() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # several hosts may start at once: one migrates, the others wait and find it done
            connection.execute(text("SELECT pg_advisory_xact_lock(7420153361)"))
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=False)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
