"""Connector configs: validated and stored with secrets in clear for the connector (the catalog encrypts
the whole config at rest), masked on the way out, scrubbed from messages; the one upload connector."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import SecretStr

from ingestflow.catalog import catalog
from ingestflow.catalog.models import Connector
from ingestflow.connectors import entry_for, parse_config
from ingestflow.records import SourceType

MASK = "******"
UPLOAD_CONNECTOR_NAME = "uploads"
_upload_connector_lock = threading.Lock()  # two first uploads at once must not create two connectors


# --- connector configs -----------------------------------------------------------------------

def _walk(value: Any, secret: Any) -> Any:
    if isinstance(value, SecretStr):
        return secret(value)
    if isinstance(value, dict):
        return {k: _walk(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, secret) for v in value]
    return value


def secret_fields(source_type: int) -> set[str]:
    """The names of a kind's SecretStr config fields."""
    return entry_for(source_type).secret_fields()


def storable_config(source_type: int, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a kind's config and return it as stored (secrets in clear, for the connector)."""
    parsed = parse_config(source_type, raw)
    return _walk(parsed.model_dump(), lambda s: s.get_secret_value())


def masked_config(source_type: int, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config with every secret replaced by "******"."""
    secrets = secret_fields(source_type)
    try:
        dumped = entry_for(source_type).config_model.model_validate(stored).model_dump()
    except Exception:  # noqa: BLE001 - a config stored by an older version: mask by field name
        dumped = dict(stored)
    return {k: (MASK if k in secrets and v not in (None, "") else _walk(v, lambda _s: MASK))
            for k, v in dumped.items()}


def scrub(text: str, source_type: int, raw: dict[str, Any]) -> str:
    """``text`` with every secret value of a config replaced by the mask."""
    for name in secret_fields(source_type):
        value = raw.get(name)
        value = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(value, str) and len(value) >= 3:
            text = text.replace(value, MASK)
    return text


def merged_config(connector: Connector, sent: dict[str, Any]) -> dict[str, Any]:
    """A partial config update: sent fields replace stored ones; a masked secret keeps the stored one."""
    secrets = secret_fields(connector.source_type)
    merged = dict(connector.config or {})
    for key, value in sent.items():
        if key in secrets and value == MASK:
            continue
        merged[key] = value
    return storable_config(connector.source_type, merged)


def config_from_body(body: Any, source_type: int) -> dict[str, Any] | None:
    """The config a request body carries under the kind's field (``s3``, ``oss`` …), if any."""
    return body.config_for(entry_for(source_type).config_field)


def upload_connector() -> Connector:
    """The single upload connector (source_type 7, config ``{}``: its store is the deployment's
    INGESTFLOW_UPLOAD_STORE), created on first use."""
    with _upload_connector_lock, catalog() as c:
        found = c.connectors.of_kind(SourceType.UPLOAD)
        if found:
            return found[0]
        return c.connectors.create(UPLOAD_CONNECTOR_NAME, SourceType.UPLOAD, storable_config(SourceType.UPLOAD, {}),
                                   usage_type=["upload"])
