"""Regenerate the bundled sample corpus in samples/ (Chinese and English, 8 formats).

    .venv/bin/python scripts/make_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import samples as s  # noqa: E402

OUT = ROOT / "samples"

PANDA = [
    "大熊猫是中国特有的珍稀动物，主要生活在四川、陕西和甘肃的山区竹林中。",
    "大熊猫几乎只吃竹子，一只成年大熊猫每天要花十多个小时进食，吃掉十二到三十八公斤竹子。",
    "经过多年保护，野生大熊猫数量已增加到约一千八百六十四只，保护等级由濒危调整为易危。",
]
VECTOR_DB = [
    "向量数据库用于存储和检索高维向量，是语义搜索和检索增强生成（RAG）的核心组件。",
    "Milvus 支持稠密向量检索、BM25 全文检索以及两者结合的混合检索，并使用 RRF 融合排序。",
    "在 ingestflow 中，每个数据卷对应一个 Milvus 集合，并绑定一个嵌入模型。",
]
HANDBOOK = [
    "Every full-time employee receives twenty days of paid annual leave per calendar year.",
    "Leave requests must be submitted in the HR portal at least two weeks in advance and approved by a manager.",
    "Unused leave of up to five days may be carried over into the first quarter of the following year.",
]
RELEASE = [
    "Version 2.4 adds hybrid search that fuses dense and BM25 results with reciprocal rank fusion.",
    "The scheduler now skips a run when the previous run of the same task is still in flight.",
    "Fixed: uploading a file whose name contains Chinese characters no longer fails.",
]
REVIEW = [
    "Quarterly review: revenue grew 18 percent year over year, driven by the enterprise search product.",
    "第三季度新增客户三百二十家，其中金融行业占比最高。",
]
LEAVE_TXT = [
    "员工年假规定：入职满一年的员工每年享有十天带薪年假，入职满十年的员工享有十五天。",
    "年假须提前两周申请，经部门负责人批准后生效；未休年假可顺延至次年第一季度。",
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    s.write_pdf(OUT / "大熊猫保护报告.pdf", "大熊猫保护报告", PANDA, pages=2)
    s.write_md(OUT / "向量数据库简介.md", "向量数据库简介", VECTOR_DB)
    s.write_docx(OUT / "employee_handbook.docx", "Employee Handbook: Annual Leave", HANDBOOK,
                 table=[["Years of service", "Annual leave days"], ["0-5", "20"], ["5+", "25"]])
    s.write_html(OUT / "release_notes.html", "Release notes 2.4", RELEASE)
    s.write_pptx(OUT / "quarterly_review.pptx", "Quarterly review Q3", REVIEW)
    s.write_txt(OUT / "年假制度.txt", "年假制度", LEAVE_TXT)
    s.write_csv(OUT / "product_prices.csv", ["product_code", "name", "price_cny"],
                [["XK-2049", "向量检索一体机", "128000"], ["XK-3071", "Document parsing gateway", "36000"],
                 ["XK-5110", "OCR 识别服务", "9800"]])
    s.write_xlsx(OUT / "regional_sales.xlsx", {
        "华东": [["城市", "销售额（万元）"], ["上海", "1520"], ["杭州", "860"]],
        "Overseas": [["city", "sales (k USD)"], ["Singapore", "640"], ["Frankfurt", "410"]],
    })
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
