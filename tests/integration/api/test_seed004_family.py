"""Seed 004's family over a live app: envelope, auth, the global DOC/QA collections, URL and QA ingestion,
chat_service uploads — with the seed's own request examples and bad input."""

from __future__ import annotations

import os

import pytest

from tests.support.api import KEY, ok004
from tests.support.docserver import doc_server

NO_KEY = {"moi-key": ""}
BEARER = {"Authorization": f"Bearer {KEY}", "moi-key": ""}
SEARCH = "/vector_db_service/search_from_vector_db"


def _fail(response, status: int) -> str:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "fail" and body["code"] == status and body["data"] == "", body
    return body["msg"]


def test_new_collection_makes_the_global_doc_and_qa_volumes(client):
    ok004(client.post("/vector_db_service/new_collection", json={}), "成功创建全局素材库")
    ok004(client.post("/vector_db_service/new_collection", json={}), "成功创建全局素材库")  # idempotent
    names = [v["name"] for v in client.get("/volumes/list", params={"page_size": 100}).json()["data"]["volumes"]]
    assert names.count("seed004-DOC") == 1 and names.count("seed004-QA") == 1


def test_missing_or_wrong_key_is_a_401_in_the_envelope(client):
    for headers in (NO_KEY, {"moi-key": "nope"}, {"Authorization": "Bearer nope", "moi-key": ""}):
        msg = _fail(client.post(SEARCH, json={"query": "x", "collection_type": "DOC"}, headers=headers), 401)
        assert "key" in msg


def test_bearer_and_moi_key_both_work(client):
    ok004(client.post("/vector_db_service/new_collection", json={}, headers=BEARER), "成功创建全局素材库")
    data = ok004(client.post(SEARCH, json={"query": "无关的问题", "collection_type": "QA"}, headers=BEARER),
                 "从素材库查询成功")
    assert data == {"entities": [[]]}


def test_the_open_setting_lets_key_less_calls_in(client, settings_env):
    settings_env("INGESTFLOW_SEED004_OPEN", "true")
    ok004(client.post("/vector_db_service/new_collection", json={}, headers=NO_KEY))
    _fail(client.post(SEARCH, json={"query": "x", "collection_type": "DOC"}, headers={"moi-key": "nope"}), 401)


@pytest.mark.parametrize("body, field", [
    ({"query": "x"}, "collection_type"),
    ({"query": "x", "collection_type": "FAQ"}, "collection_type"),
    ({"query": "", "collection_type": "DOC"}, "query"),
    ({"query": "x", "collection_type": "DOC", "limit": 0}, "limit"),
    ({"query": "x", "collection_type": "DOC", "vector_similarity_threshold": 2}, "vector_similarity_threshold"),
    ({"query": "x", "collection_type": "DOC", "filter_expr": "tenant_code == 'a' or 1 == 1"}, "filter_expr"),
])
def test_bad_search_input_is_a_400_naming_the_field(client, body, field):
    assert field in _fail(client.post(SEARCH, json=body), 400)


def test_seed002_routes_keep_their_envelope(client):
    response = client.get("/volumes/list", headers={"moi-key": "nope"})
    assert response.status_code == 401 and response.json()["code"] == "ErrAuth"


# --- documents by URL: a local web server, 127.0.0.0/8 allowed, a worker of our own pool ------------------

POOL = "ingestflow-seed004-tests"
PANDA = "大熊猫主要以竹子为食，每天要吃十几公斤竹子。它们生活在四川的山林里。\n"
TRAIN = "高铁退票手续费：开车前八天以上免费，四十八小时以上收取百分之五。\n"
LIGHT = "The lighthouse keeper climbs one hundred steps every evening to light the lamp.\n"


@pytest.fixture(scope="module")
def loads(client):
    """Load runs of this module go to a pool of their own, served by a worker started here."""
    from ingestflow.settings import get_settings, reset_settings
    from tests.support.stack import base_env, prefect_worker

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INGESTFLOW_WORK_POOL", POOL)
        mp.setenv("INGESTFLOW_FETCH_ALLOW_NETWORKS", '["127.0.0.0/8"]')
        reset_settings()
        env = base_env(get_settings().resolved_data_dir, INGESTFLOW_WORK_POOL=POOL,
                       INGESTFLOW_MILVUS_URI=os.environ["INGESTFLOW_MILVUS_URI"])
        with prefect_worker(env, name="seed004-worker"), doc_server() as docs:
            docs.docs.update({"/panda.txt": PANDA.encode(), "/train.md": ("# 退票\n\n" + TRAIN).encode(),
                              "/light.txt": LIGHT.encode(), "/empty.txt": b""})
            yield docs
    reset_settings()


