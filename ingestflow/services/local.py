"""Loading a local folder on the embedded defaults (``ingestflow load``, tests, benchmarks)."""

from __future__ import annotations

from pathlib import Path

from ingestflow.settings import get_settings


def ensure_local_task(path: Path, volume_name: str, extensions: list[str] | None = None) -> str:
    """The load task for a local folder into a volume (created once, reused on re-runs)."""
    from sqlalchemy import select

    from ingestflow.connectors import parse_config
    from ingestflow.indexers.embedding import load_embedder
    from ingestflow.catalog import ops
    from ingestflow.catalog.db import session_scope
    from ingestflow.catalog.models import Connector, LoadTask
    from ingestflow.records import LoadIntervalType, SourceType

    settings = get_settings()
    root = str(path.expanduser().resolve())
    config = parse_config(SourceType.LOCAL, {"root": root, "extensions": extensions}).model_dump()
    config = {k: v for k, v in config.items() if v is not None}
    volume = ops.find_volume(volume_name)
    if volume is None:
        embedder = load_embedder(settings.embedding_model, settings.embedding_threads)
        volume = ops.create_volume(volume_name, embedder.name, embedder.dimension)
    with session_scope() as s:
        connector = next((c for c in s.scalars(select(Connector).where(Connector.source_type == int(SourceType.LOCAL)))
                          if c.config.get("root") == root), None)
    if connector is None:
        connector = ops.create_connector(f"local:{path.name or root}", SourceType.LOCAL, config)
    elif connector.config != config:
        with session_scope() as s:
            s.get(Connector, connector.id).config = config
    with session_scope() as s:
        task = s.scalar(select(LoadTask).where(LoadTask.connector_id == connector.id, LoadTask.volume_id == volume.id))
    if task is None:
        source_config = {"common_file_task_config": {
            "load_mode_config": {"load_interval_type": int(LoadIntervalType.ONCE), "interval": 0}, "uris": []}}
        task = ops.create_task(connector.id, volume.id, source_config, name=f"load {path.name}")
    return task.id
