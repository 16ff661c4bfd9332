"""Source connectors. Importing this package registers every built-in kind."""

from connectors import local  # noqa: F401  (registers "local")
from connectors import s3  # noqa: F401  (registers "s3")
from connectors import minio  # noqa: F401  (registers "minio")
from connectors import oss  # noqa: F401  (registers "oss")
from connectors import hdfs  # noqa: F401  (registers "hdfs")
from connectors import mo  # noqa: F401  (registers "mo")
from connectors import dify  # noqa: F401  (registers "dify")
from connectors.base import Connector, ConnectorConfig
from connectors.registry import CONNECTOR_REGISTRY, build_connector, entry_for, parse_config

__all__ = ["CONNECTOR_REGISTRY", "Connector", "ConnectorConfig", "build_connector", "entry_for", "parse_config"]