def _search(client, query: str, kind: str = "DOC", **extra) -> list[dict]:  # noqa: ANN001
    return ok004(client.post(SEARCH, json={"query": query, "collection_type": kind, "limit": 5, **extra}),
                 "从素材库查询成功")["entities"][0]


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_add_document_then_search_then_delete(client, loads):
    body = {"tenant_code": "t1", "org_code": "orgA", "doc_url": f"{loads.base}/panda.txt", "doc_name": "熊猫.txt"}
    ok004(client.post("/vector_db_service/add_document", json=body), "成功插入文档到素材库")
    hits = _search(client, "大熊猫吃什么", tenant_code="t1", org_code="orgA")
    assert hits and hits[0]["doc_name"] == "熊猫.txt" and "竹子" in hits[0]["content"] and 0 < hits[0]["score"] <= 1
    assert not [h for h in _search(client, "大熊猫吃什么", tenant_code="t2") if h["doc_name"] == "熊猫.txt"]
    expr = _search(client, "大熊猫吃什么", filter_expr="tenant_code == 't1' && org_code == 'orgA'")
    assert expr and expr[0]["doc_name"] == "熊猫.txt"
    ok004(client.post("/vector_db_service/del_document", json={"tenant_code": "t1", "org_code": "orgA",
                                                               "doc_name": ["熊猫.txt"]}), "从全局素材库删除文档成功")
    assert not [h for h in _search(client, "大熊猫吃什么", tenant_code="t1") if h["doc_name"] == "熊猫.txt"]


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_add_multi_document_reports_each_url(client, loads, counts):
    body = {"tenant_code": "t1", "org_code": "orgA",
            "multi_doc_urls": [f"{loads.base}/train.md", f"{loads.base}/light.txt", f"{loads.base}/missing.pdf",
                               "http://169.254.169.254/latest/meta-data/"],
            "doc_names": ["退票说明", "灯塔.txt", "缺失.pdf", "元数据"]}
    msg = _fail(client.post("/vector_db_service/add_multi_document", json=body), 400)
    assert msg.startswith("插入文档到素材库：成功[2]个,失败[2]个")
    assert "HTTP 404" in msg and "link-local" in msg
    names = {h["doc_name"] for h in _search(client, "高铁退票手续费 lighthouse keeper", tenant_code="t1", limit=10)}
    assert {"退票说明.md", "灯塔.txt"} <= names
    all_good = {"multi_doc_urls": [f"{loads.base}/light.txt"], "doc_names": ["灯塔.txt"], "tenant_code": "t1",
                "org_code": "orgA"}
    ok004(client.post("/vector_db_service/add_multi_document", json=all_good), "插入文档到素材库：成功[1]个,失败[0]个")
    same = [h for h in _search(client, "lighthouse keeper", tenant_code="t1", limit=10) if h["doc_name"] == "灯塔.txt"]
    assert len(same) == 1  # re-adding a name replaces it


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_mismatched_lists_are_a_400_and_nothing_is_fetched(client, loads, counts):
    before, hits = counts(), len(loads.hits)
    msg = _fail(client.post("/vector_db_service/add_multi_document", json={
        "multi_doc_urls": [f"{loads.base}/light.txt", f"{loads.base}/panda.txt"], "doc_names": ["one"]}), 400)
    assert "same length" in msg and len(loads.hits) == hits and counts() == before


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "scheme"), ("ftp://example.com/a.pdf", "scheme"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"), ("http://10.0.0.1/a.pdf", "private"),
    ("http://127.0.0.1:9/a.txt", "cannot be fetched"), ("http://no-such-host.invalid/a.txt", "cannot be resolved"),
])
@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_forbidden_or_unreachable_urls_are_a_400_with_the_reason(client, loads, counts, url, reason):
    before = counts()
    msg = _fail(client.post("/vector_db_service/add_document", json={"doc_url": url, "doc_name": "x.txt"}), 400)
    assert reason in msg and counts() == before


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_a_redirect_to_metadata_and_an_empty_body_are_refused(client, loads, counts):
    before = counts()
    url = f"{loads.base}/redirect?to=http://169.254.169.254/latest/meta-data/"
    assert "link-local" in _fail(client.post("/vector_db_service/add_document",
                                             json={"doc_url": url, "doc_name": "m.txt"}), 400)
    assert "empty" in _fail(client.post("/vector_db_service/add_document",
                                        json={"doc_url": f"{loads.base}/empty.txt", "doc_name": "e.txt"}), 400)
    assert counts() == before


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_del_collection_by_tenant_then_all(client, loads):
    for tenant in ("ta", "tb"):
        ok004(client.post("/vector_db_service/add_document", json={
            "tenant_code": tenant, "doc_url": f"{loads.base}/light.txt", "doc_name": f"light-{tenant}.txt"}))
    ok004(client.post("/vector_db_service/del_collection", json={"tenant_code": "ta"}), "成功删除素材库数据")
    names = {h["doc_name"] for h in _search(client, "lighthouse keeper", limit=20)}
    assert "light-ta.txt" not in names and "light-tb.txt" in names
    ok004(client.post("/vector_db_service/del_collection", json={}), "成功删除素材库数据")
    names = {h["doc_name"] for h in _search(client, "lighthouse keeper", limit=20)}
    assert not {n for n in names if n.startswith("light-") or n == "灯塔.txt"}


