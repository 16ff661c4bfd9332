"""An existing catalog gains the columns a newer release declares (no manual migration)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect

from ingestflow.catalog.db import add_missing_columns


def test_old_catalog_gets_new_columns(tmp_path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # a task_files table from an older release: few columns, one row
        conn.execute("CREATE TABLE task_files (id VARCHAR(20) PRIMARY KEY, task_id VARCHAR(20), uri TEXT)")
        conn.execute("INSERT INTO task_files VALUES ('f1', 't1', 'a.txt')")
    engine = create_engine(f"sqlite:///{db}")
    added = add_missing_columns(engine)
    assert "task_files.status" in added and "task_files.enabled" in added
    assert "task_files.uri" not in added
    columns = {c["name"] for c in inspect(engine).get_columns("task_files")}
    assert {"status", "stage", "enabled", "completed_at"} <= columns
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT status, stage, enabled, completed_at FROM task_files").one()
    assert tuple(row) == (1, "waiting", 1, None)  # the model's defaults, NULL where it has none
    assert add_missing_columns(engine) == []  # idempotent


def test_deleting_a_volume_removes_its_knowledge_base_state(tmp_path, monkeypatch) -> None:
    from ingestflow.catalog import kb, ops, queries
    from ingestflow.catalog.db import session_scope
    from ingestflow.catalog.models import DocumentState, SearchQuery, SegmentState
    from ingestflow.settings import reset_settings

    (tmp_path / "data").mkdir()
    monkeypatch.setenv("INGESTFLOW_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    try:
        keep = ops.create_volume("keep", "use-multilingual-v3", 512)
        gone = ops.create_volume("gone", "use-multilingual-v3", 512)
        for volume in (keep, gone):
            kb.save_segment(f"chunk-{volume.name}", volume.id, f"doc-{volume.name}", enabled=False)
            kb.set_document_enabled(volume.id, f"doc-{volume.name}", False)
            kb.record_search([volume.id], "q", "API", [])
        queries.delete_volume(gone.id)
        with session_scope() as s:
            for table in (SegmentState, DocumentState, SearchQuery):
                assert {row.volume_id for row in s.query(table)} == {keep.id}, table.__name__
    finally:
        reset_settings()
