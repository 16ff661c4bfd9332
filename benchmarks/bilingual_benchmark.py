"""Bilingual (Chinese + mixed zh/en) retrieval quality: nDCG@10 per mode and fusion, like the SciFact run.

The set (``benchmarks/bilingual_corpus.py``): 143 sections of the seed documents (real Chinese API
prose) and 24 generated mixed zh/en notes, one Markdown file per passage, loaded through the real
pipeline (local connector → Prefect load flow → parse → the default automatic chunking → embed →
Milvus Lite), one volume per embedding model under ``--work``; 89 hand-written queries (Chinese
paraphrases, English and mixed questions), each with one relevant passage. Queries go through
``POST /search`` (k=100); chunk hits roll up to passages by max score; nDCG@10 as in SciFact.

    .venv/bin/python benchmarks/bilingual_benchmark.py all --model use-multilingual-v3
    .venv/bin/python benchmarks/bilingual_benchmark.py all --model all-MiniLM-L6-v2
    .venv/bin/python benchmarks/bilingual_benchmark.py report     # → benchmarks/results/bilingual.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bilingual_corpus import build, kind  # noqa: E402
from scifact_benchmark import (  # noqa: E402
    MODEL_ALIASES, ROOT, SHARED, ChunkToDoc, SearchAdapter, configs, evaluate_configs, point_process_at,
)

SEEDS = Path(os.environ.get("SEEDS_DIR", SHARED / "seeds"))
RESULTS = ROOT / "benchmarks" / "results" / "bilingual.json"


def _setup(work: Path, model: str) -> tuple[str, Path]:
    name = f"bilingual-{model.replace('/', '_')}"
    return name, point_process_at(work / name, model)


def cmd_ingest(args: argparse.Namespace) -> dict:
    name, data_dir = _setup(args.work, args.model)
    from ingestflow.flows.load import load_task
    from ingestflow.indexers.embedding import load_embedder
    from ingestflow.services.local import ensure_local_task
    from tests.support import catalog as cat

    passages, _, _ = build(SEEDS)
    docs = args.work / "passages"
    docs.mkdir(parents=True, exist_ok=True)
    for pid, text in passages.items():
        path = docs / f"{pid}.md"
        if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
            path.write_text(text + "\n", encoding="utf-8")
    embedder = load_embedder(args.model)
    if cat.volume_named(name) is None:
        cat.create_volume(name, embedder.name, embedder.dimension)
    task_id = ensure_local_task(docs, name, [".md"])
    started = time.perf_counter()
    load_task(task_id)
    files = cat.files(task_id)
    out = {"volume": name, "embedding_model": embedder.name, "passages": len(passages),
           "files_succeeded": sum(1 for f in files if int(f.status) == 5),
           "chunks_total": sum(f.segment_count or 0 for f in files),
           "ingest_seconds": round(time.perf_counter() - started, 1)}
    (data_dir / "ingest.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out), flush=True)
    return out


def cmd_evaluate(args: argparse.Namespace) -> dict:
    name, data_dir = _setup(args.work, args.model)
    from tests.support import catalog as cat

    volume = cat.volume_named(name)
    if volume is None:
        raise SystemExit(f"volume {name} not ingested: run ingest first")
    passages, queries, qrels = build(SEEDS)
    search = SearchAdapter()
    doc_of = ChunkToDoc([])
    search("warm up", volume.id, "hybrid", 10)
    per_query: dict = {}
    runs = evaluate_configs(search, volume.id, queries, qrels, doc_of, configs(args.fusions), args.k,
                            per_query=per_query)
    kinds = {qid: kind(text) for qid, text in queries.items()}
    by_kind = {label: {k: round(sum(v for q, v in scores.items() if kinds[q] == k)
                               / max(1, sum(1 for q in scores if kinds[q] == k)), 5)
                       for k in ("zh", "mixed", "en")} for label, scores in per_query.items()}
    result = {"volume": name, "model": volume.embedding_model, "via": search.via, "k": args.k,
              "queries": len(queries), "passages": len(passages),
              "query_kinds": {k: sum(1 for v in kinds.values() if v == k) for k in ("zh", "mixed", "en")},
              "strategies": runs, "ndcg@10_by_query_kind": by_kind}
    (data_dir / "eval.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (data_dir / "per_query.json").write_text(json.dumps(per_query))
    return result


def cmd_report(args: argparse.Namespace) -> dict:
    runs = []
    for data_dir in sorted(args.work.glob("bilingual-*")):
        if (data_dir / "eval.json").exists():
            runs.append({"ingest": json.loads((data_dir / "ingest.json").read_text()),
                         "evaluation": json.loads((data_dir / "eval.json").read_text())})
    summary = []
    for run in runs:
        got = run["evaluation"]["strategies"]
        best_single = max(got["semantic"]["ndcg@10"], got["full_text"]["ndcg@10"])
        for label, metrics in got.items():
            row = {"model": run["evaluation"]["model"], "strategy": label, "ndcg@10": metrics["ndcg@10"],
                   "recall@100": metrics["recall@100"], "ms_per_query": metrics["ms_per_query"]}
            if label.startswith("hybrid"):
                row["at_least_both_single_modes"] = metrics["ndcg@10"] >= best_single
            summary.append(row)
    _, queries, _ = build(SEEDS)
    report = {"summary": summary,
              "dataset": "143 seed-document sections (seeds 000, 003, 004) + 24 generated mixed zh/en notes; "
                         "89 hand-written queries (zh, en, mixed), one relevant passage each "
                         "(benchmarks/bilingual_corpus.py)",
              "machine": f"{platform.machine()}, {os.cpu_count()} cpus (shared), Python {platform.python_version()}",
              "pipeline": "local connector → Prefect load flow → parse → automatic chunking → embed → Milvus Lite; "
                          "POST /search k=100, chunk hits → passages by max score",
              "metrics": "nDCG@10 (one relevant passage per query), Recall@100",
              "queries": queries, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["ingest", "evaluate", "all", "report"])
    parser.add_argument("--model", default="use-multilingual-v3")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bilingual_bench"))
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--fusions", nargs="*", default=["0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "rrf"])
    args = parser.parse_args()
    args.model = MODEL_ALIASES.get(args.model.lower(), args.model)
    args.work = args.work.resolve()
    if args.command in ("ingest", "all"):
        cmd_ingest(args)
    if args.command in ("evaluate", "all"):
        cmd_evaluate(args)
    if args.command == "report":
        cmd_report(args)


if __name__ == "__main__":
    main()
