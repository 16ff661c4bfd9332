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
