"""Offline fusion analysis: record both legs of every hybrid search once, then score any fusion rule.

``record`` runs each query of a set (``scifact`` or ``bilingual``) once through the search service
(hybrid, k=100, the weighted path, so every candidate of the union has both its cosine and its raw
BM25 — the same numbers ``POST /search`` fuses) and saves them; ``score`` evaluates fixed weights,
dense normalisations and query-dependent rules on the saved legs in seconds, with the same nDCG@10 (chunk → document by
max score). The figures the README reports come from ``POST /search`` runs (scifact/bilingual
benchmarks); this tool only explores which rules are worth such a run.

    .venv/bin/python benchmarks/fusion_analysis.py record --set scifact --model use --work /tmp/scifact_bench
    .venv/bin/python benchmarks/fusion_analysis.py score legs-*.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scifact_benchmark as sb  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")


def cmd_record(args: argparse.Namespace) -> None:
    if args.set == "scifact":
        name, _ = sb._setup(args.work, args.model, "doc", "packed")
        queries, qrels = sb.load_queries_and_qrels()
        doc_of = sb.ChunkToDoc(sb.load_corpus())
    else:
        import bilingual_benchmark as bb
        from bilingual_corpus import build

        name, _ = bb._setup(args.work, args.model)
        _, queries, qrels = build(bb.SEEDS)
        doc_of = sb.ChunkToDoc([])
    from ingestflow.indexers import search as search_module
    from ingestflow.indexers.fusion import Fusion
    from tests.support import catalog as cat

    volume = cat.volume_named(name)
    captured: dict = {}
    real_fuse = search_module._fuse

    def recording_fuse(dense, sparse, dense_ranked, sparse_ranked, rrf_k, fusions):  # noqa: ANN001, ANN202
        captured["dense"], captured["sparse"] = dict(dense), dict(sparse)
        return real_fuse(dense, sparse, dense_ranked, sparse_ranked, rrf_k, fusions)

    search_module._fuse = recording_fuse  # an analysis probe of the legs, not a change of behaviour
    out = {"set": args.set, "model": args.model, "queries": queries, "qrels": qrels, "legs": {}}
    for qid, text in queries.items():
        hits = cat.search(text, volume.id, mode="hybrid", k=100, fusion=Fusion("weighted", 0.5))
        docs = {h.chunk_id: doc_of(h.to_dict()) for h in hits}
        chunk_doc = {}
        for key in {*captured["dense"], *captured["sparse"]}:
            chunk_doc[key[1]] = docs.get(key[1])
        out["legs"][qid] = {"dense": {k[1]: v for k, v in captured["dense"].items()},
                            "sparse": {k[1]: v for k, v in captured["sparse"].items()},
                            "doc": chunk_doc}
    # candidates outside the fused top 100 have no hit to map them: read their text from the store
    from ingestflow.indexers.milvus_store import volume_store

    store = volume_store(volume)
    missing = sorted({c for legs in out["legs"].values() for c, d in legs["doc"].items() if d is None})
    found: dict[str, str] = {}
    for start in range(0, len(missing), 500):
        ids = missing[start:start + 500]
        rows = store.client.query(store.collection, filter=f"id in {json.dumps(ids)}",
                                  output_fields=["id", "text", "doc_name"])
        for row in rows:
            found[row["id"]] = doc_of({"chunk_id": row["id"], "content": row["text"],
                                       "document": {"name": row["doc_name"], "uri": ""}})
    for legs in out["legs"].values():
        legs["doc"] = {c: d if d is not None else found.get(c) for c, d in legs["doc"].items()}
    args.out.write_text(json.dumps(out))
    print(f"wrote {args.out}")


def _ndcg(scores: dict[str, float], doc: dict[str, str | None], rels: dict[str, int]) -> float:
    per_doc: dict[str, float] = {}
    for chunk, score in scores.items():
        did = doc.get(chunk) or f"?{chunk}"
        per_doc[did] = max(per_doc.get(did, float("-inf")), score)
    return sb.ndcg_at(sb.rank(per_doc), rels, 10)


def fuse(legs: dict, w: float, dense_norm: str = "raw", bm25_floor: float = 0.0) -> dict[str, float]:
    """``w·dense + (1−w)·bm25/max(best, floor)``; dense raw cosine, or over its max / min-max. A floor keeps a
    weak lexical match (a low best BM25) from scoring 1.0 — a query-dependent weighting by BM25 evidence."""
    dense, sparse = legs["dense"], legs["sparse"]
    best = max(max(sparse.values(), default=0.0), bm25_floor)
    bm25 = {k: (v / best if best > 0 else 0.0) for k, v in sparse.items()}
    if dense_norm == "max":
        top = max(dense.values(), default=0.0)
        dense = {k: (v / top if top > 0 else 0.0) for k, v in dense.items()}
    elif dense_norm == "minmax":
        lo, hi = min(dense.values(), default=0.0), max(dense.values(), default=0.0)
        dense = {k: ((v - lo) / (hi - lo) if hi > lo else 0.0) for k, v in dense.items()}
    return {k: w * dense.get(k, 0.0) + (1 - w) * bm25.get(k, 0.0) for k in {*dense, *sparse}}


def cmd_score(args: argparse.Namespace) -> None:
    weights = [round(0.1 * i, 1) for i in range(11)]
    table = {}
    for path in args.files:
        data = json.loads(Path(path).read_text())
        label = f"{data['set']}/{data['model']}"
        rows = {}

        def mean(rule) -> float:  # noqa: ANN001
            vals = [_ndcg(rule(qid, legs), legs["doc"], data["qrels"][qid]) for qid, legs in data["legs"].items()]
            return round(sum(vals) / len(vals), 4)

        rows["semantic"] = mean(lambda q, l: l["dense"] if l["dense"] else {})
        rows["full_text"] = mean(lambda q, l: l["sparse"])
        # no RRF here: the recorded legs hold completed scores, so their ranks are not RRF's (see POST /search runs)
        for norm in ("raw", "max", "minmax"):
            for w in weights:
                rows[f"{norm} w={w}"] = mean(lambda q, l, w=w, norm=norm: fuse(l, w, norm))
        for floor in (10, 20, 25, 30, 40):
            for w in (0.4, 0.5, 0.6):
                rows[f"bm25 floor {floor} w={w}"] = mean(lambda q, l, w=w, f=floor: fuse(l, w, bm25_floor=f))
        for w_latin, w_cjk in ((0.5, 0.7), (0.5, 0.9), (0.6, 0.9)):
            rows[f"script w_latin={w_latin} w_cjk={w_cjk}"] = mean(
                lambda q, l, a=w_latin, b=w_cjk: fuse(l, b if CJK.search(data["queries"][q]) else a))
        table[label] = rows
        print(label, json.dumps(rows))
    if args.out:
        args.out.write_text(json.dumps(table, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["record", "score"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--set", choices=["scifact", "bilingual"], default="scifact")
    parser.add_argument("--model", default="use-multilingual-v3")
    parser.add_argument("--work", type=Path, default=Path("/tmp/scifact_bench"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.model = sb.MODEL_ALIASES.get(args.model.lower(), args.model)
    if args.command == "record":
        args.work = args.work.resolve()
        cmd_record(args)
    else:
        cmd_score(args)


if __name__ == "__main__":
    main()
