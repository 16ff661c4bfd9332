"""The catalog schema is Alembic's: fresh databases, 0.1.0 catalogs and older ones all reach the newest revision."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, inspect

from ingestflow.catalog.db import current_revision, migrate

LEGACY = Path(__file__).resolve().parents[1] / "support" / "data" / "catalog-0.1.0.db"


def _head() -> str:
    from alembic.script import ScriptDirectory

    from ingestflow.catalog.db import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _columns(engine) -> dict[str, set[str]]:  # noqa: ANN001
    insp = inspect(engine)
    return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}


def test_a_catalog_from_before_0_1_0_gets_the_missing_columns(tmp_path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # a task_files table from an older release: few columns, one row
        conn.execute("CREATE TABLE task_files (id VARCHAR(20) PRIMARY KEY, task_id VARCHAR(20), uri TEXT)")
        conn.execute("INSERT INTO task_files VALUES ('f1', 't1', 'a.txt')")
    engine = create_engine(f"sqlite:///{db}")
    migrate(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("task_files")}
    assert {"status", "stage", "enabled", "completed_at"} <= columns
    assert "uri" in columns
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT status, stage, enabled, completed_at FROM task_files").one()
    assert tuple(row) == (1, "waiting", 1, None)  # the model's defaults, NULL where it has none
    assert inspect(engine).has_table("load_runs")  # missing tables are created
    before = _columns(engine)
    migrate(engine)  # idempotent
    assert _columns(engine) == before
    assert current_revision(engine) == _head()


def test_a_0_1_0_catalog_is_upgraded_in_place_and_keeps_its_data(tmp_path) -> None:
    db = tmp_path / "catalog.db"
    shutil.copy(LEGACY, db)
    engine = create_engine(f"sqlite:///{db}")
    assert current_revision(engine) is None  # 0.1.0 had no Alembic
    migrate(engine)
    assert current_revision(engine) == _head()
    with engine.connect() as conn:
        volumes = conn.exec_driver_sql("SELECT name, description, tenant_code FROM volumes").all()
        tasks = conn.exec_driver_sql("SELECT name FROM load_tasks ORDER BY id").all()
        files = conn.exec_driver_sql("SELECT uri, status, stage, segment_count, indexed_version FROM task_files").all()
        runs = conn.exec_driver_sql("SELECT status, files_added, chunks_written FROM load_runs").all()
        segments = conn.exec_driver_sql("SELECT chunk_id, enabled FROM segment_states").all()
        names = conn.exec_driver_sql("SELECT name, hit_count FROM document_states").all()
        queries = conn.exec_driver_sql("SELECT query, source FROM search_queries").all()
    assert [tuple(v) for v in volumes] == [("legacy-vol", "made by 0.1.0", "t1")]
    assert [t[0] for t in tasks] == ["upload 报告.txt", "lake hourly"]
    assert [tuple(f) for f in files] == [("2127/报告.txt", 5, "completed", 2, "v1#fp")]
    assert [tuple(r) for r in runs] == [("completed", 1, 2)]
    assert [tuple(s) for s in segments] == [("chunk-1", 0)]
    assert [tuple(n) for n in names] == [("年度报告", 1)]
    assert [tuple(q) for q in queries] == [("年度报告", "API")]
    with engine.connect() as conn:
        connectors = dict(conn.exec_driver_sql("SELECT name, source_type FROM connectors").all())
    assert connectors == {"uploads": 7, "lake": 5}  # 0.1.0's local "uploads" connector is the upload kind now


def test_the_models_match_the_migrated_schema(tmp_path) -> None:
    """A fresh database migrated to head has exactly the tables and columns the ORM models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ingestflow.catalog.models import Base

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    structural = [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "remove_table", "add_column",
                                                                         "remove_column")]
    assert structural == []


def test_deleting_a_volume_removes_its_knowledge_base_state(tmp_path, settings_env) -> None:
    from ingestflow.catalog import catalog
    from ingestflow.catalog.knowledge import record_search
    from ingestflow.catalog.models import DocumentState, SearchQuery, SegmentState

    (tmp_path / "data").mkdir()
    settings_env("INGESTFLOW_DATA_DIR", str(tmp_path / "data"))
    with catalog() as c:
        keep = c.volumes.create("keep", "use-multilingual-v3", 512)
        gone = c.volumes.create("gone", "use-multilingual-v3", 512)
    for volume in (keep, gone):
        with catalog() as c:
            c.segments.save(f"chunk-{volume.name}", volume.id, f"doc-{volume.name}", enabled=False)
            c.documents.set_enabled(volume.id, f"doc-{volume.name}", False)
        record_search([volume.id], "q", "API", [])
    with catalog() as c:
        c.volumes.delete(gone.id)
    with catalog() as c:
        for table in (SegmentState, DocumentState, SearchQuery):
            assert {row.volume_id for row in c.session.query(table)} == {keep.id}, table.__name__
