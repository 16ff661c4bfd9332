"""Small bilingual corpora loaded through the real flow for the search and document API tests."""

from __future__ import annotations

from pathlib import Path

# file name -> text; each file is one short document (one chunk)
SEARCH_CORPUS = {
    "熊猫.md": "# 大熊猫\n\n大熊猫几乎只吃竹子，每天要进食十多个小时。野生大熊猫生活在四川的竹林里。\n",
    "退票.txt": "退票说明\n\n高铁票在开车前八天以上退票不收取退票费。开车前四十八小时以内退票收取百分之五的手续费。\n",
    "leave.txt": "Employees receive twenty days of paid annual leave each year. Requests go through the HR portal.\n",
    "festival.md": "# Local news\n\nThe river festival attracted forty thousand visitors to the old town. "
                   "Tickets sold out in two hours.\n",
    "picnic.txt": "The team picnic in the park was sunny and everyone enjoyed the barbecue and the games. "
                  "Show badge XJ-4471-B at the gate.\n",
    "serials.txt": "Warehouse scanner serial numbers: QX-8812-K, LM-5530-T, RP-2209-H, ZT-1043-A, KV-7781-P.\n",
    "revenue.txt": "Quarterly revenue rose by twelve percent compared with the previous year, driven by exports.\n",
    "向量.md": "# 向量数据库\n\n向量数据库用于存储和检索高维向量，支持语义搜索。Milvus 是一个开源向量数据库。\n",
    "weather.txt": "Heavy rain is expected along the coast this weekend; fishermen should stay in port.\n",
}
# file name -> (query, the file that must come first)
PLANTED = {
    "熊猫.md": "大熊猫吃什么食物",
    "退票.txt": "高铁退票手续费",
    "leave.txt": "how many paid leave days do employees get",
    "festival.md": "how many visitors came to the river festival",
    "向量.md": "什么是向量数据库",
}
PRODUCT_CODE = "XJ-4471-B"                          # only BM25 matches it exactly (picnic.txt)
PARAPHRASE = "How much did our earnings grow?"      # no word in common with revenue.txt
SECRET = {"机密.txt": "租户二的机密：关于大熊猫食物的内部研究报告，仅限租户二。\n"}


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def load_folder(folder: Path, volume_name: str, tenant_code: str = "", org_code: str = "") -> str:
    """Create (once) a local task for ``folder`` into ``volume_name`` stamped with a tenant; run it."""
    from ingestflow.flows.load import load_task
    from tests.support import catalog as cat
    from ingestflow.services.local import ensure_local_task

    task_id = ensure_local_task(folder, volume_name)
    cat.update_task(task_id, tenant_code=tenant_code, org_code=org_code)
    summary = load_task(task_id)
    assert summary["files_failed"] == 0, summary
    return task_id
