"""The Python client reads every API family's envelope: seed 002/000 ``code: OK``, seed 003 ``success``, seed 004
``{"status", "code": int, "msg", "data"}``."""

from __future__ import annotations

import json

import pytest

from ingestflow.client._core import Call, decode
from ingestflow.client.errors import IngestflowAPIError

CALL = Call("POST", "/vector_db_service/search_from_vector_db")


def _body(obj) -> bytes:  # noqa: ANN001
    return json.dumps(obj, ensure_ascii=False).encode()


def test_seed004_success_gives_its_data():
    body = {"status": "success", "code": 200, "msg": "从素材库查询成功", "data": {"entities": [[]]}}
    assert decode(CALL, 200, _body(body)) == {"entities": [[]]}


def test_seed004_failure_raises_with_its_msg():
    body = {"status": "fail", "code": 400, "msg": "插入文档到素材库：成功[1]个,失败[1]个", "data": ""}
    with pytest.raises(IngestflowAPIError) as err:
        decode(CALL, 400, _body(body))
    assert "成功[1]个" in str(err.value)


def test_other_families_still_decode():
    assert decode(CALL, 200, _body({"code": "OK", "msg": "OK", "data": 1})) == 1
    assert decode(CALL, 200, _body({"code": "success", "data": 2, "message": ""})) == 2