# --- QA pairs ------------------------------------------------------------------------------------

def _temp_templates() -> set[str]:
    import glob
    import tempfile

    return set(glob.glob(os.path.join(tempfile.gettempdir(), "qa-template-*")))


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_add_qa_single_and_lists_then_search_then_delete(client, loads):
    ok004(client.post("/vector_db_service/add_qa", json={
        "tenant_code": "t1", "org_code": "orgA", "question": ["产品优势是什么？", "如何申请退款？"],
        "answer": ["核心优势包括性能和成本优势。", "在订单页点击申请退款，三个工作日内到账。"],
        "source": "https://example.com/doc1"}), "成功插入2条问答对到素材库")
    ok004(client.post("/vector_db_service/add_qa", json={
        "tenant_code": "t1", "org_code": "orgA", "question": "客服电话是多少？", "answer": "客服电话是 400-800-1234。"}),
        "成功插入1条问答对到素材库")
    hits = _search(client, "产品有什么优势", "QA", tenant_code="t1")
    assert hits[0] == {"question": "产品优势是什么？", "answer": "核心优势包括性能和成本优势。",
                       "source": "https://example.com/doc1", "score": hits[0]["score"]}
    assert 0 < hits[0]["score"] <= 1
    assert all(set(h) == {"question", "answer", "source", "score"} for h in hits)
    assert not _search(client, "产品有什么优势", "QA", tenant_code="t2")
    assert not [h for h in _search(client, "产品有什么优势", "DOC", limit=20) if "核心优势" in h.get("content", "")]
    ok004(client.post("/vector_db_service/del_qa", json={"tenant_code": "t1", "org_code": "orgA",
                                                         "question": ["产品优势是什么？"]}), "从全局素材库删除问答对成功")
    assert "产品优势是什么？" not in {h["question"] for h in _search(client, "产品有什么优势", "QA", tenant_code="t1")}


@pytest.mark.parametrize("body, reason", [
    ({"question": ["a", "b"], "answer": ["x"]}, "same length"),
    ({"question": ["a", "b"], "answer": ["x", "y"], "source": ["s"]}, "source"),
    ({"question": "a", "answer": ""}, "answer[0] is empty"),
    ({"question": [], "answer": []}, "at least one"),
    ({"answer": "x"}, "question"),
])
def test_bad_qa_input_is_a_400_and_nothing_is_stored(client, counts, body, reason):
    before = counts()
    assert reason in _fail(client.post("/vector_db_service/add_qa", json=body), 400)
    assert counts() == before


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_template_download_and_upload(client, loads):
    from io import BytesIO

    from openpyxl import Workbook, load_workbook

    response = client.get("/vector_db_service/download_qa_template")
    assert response.status_code == 200 and "%E9%97%AE%E7%AD%94%E5%BA%93%E6%A8%A1%E6%9D%BF.xlsx" in \
        response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == ["问题", "答案", "来源"]
    book = Workbook()
    book.active.append(["问题", "答案", "来源"])
    book.active.append(["退货期限是多久？", "签收后七天内可无理由退货。", "https://example.com/returns"])
    book.active.append([None, None, None])
    book.active.append(["发票怎么开？", "在个人中心申请电子发票。", None])
    data = BytesIO()
    book.save(data)
    before = _temp_templates()
    ok004(client.post("/vector_db_service/add_qa_from_template", data={"tenant_code": "t3"},
                      files={"file": ("问答库模板.xlsx", data.getvalue())}), "成功插入2条问答对到素材库")
    assert _temp_templates() == before
    hit = _search(client, "多久可以退货", "QA", tenant_code="t3")[0]
    assert hit["question"] == "退货期限是多久？" and hit["source"] == "https://example.com/returns"


