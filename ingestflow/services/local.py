"""Loading a local folder on the embedded defaults (``ingestflow load``, tests, benchmarks)."""

from __future__ import annotations

from pathlib import Path

from ingestflow.catalog import catalog
from ingestflow.connectors import parse_config
from ingestflow.records import SourceType
from ingestflow.settings import get_settings
from ingestflow.taskconfig import SourceConfig


def ensure_local_task(path: Path, volume_name: str, extensions: list[str] | None = None) -> str:
    """The run-once load task for a local folder into a volume (created once, reused on re-runs)."""
    from ingestflow.indexers.embedding import load_embedder

    settings = get_settings()
    root = str(path.expanduser().resolve())
    config = parse_config(SourceType.LOCAL, {"root": root, "extensions": extensions}).model_dump()
    config = {k: v for k, v in config.items() if v is not None}
    with catalog() as c:
        volume = c.volumes.by_name(volume_name)
    if volume is None:  # the model is loaded only to record its name and dimension on a new volume
        embedder = load_embedder(settings.embedding_model, settings.embedding_threads)
        with catalog() as c:
            volume = c.volumes.create(volume_name, embedder.name, embedder.dimension)
    with catalog() as c:
        connector = next((k for k in c.connectors.of_kind(SourceType.LOCAL) if (k.config or {}).get("root") == root),
                         None)
        if connector is None:
            connector = c.connectors.create(f"local:{path.name or root}", SourceType.LOCAL, config)
        elif connector.config != config:
            connector.config = config
        task = c.tasks.find_for(connector.id, volume.id)
        if task is None:
            task = c.tasks.create(connector.id, volume.id, SourceConfig.once(), name=f"load {path.name}")
        return task.id
