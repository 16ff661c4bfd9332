"""The connector registry is the source of truth for every list of kinds: a newly registered kind
appears in the API's request models (and so OpenAPI), the Python client's names and the CLI's choices.

The kind is registered in a fresh interpreter, before those modules are imported, as a plugin
would be; this process's registry stays as shipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestflow.connectors import CONNECTOR_REGISTRY
from ingestflow.records import SourceType

SCRIPT = r'''
import json
from pydantic import Field, SecretStr
from ingestflow.connectors.base import ConnectorConfig
from ingestflow.connectors.registry import register

class WidgetConfig(ConnectorConfig):
    """Config of a test-only kind."""
    url: str = Field(..., min_length=1)
    token: SecretStr

class WidgetConnector:
    kind = "widget"
    def __init__(self, config):
        self.config = config

register("widget", 42, WidgetConfig, WidgetConnector)

from typer.testing import CliRunner
from ingestflow.api.schemas.connectors import ConnectorCreate, ConnectorListed, ConnectorUpdate
from ingestflow.client import SOURCE_TYPES
from ingestflow.client._endpoints import source_type_of
from ingestflow.cli import remote

create = ConnectorCreate.model_json_schema()
body = ConnectorCreate.model_validate({"name": "w", "source_type": 42, "widget": {"url": "http://w"}})
help_text = CliRunner().invoke(remote.connectors_app, ["create", "--help"], terminal_width=200).output
print(json.dumps({
    "create_field": create["properties"]["widget"]["anyOf"][0],
    "source_type_enum": create["properties"]["source_type"]["enum"],
    "update_field": "widget" in ConnectorUpdate.model_json_schema()["properties"],
    "listed_field": "widget" in ConnectorListed.model_fields,
    "config_for": body.config_for("widget"),
    "client": SOURCE_TYPES.get("widget"), "client_of": source_type_of("widget"),
    "cli_choices": remote.CONNECTOR_KINDS, "cli_list": remote.LISTED_KINDS, "cli_help": "widget" in help_text,
}))
'''


def test_a_new_kind_reaches_the_api_client_and_cli(tmp_path: Path) -> None:
    env = {**os.environ, "INGESTFLOW_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["create_field"]["properties"]["token"]["writeOnly"] is True
    assert got["create_field"]["required"] == ["url", "token"]
    assert 42 in got["source_type_enum"] and int(SourceType.UPLOAD) not in got["source_type_enum"]
    assert got["update_field"] and got["listed_field"] and got["config_for"] == {"url": "http://w"}
    assert got["client"] == got["client_of"] == 42
    assert "widget" in got["cli_choices"] and "widget" in got["cli_list"] and got["cli_help"]
    assert "upload" not in got["cli_choices"] and "upload" in got["cli_list"]


def test_the_shipped_lists_are_the_registry() -> None:
    from ingestflow.api.schemas.connectors import ConnectorCreate
    from ingestflow.cli import remote
    from ingestflow.client import SOURCE_TYPES

    assert SOURCE_TYPES == {kind: int(e.source_type) for kind, e in CONNECTOR_REGISTRY.items()}
    assert set(remote.CONNECTOR_KINDS) == {k for k, e in CONNECTOR_REGISTRY.items() if e.creatable}
    assert remote.LISTED_KINDS == list(CONNECTOR_REGISTRY)
    fields = set(ConnectorCreate.model_fields)
    assert all((e.config_field in fields) == e.creatable for e in CONNECTOR_REGISTRY.values())
    assert {int(e.source_type) for e in CONNECTOR_REGISTRY.values()} == {int(t) for t in SourceType}
