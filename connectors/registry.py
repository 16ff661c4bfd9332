"""The one explicit registry of connector kinds: the source of truth for every list of kinds.

Each connector module ends with ``register(...)``; ``connectors/__init__.py`` imports the
modules, so importing ``connectors`` fills the registry. Heavy SDKs are imported lazily
inside the connector that needs them. The API's request fields and source_type checks, the
client's kind names and the CLI's choices are all derived from ``CONNECTOR_REGISTRY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ingestflow.connectors.base import Connector, ConnectorConfig
from ingestflow.errors import ValidationFailed
from ingestflow.records import SourceType


@dataclass(frozen=True)
class ConnectorEntry:
    """A registered kind: its seed source_type, the config model and the connector class.

    ``config_field`` is the request body field holding this kind's config ("s3", "oss", …);
    ``creatable`` is False for a kind the server creates itself (``upload``).
    """

    kind: str
    source_type: SourceType
    config_model: type[ConnectorConfig]
    connector_cls: type
    config_field: str
    creatable: bool = True

    def secret_fields(self) -> set[str]:
        """The names of this kind's SecretStr config fields."""
        return {name for name, f in self.config_model.model_fields.items() if "SecretStr" in str(f.annotation)}


CONNECTOR_REGISTRY: dict[str, ConnectorEntry] = {}


def register(
    kind: str,
    source_type: SourceType,
    config_model: type[ConnectorConfig],
    connector_cls: type,
    config_field: str | None = None,
    *,
    creatable: bool = True,
) -> None:
    """Register a connector kind; registering a kind or source_type twice is a bug."""
    if kind in CONNECTOR_REGISTRY:
        raise ValueError(f"connector kind {kind!r} is already registered")
    if any(e.source_type == source_type for e in CONNECTOR_REGISTRY.values()):
        raise ValueError(f"source_type {int(source_type)} is already registered")
    CONNECTOR_REGISTRY[kind] = ConnectorEntry(kind, source_type, config_model, connector_cls, config_field or kind,
                                              creatable)


def source_types(*, creatable_only: bool = False) -> list[int]:
    """The registered source_type numbers, ascending (only those a caller may create, if asked)."""
    return sorted(int(e.source_type) for e in CONNECTOR_REGISTRY.values() if e.creatable or not creatable_only)


def describe_source_types(*, creatable_only: bool = False) -> str:
    """``"1 dify, 2 hdfs, …"``: the registered kinds by number, for help texts and messages."""
    return ", ".join(f"{n} {entry_for(n).kind}" for n in source_types(creatable_only=creatable_only))


def entry_for(source_type: int | SourceType | str) -> ConnectorEntry:
    """The registry entry for a source_type number or kind name."""
    if isinstance(source_type, str) and not source_type.isdigit():
        if source_type in CONNECTOR_REGISTRY:
            return CONNECTOR_REGISTRY[source_type]
    else:
        for entry in CONNECTOR_REGISTRY.values():
            if int(entry.source_type) == int(source_type):
                return entry
    known = ", ".join(f"{int(e.source_type)} ({e.kind})" for e in CONNECTOR_REGISTRY.values())
    raise ValidationFailed(f"unknown source_type {source_type!r}; known: {known}")


def parse_config(source_type: int | SourceType | str, raw: dict[str, Any] | None) -> ConnectorConfig:
    """Validate a raw config dict for a kind; errors name fields, never values."""
    entry = entry_for(source_type)
    if raw is None:
        raise ValidationFailed(f"field {entry.config_field!r} is required for source_type {int(entry.source_type)} ({entry.kind})")
    try:
        return entry.config_model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{entry.config_field}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValidationFailed(f"invalid {entry.kind} config: {problems}") from None


def build_connector(source_type: int | SourceType | str, config: ConnectorConfig | dict[str, Any]) -> Connector:
    """A connector instance for a kind and a (raw or parsed) config."""
    entry = entry_for(source_type)
    if not isinstance(config, ConnectorConfig):
        config = parse_config(source_type, config)
    return entry.connector_cls(config)
