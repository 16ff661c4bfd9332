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


def ok004(response, msg: str | None = None):  # noqa: ANN001, ANN201
    """The ``data`` of a seed-004 success envelope (asserting it is one, with ``msg`` when given)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["code"] == 200, body
    if msg is not None:
        assert body["msg"] == msg, body
    return body["data"]
