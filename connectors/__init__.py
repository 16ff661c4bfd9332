"""Source connectors. Importing this package registers every built-in kind."""

from ingestflow.connectors import local  # noqa: F401  (registers "local")
from ingestflow.connectors import s3  # noqa: F401  (registers "s3")
from ingestflow.connectors import minio  # noqa: F401  (registers "minio")
from ingestflow.connectors import oss  # noqa: F401  (registers "oss")
from ingestflow.connectors import hdfs  # noqa: F401  (registers "hdfs")
from ingestflow.connectors import mo  # noqa: F401  (registers "mo")
from ingestflow.connectors import dify  # noqa: F401  (registers "dify")
from ingestflow.connectors import upload  # noqa: F401  (registers "upload")
from ingestflow.connectors.base import Connector, ConnectorConfig
from ingestflow.connectors.registry import CONNECTOR_REGISTRY, build_connector, entry_for, parse_config

__all__ = ["CONNECTOR_REGISTRY", "Connector", "ConnectorConfig", "build_connector", "entry_for", "parse_config"]
