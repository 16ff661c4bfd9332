"""Retrieval fidelity: the API's semantic top-10 equals an exact (numpy) cosine top-10.

A few hundred chunks go through the real load flow (Prefect, parse, chunk, embed, Milvus Lite);
the stored vectors are read back from Milvus and 50 queries are ranked by brute force. The
collection's dense index is FLAT/COSINE (exact), so recall@10 must be 1.0: the only allowed
difference is a swap between candidates whose exact scores tie at the 10th place.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests.support import catalog as cat
from ingestflow.services.local import ensure_local_task

pytestmark = pytest.mark.slow

K = 10
TIE = 1e-5  # cosine difference treated as a tie (float32 arithmetic in Milvus vs numpy)
SUBJECTS = ["the research team", "a small bakery", "the city council", "our support engineers", "the orchestra",
            "a hospital in Chengdu", "the railway operator", "the museum curators", "a solar farm", "the school board"]
VERBS = ["published", "postponed", "reviewed", "celebrated", "funded", "cancelled", "redesigned", "audited"]
OBJECTS = ["a report on river pollution", "the annual budget", "a vaccine trial", "the new timetable",
           "a winter concert", "its refund policy", "a study of sleep and memory", "the battery recycling plan",
           "an exhibition of Song dynasty ceramics", "the wheat harvest forecast", "a cybersecurity audit"]
WHEN = ["last spring", "on Monday", "after the storm", "in the third quarter", "despite the strike", "this year"]
ZH_SUBJECTS = ["研究团队", "市政府", "一家小面包店", "铁路公司", "博物馆", "医院", "气象局", "图书馆", "电池工厂"]
ZH_VERBS = ["发布了", "推迟了", "审查了", "资助了", "取消了", "重新设计了", "庆祝了"]
ZH_OBJECTS = ["关于河流污染的报告", "年度预算", "疫苗试验", "新的列车时刻表", "冬季音乐会", "退款政策",
              "睡眠与记忆的研究", "小麦产量预测", "网络安全审计", "宋代瓷器展览"]
ZH_WHEN = ["去年春天", "周一", "暴雨之后", "第三季度", "今年"]


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)}."
    return f"{rng.choice(ZH_WHEN)}，{rng.choice(ZH_SUBJECTS)}{rng.choice(ZH_VERBS)}{rng.choice(ZH_OBJECTS)}。"


def _write_corpus(root: Path, rng: random.Random, files: int = 6, paragraphs: int = 60) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        paras = [" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(paragraphs)]
        (root / f"notes_{f}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def _api_semantic(client, headers: dict, volume_id: str, query: str) -> list[dict]:
    """The semantic top-K through ``POST /search``."""
    resp = client.post("/search", headers=headers,
                       json={"query": query, "volume_id": volume_id, "retrieval_strategy": "semantic", "k": K})
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]["results"]


@pytest.fixture(scope="module")
def loaded(prefect_server, tmp_path_factory):
    from ingestflow.flows.load import load_task

    rng = random.Random(20240606)
    corpus = tmp_path_factory.mktemp("fidelity") / "corpus"
    _write_corpus(corpus, rng)
    task_id = ensure_local_task(corpus, "fidelity")
    # one chunk per paragraph or two: a few hundred chunks from six files
    cat.update_task(task_id, process_config={"segment": {"chunk_size": 48, "chunk_overlap": 0}})
    summary = load_task(task_id)
    assert summary["files_failed"] == 0
    queries = [_sentence(rng) for _ in range(25)] + [
        f"{rng.choice(OBJECTS)} {rng.choice(WHEN)}" if i % 2 else f"{rng.choice(ZH_SUBJECTS)}{rng.choice(ZH_OBJECTS)}"
        for i in range(25)]
    return cat.task(task_id).volume_id, queries


def test_semantic_top10_equals_exact_cosine_top10(loaded) -> None:
    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app
    from ingestflow.indexers.embedding import load_embedder
    from ingestflow.indexers.milvus_store import volume_store
    from ingestflow.settings import get_settings

    volume_id, queries = loaded
    volume = cat.volume(volume_id)
    store = volume_store(volume)
    rows = store.client.query(store.collection, filter='id != ""', output_fields=["id", "dense"], limit=16384)
    assert len(rows) >= 200, f"only {len(rows)} chunks: the corpus is too small for the check"
    ids = [r["id"] for r in rows]
    matrix = np.asarray([r["dense"] for r in rows], dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    embedder = load_embedder(volume.embedding_model, get_settings().embedding_threads)
    client = TestClient(create_app())
    headers = {"moi-key": get_settings().api_keys[0].get_secret_value()}

    found = 0
    problems = []
    for query in queries:
        q = np.asarray(embedder.embed_query(query), dtype=np.float64)
        exact = matrix @ (q / np.linalg.norm(q))
        order = np.argsort(-exact, kind="stable")
        exact_top = {ids[i] for i in order[:K]}
        tenth = exact[order[K - 1]]
        hits = _api_semantic(client, headers, volume_id, query)
        got = [h["chunk_id"] for h in hits]
        assert len(got) == K
        for h in hits:  # the API's score is the exact cosine (clipped to [0, 1])
            assert abs(h["score"] - min(1.0, max(0.0, exact[ids.index(h["chunk_id"])]))) < 1e-4, (query, h)
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True), query
        # a swap is allowed only between candidates tied (within TIE) at the 10th exact score
        swapped = [c for c in got if c not in exact_top]
        ok_swaps = [c for c in swapped if abs(exact[ids.index(c)] - tenth) <= TIE]
        found += K - len(swapped) + len(ok_swaps)
        if len(ok_swaps) != len(swapped):
            problems.append((query, swapped))
    recall = found / (K * len(queries))
    print(f"recall@10 (API semantic vs exact cosine, {len(queries)} queries, {len(rows)} chunks) = {recall:.4f}")
    assert not problems, problems
    assert recall == 1.0
