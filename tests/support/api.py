"""Shared pieces of the API tests: the dev key, a planted secret, the seed-002 envelope check."""

from __future__ import annotations

KEY = "ingestflow-dev-key"
SECRET = "PLANTED-s3cr3t-9f8e7d"


def ok_data(response) -> dict | None:  # noqa: ANN001
    """The ``data`` of a seed-002 success envelope (asserting it is one)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "OK" and body["msg"] == "OK", body
    return body.get("data")

BEARER = {"Authorization": f"Bearer {KEY}", "moi-key": ""}
"""Seed 003's auth header (the client fixture's default moi-key blanked)."""


def ok003(response, message: str | None = None):  # noqa: ANN001, ANN201
    """The ``data`` of a seed-003 success envelope (asserting it is one, and its message when given)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "success", body
    if message is not None:
        assert body["message"] == message, body
    return body["data"]


def err003(response, status: int, code: str) -> str:  # noqa: ANN001
    """The message of a seed-003 error envelope (asserting status and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["data"] == {}, body
    return body["message"]


class Seed003Client:
    """A test client that sends seed 003's Bearer auth on ``/datasets`` and ``/upload-files`` paths
    (other paths keep the wrapped client's ``moi-key``); a request's own headers win."""

    def __init__(self, client, key: str = KEY) -> None:  # noqa: ANN001
        self._client, self._headers = client, {"Authorization": f"Bearer {key}", "moi-key": ""}

    def _call(self, method: str, path: str, **kwargs):  # noqa: ANN003, ANN202
        if path.startswith(("/datasets", "/upload-files")):
            kwargs["headers"] = {**self._headers, **(kwargs.get("headers") or {})}
        return getattr(self._client, method)(path, **kwargs)

    def get(self, path: str, **kwargs):  # noqa: ANN003, ANN201
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs):  # noqa: ANN003, ANN201
        return self._call("post", path, **kwargs)

def ok004(response, msg: str | None = None):  # noqa: ANN001, ANN201
    """The ``data`` of a seed-004 success envelope (asserting it is one, with ``msg`` when given)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["code"] == 200, body
    if msg is not None:
        assert body["msg"] == msg, body
    return body["data"]
