"""Fixtures for the connector contract suite: one test server per protocol (session scope)
and one ``Harness`` per registered connector kind, each test getting a fresh bucket /
directory / dataset / table so tests do not see each other's data.
"""

from __future__ import annotations

import atexit
import itertools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingestflow.connectors import CONNECTOR_REGISTRY
from tests.support.servers import mariadb_server
from tests.support.servers.dify_server import DifyTestServer
from tests.support.servers.mariadb_server import MariaDbTestServer, free_port
from tests.support.servers.oss_adapter import OssAdapter
from tests.support.servers.s3_server import S3TestServer
from tests.support.servers.webhdfs_server import WebHdfsTestServer

PLANTED = "SuperSecret-Planted-123"
DIFY_KEY = "dataset-good-key-0001"
OSS_ID, OSS_SECRET = "oss-test-id", "oss-test-secret"
KINDS = list(CONNECTOR_REGISTRY)  # every registered kind passes the contract: a new one needs a harness below
_counter = itertools.count(1)
_s3: S3TestServer | None = None


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


def shared_s3_server() -> S3TestServer:
    """The process's one moto S3 server (moto's backends are process-global: a second server
    started in the same process shares them and cannot set up its own IAM user)."""
    global _s3
    if _s3 is None:
        _s3 = S3TestServer().start()
        atexit.register(_s3.stop)
    return _s3


@pytest.fixture(scope="session")
def s3_server():
    return shared_s3_server()


@pytest.fixture(scope="session")
def oss_server(s3_server):
    adapter = OssAdapter(s3_server.url, s3_server.access_key, s3_server.secret_key, {OSS_ID: OSS_SECRET}).start()
    yield adapter
    adapter.stop()


