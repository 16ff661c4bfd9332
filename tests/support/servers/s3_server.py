"""An S3 test server: moto's real S3 server (``ThreadedMotoServer``) on 127.0.0.1, with IAM auth on.

After ``start()`` an IAM user with an ``s3:*`` policy and one access key exist, and moto's
request authentication is switched on (as ``/moto-api/reset-auth`` does), so wrong keys and wrong
signatures are rejected exactly as moto models S3 (InvalidAccessKeyId, SignatureDoesNotMatch).
"""

from __future__ import annotations

import json
import logging
from typing import Any

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
REGION = "us-east-1"


class S3TestServer:
    """moto's S3 server in a thread, with one IAM user's keys in ``access_key`` / ``secret_key``."""

    def __init__(self) -> None:
        self._server: Any = None
        self.port = 0
        self.access_key = ""
        self.secret_key = ""

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def start(self) -> S3TestServer:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        iam = self._client("iam", "AKIAIOSFODNN7EXAMPLE", "setup")
        iam.create_user(UserName="ingest")
        iam.put_user_policy(UserName="ingest", PolicyName="s3-all", PolicyDocument=json.dumps(POLICY))
        key = iam.create_access_key(UserName="ingest")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        self._set_auth(0)
        return self

    @staticmethod
    def _set_auth(free_requests: float) -> None:
        """What moto's ``/moto-api/reset-auth`` does; set in-process since the server runs here."""
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        settings.INITIAL_NO_AUTH_ACTION_COUNT = free_requests
        ActionAuthenticatorMixin.request_count = 0

    def _client(self, service: str, key: str, secret: str) -> Any:
        import boto3

        return boto3.session.Session().client(
            service, endpoint_url=self.url, aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION
        )

    def client(self) -> Any:
        """A boto3 S3 client with the valid keys (for seeding buckets and objects)."""
        return self._client("s3", self.access_key, self.secret_key)

    def stop(self) -> None:
        if self._server is not None:
            self._set_auth(float("inf"))
            self._server.stop()
            self._server = None
