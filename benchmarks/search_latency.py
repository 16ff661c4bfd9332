"""Search latency at 100,000 chunks in one volume on the default embedded Milvus (Milvus Lite, FLAT).

Text: chunks of 4–12 real sentences drawn at random from a bilingual sentence pool — English from
the SciFact abstracts (``/work/shared/data/scifact``, ~50k scientific sentences, a natural Zipf
vocabulary) and Chinese from the seed documents (``/work/shared/seeds``) plus generated Chinese
sentences; about 70 % English and 30 % Chinese chunks, so BM25 posting lists look like a real
corpus (frequent terms in most chunks, a long tail of rare ones).
Vectors: the volume's model (the default, use-multilingual-v3, 512-d) embeds a pool of 100 real
chunks; every one of the 100k rows gets a pool vector plus Gaussian noise (σ 0.02 per dim),
re-normalised — clustered like real embeddings and cheap to make. FLAT search cost does not
depend on the vector values.

Rows go in through ``VolumeStore.upsert`` (batches of 1,000; insert rate measured). Then ≥ 200
queries per strategy (short English and Chinese phrases from the pool) go end to end through
``POST /search`` (FastAPI TestClient on ``create_app()``, k=10, including the query embedding
and the per-search hit recording); ``search_volumes`` is timed the same way without HTTP, and
``VolumeStore.search`` with a pre-computed query vector (the Milvus part alone).

    .venv/bin/python benchmarks/search_latency.py --insert-only     # build the 100k volume (resumable)
    .venv/bin/python benchmarks/search_latency.py [--queries 200]   # measure (inserts what is missing)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "search_latency.json"
SCIFACT = Path(os.environ.get("SCIFACT_DIR", ROOT.parent / "shared" / "data" / "scifact")) / "corpus.jsonl.gz"
SEEDS = ROOT.parent / "shared" / "seeds"
ZH_SUBJECTS = ["研究团队", "市政府", "铁路公司", "博物馆", "医院", "气象局", "图书馆", "电池工厂", "数据平台", "运维团队",
               "财务部门", "新能源车企", "高校实验室", "物流中心", "大熊猫保护区"]
ZH_VERBS = ["发布了", "推迟了", "审查了", "资助了", "取消了", "重新设计了", "升级了", "统计了", "评估了", "迁移了"]
ZH_OBJECTS = ["河流污染报告", "年度预算", "疫苗试验", "列车时刻表", "退款政策", "睡眠与记忆的研究", "小麦产量预测",
              "网络安全审计", "向量数据库集群", "带薪年假制度", "碳排放数据", "客户投诉记录", "竹林生态调查"]


def sentence_pools(rng: random.Random) -> tuple[list[str], list[str]]:
    """(English sentences, Chinese sentences)."""
    english = []
    with gzip.open(SCIFACT, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            english.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", doc["text"]) if len(s.split()) >= 5)
    chinese = []
    for path in sorted(SEEDS.glob("*.txt")):
        for piece in re.split(r"[。！？；\n]", path.read_text(encoding="utf-8", errors="ignore")):
            piece = piece.strip()
            if sum("\u4e00" <= c <= "\u9fff" for c in piece) >= 8:
                chinese.append(piece + "。")
    chinese.extend(f"{rng.choice(['去年', '今年', '第三季度', '周一', '暴雨之后'])}，{s}{v}{o}。"
                   for s in ZH_SUBJECTS for v in ZH_VERBS for o in ZH_OBJECTS)
    return english, chinese


def make_text(rng: random.Random, english: list[str], chinese: list[str]) -> str:
    if rng.random() < 0.7:
        return " ".join(rng.choice(english) for _ in range(rng.randint(4, 12)))
    return "".join(rng.choice(chinese) for _ in range(rng.randint(4, 12)))


def make_query(rng: random.Random, english: list[str], chinese: list[str]) -> str:
    if rng.random() < 0.6:
        words = rng.choice(english).split()
        start = rng.randrange(max(1, len(words) - 6))
        return " ".join(words[start:start + rng.randint(3, 8)]).strip(".,;")
    text = rng.choice(chinese)
    start = rng.randrange(max(1, len(text) - 12))
    return text[start:start + rng.randint(4, 12)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summary_ms(samples: list[float]) -> dict:
    ms = [1000 * s for s in samples]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 1), "p90_ms": round(pct(ms, 90), 1),
            "p99_ms": round(pct(ms, 99), 1), "mean_ms": round(statistics.fmean(ms), 1), "max_ms": round(max(ms), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/search_latency_bench"))
    parser.add_argument("--insert-only", action="store_true", help="build the volume, measure nothing")
    args = parser.parse_args()
    os.environ["INGESTFLOW_DATA_DIR"] = str(args.work.resolve())
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from ingestflow.settings import get_settings, prepare_environment

    prepare_environment()
    import numpy as np

    from ingestflow.indexers.embedding import load_embedder
    from ingestflow.indexers.milvus_store import ChunkFilter
    from ingestflow.indexers.search import search_volumes, volume_store
    from tests.support import catalog as cat
    from ingestflow.ids import chunk_id, content_hash
    from ingestflow.records import Chunk

    rng = random.Random(11)
    english, chinese = sentence_pools(rng)
    settings = get_settings()
    embedder = load_embedder(settings.embedding_model, settings.embedding_threads)
    name = f"latency-{args.chunks}"
    volume = cat.volume_named(name) or cat.create_volume(name, embedder.name, embedder.dimension)
    store = volume_store(volume)
    store.ensure()
    report: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus (shared with other work), Python {platform.python_version()}",
        "milvus": f"milvus-lite {_version('milvus-lite')} (embedded file), pymilvus {_version('pymilvus')}; dense FLAT/COSINE, "
                  "BM25 SPARSE_INVERTED_INDEX",
        "embedding_model": embedder.name, "dimension": embedder.dimension, "chunks": args.chunks,
        "text": "random 4–12 sentence chunks: 70 % English (SciFact sentences), 30 % Chinese (seed docs + generated)",
        "vectors": "100 real chunks embedded, each row = pool vector + N(0, 0.02²) noise, L2-normalised",
    }
    existing = store.count()
    if existing < args.chunks:
        pool_texts = [make_text(rng, english, chinese) for _ in range(100)]
        t = time.perf_counter()
        pool = np.asarray(embedder.embed_batch(pool_texts), dtype=np.float32)
        report["pool_embed_seconds"] = round(time.perf_counter() - t, 1)
        nrng = np.random.default_rng(5)
        per_doc = 10
        started = time.perf_counter()
        written = existing
        batch = 1000
        while written < args.chunks:
            n = min(batch, args.chunks - written)
            chunks, meta = [], {}
            vecs = pool[nrng.integers(0, len(pool), n)] + nrng.normal(0, 0.02, (n, pool.shape[1])).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            for i in range(n):
                index = written + i
                doc_id = f"doc{index // per_doc:06d}"
                text = make_text(rng, english, chinese)
                digest = content_hash(text)
                chunks.append(Chunk(id=chunk_id(doc_id, index % per_doc, digest), doc_id=doc_id,
                                    position=index % per_doc, text=text, content_hash=digest,
                                    token_count=len(text.split()), char_count=len(text)))
                meta[doc_id] = {"volume_id": volume.id, "name": f"{doc_id}.txt", "uri": f"bench/{doc_id}.txt",
                                "file_type": 4}
            store.upsert(chunks, vecs.tolist(), meta)
            written += n
            if written % 10000 == 0:
                print(f"inserted {written} ({written / (time.perf_counter() - started):.0f} rows/s)", flush=True)
        elapsed = time.perf_counter() - started
        report["insert"] = {"rows": args.chunks - existing, "seconds": round(elapsed, 1),
                            "rows_per_s": round((args.chunks - existing) / elapsed), "batch": batch,
                            "note": "VolumeStore.upsert, generation of text/vectors included"}
        (args.work / "insert.json").write_text(json.dumps({k: report[k] for k in ("insert", "pool_embed_seconds")}))
    elif (args.work / "insert.json").exists():
        report.update(json.loads((args.work / "insert.json").read_text()))
    report["rows_in_collection"] = store.count()
    if args.insert_only:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return

    from fastapi.testclient import TestClient

    from ingestflow.api.main import create_app

    client = TestClient(create_app())
    headers = {"moi-key": settings.api_keys[0].get_secret_value()}
    queries = [make_query(rng, english, chinese) for _ in range(args.queries)]

    def via_api(query: str, strategy: str) -> None:
        resp = client.post("/search", headers=headers,
                           json={"query": query, "volume_id": volume.id, "retrieval_strategy": strategy, "k": 10})
        if resp.status_code != 200:
            raise RuntimeError(resp.text)

    def via_function(query: str, strategy: str) -> None:
        search_volumes(query, [volume.id], mode=strategy, k=10)

    vectors = {q: embedder.embed_query(q) for q in queries}

    def milvus_only(query: str, strategy: str) -> None:
        if strategy == "hybrid":  # what search_volumes asks Milvus for: both legs, 20 candidates each
            store.search(mode="semantic", query_text=query, query_vector=vectors[query], limit=20, flt=ChunkFilter())
            store.search(mode="full_text", query_text=query, query_vector=None, limit=20, flt=ChunkFilter())
        else:
            store.search(mode=strategy, query_text=query, query_vector=vectors[query], limit=10, flt=ChunkFilter())

    for strategy in ("semantic", "full_text", "hybrid"):  # warm-up: load segments, model, imports
        for q in queries[:10]:
            via_api(q, strategy)
    report["latency"] = {}
    for label, fn in (("api", via_api), ("search_volumes", via_function), ("milvus_only", milvus_only)):
        report["latency"][label] = {}
        for strategy in ("semantic", "full_text", "hybrid"):
            samples = []
            for q in queries:
                t = time.perf_counter()
                fn(q, strategy)
                samples.append(time.perf_counter() - t)
            report["latency"][label][strategy] = summary_ms(samples)
            print(label, strategy, report["latency"][label][strategy], flush=True)
    embed = []
    for q in queries:
        t = time.perf_counter()
        embedder.embed_query(q)
        embed.append(time.perf_counter() - t)
    report["latency"]["query_embedding_only"] = summary_ms(embed)
    report["targets"] = {"p50_ms": 100, "p99_ms": 300}
    report["meets_targets"] = all(v["p50_ms"] <= 100 and v["p99_ms"] <= 300 for v in report["latency"]["api"].values())
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


def _version(package: str) -> str:
    from importlib.metadata import version

    try:
        return version(package)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    main()