@pytest.fixture(scope="session")
def hdfs_server(tmp_path_factory):
    server = WebHdfsTestServer(tmp_path_factory.mktemp("hdfs"), denied_users={"mallory"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dify_server():
    server = DifyTestServer(DIFY_KEY).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mariadb():
    if not mariadb_server.available():
        pytest.skip("mariadbd / mariadb-install-db are not installed (apt-get install mariadb-server)")
    server = MariaDbTestServer().start()
    yield server
    server.stop()


class Harness:
    """How the contract suite drives one kind: configs, and writing/changing source content."""

    kind = ""
    typed = True  # items carry per-name file types
    has_dirs = True

    @property
    def field_prefix(self) -> str:
        """How the names of the config fields a rejected credential asks to fix begin."""
        return f"{CONNECTOR_REGISTRY[self.kind].config_field}."

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def bad_auth_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def unreachable_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def put(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def change(self, name: str, data: bytes) -> None:
        self.put(name, data)

    def before_load(self) -> None:
        """Called before a load flow reads this source (end-to-end test)."""

    dir_uri = "sub/"


class LocalHarness(Harness):
    kind = "local"
    dir_uri = "sub"

    def __init__(self, tmp: Path) -> None:
        self.root = tmp / "root"
        self.root.mkdir()

    def config(self):
        return {"root": str(self.root)}

    def bad_auth_config(self):  # local has no credentials: a missing directory is the failure
        return {"root": str(self.root / "missing")}

    def unreachable_config(self):
        return None

    def put(self, name, data):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class S3Harness(Harness):
    kind = "s3"

    def __init__(self, server: S3TestServer) -> None:
        self.server, self.bucket = server, _unique("bucket")
        self.client = server.client()
        self.client.create_bucket(Bucket=self.bucket)

    def config(self):
        return {"endpoint": self.server.endpoint, "access_key_id": self.server.access_key,
                "access_key_secret": self.server.secret_key, "bucket_name": self.bucket}

    def bad_auth_config(self):
        return {**self.config(), "access_key_secret": PLANTED}

    def unreachable_config(self):
        return {**self.config(), "endpoint": f"127.0.0.1:{free_port()}"}

    def put(self, name, data):
        self.client.put_object(Bucket=self.bucket, Key=name, Body=data)


class MinioHarness(S3Harness):
    kind = "minio"


class OssHarness(S3Harness):
    kind = "oss"

    def __init__(self, server: S3TestServer, adapter: OssAdapter) -> None:
        super().__init__(server)
        self.adapter = adapter

    def config(self):
        return {"endpoint": self.adapter.endpoint, "access_key_id": OSS_ID, "access_key_secret": OSS_SECRET,
                "bucket_name": self.bucket}


class HdfsHarness(Harness):
    kind = "hdfs"
    dir_uri = "sub"

    def __init__(self, server: WebHdfsTestServer) -> None:
        self.server, self.root = server, "/" + _unique("data")
        server.local(self.root).mkdir(parents=True)

    def config(self):
        return {"address": self.server.address, "auth_type": 1, "username": "alice", "file_path": self.root}

    def bad_auth_config(self):
        return {**self.config(), "username": "mallory"}

    def unreachable_config(self):
        return {**self.config(), "address": f"127.0.0.1:{free_port()}"}

    def put(self, name, data):
        path = self.server.local(f"{self.root}/{name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class MoHarness(Harness):
    kind = "mo"
    typed = has_dirs = False  # row sets are rendered TXT; open() gives the rendering (len == size)

    def __init__(self, server: MariaDbTestServer) -> None:
        self.server, self.table = server, _unique("docs").replace("-", "_")
        self._sql(f"CREATE TABLE `{self.table}` (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200), "
                  "body TEXT, updated_at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) "
                  "ON UPDATE CURRENT_TIMESTAMP(6))")
        self.dir_uri = f"table/{self.table}"

    def config(self):
        s = self.server
        return {"host": "127.0.0.1", "port": s.port, "username": s.user, "password": s.password,
                "database": s.database, "table": self.table, "rows_per_document": 2}

    def bad_auth_config(self):
        return {**self.config(), "password": PLANTED}

    def unreachable_config(self):
        return {**self.config(), "port": free_port()}

    def _sql(self, sql, params=()):
        conn = self.server.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
        finally:
            conn.close()

    def put(self, name, data):
        self._sql(f"INSERT INTO `{self.table}` (title, body) VALUES (%s, %s)", (name, data.decode()))

    def change(self, name, data):
        self._sql(f"UPDATE `{self.table}` SET body=%s WHERE title=%s", (data.decode(), name))


class DifyHarness(Harness):
    kind = "dify"
    has_dirs = False  # segments joined with blank lines give back exactly the text put

    def __init__(self, server: DifyTestServer) -> None:
        self.server = server
        self.dataset = server.add_dataset(_unique("kb"))
        self.docs: dict[str, str] = {}
        self.dir_uri = f"dify://{self.dataset}"

    def config(self):
        return {"api_url": self.server.url, "api_key": DIFY_KEY, "dataset_ids": [self.dataset]}

    def bad_auth_config(self):
        return {**self.config(), "api_key": PLANTED}

    def unreachable_config(self):
        return {**self.config(), "api_url": f"http://127.0.0.1:{free_port()}/v1"}

    def put(self, name, data):
        self.docs[name] = self.server.add_document(self.dataset, name, data.decode().split("\n\n"))

    def change(self, name, data):
        self.server.edit_document(self.dataset, self.docs[name], data.decode().split("\n\n"))


class UploadHarness(Harness):
    """The upload kind over an S3 upload store on the moto server (the directory store has its own
    tests in test_upload_store.py). Its config is ``{}``: where uploads live is the deployment's
    setting, so ``config()`` and the bad configs set ``INGESTFLOW_UPLOAD_*`` for the connector
    built next, and return ``{}``. Content is put through the store itself."""

    kind = "upload"
    field_prefix = "INGESTFLOW_UPLOAD_S3__"

    def __init__(self, server: S3TestServer, settings_env: Callable[[str, str], None]) -> None:
        from ingestflow.connectors.upload import store_from_settings

        self.server, self.bucket, self._set = server, _unique("uploads"), settings_env
        server.client().create_bucket(Bucket=self.bucket)
        self.config()
        self.store = store_from_settings()  # built with the good settings, whatever a test sets later

    def _settings(self, endpoint: str, secret: str) -> dict[str, Any]:
        for name, value in (("STORE", f"s3://{self.bucket}/store/prefix"), ("S3__ENDPOINT", endpoint),
                            ("S3__ACCESS_KEY_ID", self.server.access_key), ("S3__ACCESS_KEY_SECRET", secret)):
            self._set(f"INGESTFLOW_UPLOAD_{name}", value)
        return {}

    def config(self):
        return self._settings(self.server.endpoint, self.server.secret_key)

    def bad_auth_config(self):
        return self._settings(self.server.endpoint, PLANTED)

    def unreachable_config(self):
        return self._settings(f"127.0.0.1:{free_port()}", self.server.secret_key)

    def put(self, name, data):
        self.store.put(name, [data])

    def before_load(self) -> None:
        """Parse workers read the store from their settings, taken when they were spawned (earlier in the
        session); as a deployment restarts its workers when the store changes, let them respawn."""
        from ingestflow.flows.parse_pool import parse_pool
        from ingestflow.settings import get_settings

        settings = get_settings()
        parse_pool(settings.parse_workers, settings.parse_nice).close()  # killed workers are replaced on use


HARNESSES: dict[str, Callable[[pytest.FixtureRequest, Path], Harness]] = {
    "local": lambda request, tmp: LocalHarness(tmp),
    "s3": lambda request, tmp: S3Harness(request.getfixturevalue("s3_server")),
    "minio": lambda request, tmp: MinioHarness(request.getfixturevalue("s3_server")),
    "oss": lambda request, tmp: OssHarness(request.getfixturevalue("s3_server"), request.getfixturevalue("oss_server")),
    "hdfs": lambda request, tmp: HdfsHarness(request.getfixturevalue("hdfs_server")),
    "mo": lambda request, tmp: MoHarness(request.getfixturevalue("mariadb")),
    "dify": lambda request, tmp: DifyHarness(request.getfixturevalue("dify_server")),
    "upload": lambda request, tmp: UploadHarness(request.getfixturevalue("s3_server"),
                                                 request.getfixturevalue("settings_env")),
}


@pytest.fixture(params=KINDS)
def harness(request, tmp_path) -> Harness:
    if request.param not in HARNESSES:
        pytest.fail(f"connector kind {request.param!r} is registered but has no contract harness in conftest.py")
    return HARNESSES[request.param](request, tmp_path)
