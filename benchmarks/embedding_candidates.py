"""Compare the offline-installable embedding models on a small bilingual retrieval set.

For each model: top-1 accuracy of query → passage retrieval (Chinese, English and
cross-lingual queries over one shared pool of 36 passages) and encode throughput on
~256-token passages. Writes benchmarks/results/embedding_candidates.json.

    .venv/bin/python benchmarks/embedding_candidates.py [--models use-multilingual-v3,all-MiniLM-L6-v2,multilingual-e5-small]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingestflow.indexers.embedding import load_embedder  # noqa: E402

# (query, passage) pairs; every passage is also a distractor for every other query.
ZH = [
    ("如何申请年假？", "员工每年可享受带薪年假，需提前两周在人事系统中提交休假申请并经主管批准。"),
    ("公司的报销流程是什么", "差旅费用报销需要在出差结束后十日内提交发票和行程单，由财务部审核后打款。"),
    ("向量数据库有什么用", "向量数据库用于存储和检索高维向量，常用于语义搜索、推荐系统和检索增强生成。"),
    ("今天北京天气怎么样", "北京今日晴转多云，最高气温二十五度，傍晚有轻微北风，空气质量良好。"),
    ("怎样煮米饭比较好吃", "煮米饭前先把大米淘洗两遍并浸泡半小时，水和米的比例约为一点二比一。"),
    ("红楼梦的作者是谁", "《红楼梦》是清代作家曹雪芹创作的章回体长篇小说，被誉为中国古典小说的巅峰。"),
    ("高铁票可以退吗", "火车票在开车前可以办理退票，开车前八天以上退票不收取退票费。"),
    ("熊猫吃什么", "大熊猫主要以竹子为食，每天要花十多个小时进食，也会偶尔吃竹笋和少量肉类。"),
    ("如何提高睡眠质量", "保持规律作息、睡前避免使用手机、卧室保持安静黑暗，都有助于改善睡眠。"),
    ("服务器宕机了怎么办", "当线上服务器无响应时，值班工程师应先查看监控告警，再按应急预案切换到备用节点。"),
    ("学习编程从哪开始", "初学者可以从 Python 入门，先掌握变量、循环和函数，再通过小项目练习。"),
    ("合同到期如何续签", "劳动合同期满前三十日，用人单位应与员工协商续订事宜并签署书面协议。"),
]
EN = [
    ("how do I reset my password", "To reset your password, open the login page, click 'Forgot password' and follow the link sent to your email."),
    ("what causes rain", "Rain forms when water vapour in clouds condenses into droplets heavy enough to fall to the ground."),
    ("best way to learn a language", "Daily practice with native speakers and spaced repetition of vocabulary is the fastest way to become fluent."),
    ("symptoms of the flu", "Influenza usually brings fever, muscle aches, a sore throat and tiredness that lasts about a week."),
    ("how to invest for retirement", "A diversified portfolio of low-cost index funds held for decades is a common retirement strategy."),
    ("why is the sky blue", "Sunlight scatters off air molecules, and blue light is scattered more strongly than red, colouring the sky."),
    ("how to bake bread", "Mix flour, water, yeast and salt, knead the dough, let it rise for an hour and bake at 220 degrees."),
    ("what is a black hole", "A black hole is a region of spacetime where gravity is so strong that nothing, not even light, escapes."),
    ("how to train a puppy", "Reward a puppy immediately with treats when it obeys, and keep training sessions short and consistent."),
    ("what does a database index do", "An index lets the database find rows matching a condition without scanning the entire table."),
    ("how to fix a flat tire", "Remove the wheel, find the puncture, patch or replace the inner tube and inflate it to the right pressure."),
    ("benefits of exercise", "Regular physical activity strengthens the heart, improves mood and lowers the risk of chronic disease."),
]
XL = [  # cross-lingual: query in one language, passage in the other
    ("renewing an employment contract", "合同到期前三十日，双方应协商续订劳动合同。"),
    ("what do pandas eat", "大熊猫几乎只吃竹子，偶尔也吃竹笋。"),
    ("train ticket refund rules", "开车前八天以上退票，不收退票费。"),
    ("who wrote Dream of the Red Chamber", "《红楼梦》的作者是清代的曹雪芹。"),
    ("黑洞是什么", "Nothing can escape a black hole's gravity, not even light."),
    ("如何烤面包", "Knead the dough, let it rise, then bake the bread in a hot oven."),
    ("流感有哪些症状", "The flu causes fever, muscle aches and a sore throat."),
    ("为什么天空是蓝色的", "Blue light scatters more than red light in the atmosphere, so the sky looks blue."),
]


def top1(embedder, pairs, pool):
    passages = [p for _, p in pool]
    pvec = np.array(embedder.embed_batch(passages))
    qvec = np.array(embedder.embed_batch([q for q, _ in pairs], is_query=True))
    hits = 0
    for i, (_, passage) in enumerate(pairs):
        best = int(np.argmax(pvec @ qvec[i]))
        hits += passages[best] == passage
    return hits


def throughput(embedder, n=128):
    text = ("向量数据库用于存储和检索高维向量。Vector databases store embeddings for semantic search. " * 8)[:700]
    texts = [f"{i} {text}" for i in range(n)]
    embedder.embed_batch(texts[:8])
    start = time.perf_counter()
    embedder.embed_batch(texts)
    return n / (time.perf_counter() - start), embedder.count_tokens(texts[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="use-multilingual-v3,all-MiniLM-L6-v2,multilingual-e5-small")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "embedding_candidates.json"))
    args = parser.parse_args()
    pool = ZH + EN + XL
    results = []
    for spec in args.models.split(","):
        t0 = time.perf_counter()
        emb = load_embedder(spec)
        load_s = time.perf_counter() - t0
        rate, tokens = throughput(emb)
        row = {
            "model": spec, "dimension": emb.dimension, "load_s": round(load_s, 2),
            "zh_top1": f"{top1(emb, ZH, pool)}/{len(ZH)}", "en_top1": f"{top1(emb, EN, pool)}/{len(EN)}",
            "cross_lingual_top1": f"{top1(emb, XL, pool)}/{len(XL)}",
            "chunks_per_s": round(rate, 1), "tokens_per_chunk": tokens,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        results.append(row)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": f"{platform.machine()} {os.cpu_count()} cpus", "results": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