def _xlsx(rows: list[list]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("content, reason", [
    (b"PK\x03\x04 this is not a workbook", "not a readable .xlsx"),
    (b"question,answer\na,b\n", "not a readable .xlsx"),
    (_xlsx([["Q", "A"], ["a", "b"]]), "问题、答案 missing"),
    (_xlsx([["问题", "答案"], ["只有问题", None]]), "row 2: 答案 is empty"),
    (_xlsx([["问题", "答案"]]), "no QA pairs"),
])
def test_corrupt_or_wrong_shaped_excel_is_a_400_and_the_temp_file_goes(client, counts, content, reason):
    before, temps = counts(), _temp_templates()
    msg = _fail(client.post("/vector_db_service/add_qa_from_template", files={"file": ("qa.xlsx", content)}), 400)
    assert reason in msg and counts() == before and _temp_templates() == temps


def test_template_upload_without_file_is_a_400(client):
    assert "file" in _fail(client.post("/vector_db_service/add_qa_from_template", data={"tenant_code": "t"}), 400)


# --- chat_service uploads --------------------------------------------------------------------------

@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_upload_stores_and_serves_the_file(client, loads):
    data = ok004(client.post("/chat_service/upload", files={"file": ("abc.txt", "聊天附件".encode())}), "上传成功")
    assert data["file_name"] == "abc.txt" and "/links/chat/" in data["file_url"]
    served = client.get(_path(data["file_url"]), headers=NO_KEY)  # the link is the credential
    assert served.status_code == 200 and served.content == "聊天附件".encode()
    tampered = data["file_url"].replace("signature=", "signature=0")
    assert client.get(_path(tampered), headers=NO_KEY).status_code == 403


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.slow  # runs Prefect loads (minutes in all)
def test_upload_and_parse_reports_each_file(client, loads, tmp_path):
    from tests.support.samples import write_docx

    docx = write_docx(tmp_path / "doc1.docx", "季度报告", ["第三季度销售额增长百分之二十。"])
    files = [("files", ("notes.txt", "会议纪要：下周一发布新版本。".encode())),
             ("files", ("doc1.docx", docx.read_bytes())),
             ("files", ("broken.pdf", b"%PDF-1.4 this is not really a pdf"))]
    response = client.post("/chat_service/upload_and_parse", files=files)
    data = ok004(response, "处理完成，成功2/3个文件")
    assert [d["file_name"] for d in data] == ["notes.txt", "doc1.docx", "broken.pdf"]
    assert data[0]["parse_success"] and "下周一发布新版本" in data[0]["content"]
    assert data[1]["parse_success"] and "销售额增长" in data[1]["content"]
    assert not data[2]["parse_success"] and data[2]["parse_error"].startswith("解析失败") and data[2]["content"] == ""
    one = ok004(client.post("/chat_service/upload_and_parse", files={"file": ("a.md", b"# Title\n\nbody text\n")}),
                "处理完成，成功1/1个文件")
    assert "body text" in one[0]["content"] and one[0]["file_url"]


def test_chat_uploads_bad_input(client, settings_env):
    assert "file" in _fail(client.post("/chat_service/upload", data={"x": "1"}), 400)
    assert "file" in _fail(client.post("/chat_service/upload_and_parse", data={"x": "1"}), 400)
    assert "'..'" in _fail(client.post("/chat_service/upload", files={"file": ("../etc.txt", b"x")}), 400)
    _fail(client.post("/chat_service/upload", files={"file": ("a.txt", b"x")}, headers=NO_KEY), 401)
    settings_env("INGESTFLOW_MAX_UPLOAD_MB", "0.001")
    assert "limit" in _fail(client.post("/chat_service/upload", files={"file": ("big.txt", b"x" * 5000)}), 413)
