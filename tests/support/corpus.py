"""A generated bilingual corpus: one file per format, each with a key sentence to find."""

from __future__ import annotations

from pathlib import Path

from tests.support import samples as s

# file name -> (key sentence, a query that should find it first)
KEYS = {
    "熊猫.pdf": ("大熊猫几乎只吃竹子，每天要进食十多个小时。", "大熊猫吃什么食物"),
    "handbook.docx": ("Employees receive twenty days of paid annual leave each year.", "how many paid leave days do employees get"),
    "roadmap.pptx": ("The satellite launch is scheduled for the third quarter.", "when will the satellite launch happen"),
    "sales.xlsx": ("杭州", "杭州销售额"),
    "prices.csv": ("XK-2049", "XK-2049"),
    "向量.md": ("向量数据库用于存储和检索高维向量，支持语义搜索。", "什么是向量数据库"),
    "news.html": ("The river festival attracted forty thousand visitors to the old town.", "how many visitors came to the river festival"),
    "说明.txt": ("高铁票在开车前八天以上退票不收取退票费。", "高铁退票手续费"),
}


def make_corpus(root: Path) -> Path:
    """Write the corpus (8 good files, a corrupt PDF and an MP3) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    s.write_pdf(root / "熊猫.pdf", "大熊猫", [KEYS["熊猫.pdf"][0], "野生大熊猫生活在四川的竹林里。"])
    s.write_docx(root / "handbook.docx", "Handbook", [KEYS["handbook.docx"][0], "Requests go through the HR portal."],
                 table=[["Years", "Days"], ["0-5", "20"], ["5+", "25"]])
    s.write_pptx(root / "roadmap.pptx", "Roadmap", [KEYS["roadmap.pptx"][0], "Budget review happens in May."])
    s.write_xlsx(root / "sales.xlsx", {"华东": [["城市", "销售额"], ["上海", "1520"], ["杭州", "860"]],
                                       "Overseas": [["city", "sales"], ["Singapore", "640"]]})
    s.write_csv(root / "prices.csv", ["code", "name", "price"], [["XK-2049", "向量检索一体机", "128000"],
                                                                   ["AB-1000", "gateway", "36000"]])
    s.write_md(root / "向量.md", "向量数据库", [KEYS["向量.md"][0], "Milvus 是一个开源向量数据库。"])
    s.write_html(root / "news.html", "Local news", [KEYS["news.html"][0], "Tickets sold out in two hours."])
    s.write_txt(root / "说明.txt", "退票说明", [KEYS["说明.txt"][0], "开车前四十八小时以内退票收取百分之五的手续费。"])
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref\n")
    (root / "song.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(512))
    return root


# OCR-only and legacy files for the mixed corpus (tests/test_mixed_corpus.py): name -> (key, query)
PICTURE_KEYS = {
    "扫描件.pdf": ("敦煌莫高窟共有七百三十五个洞窟", "莫高窟有多少个洞窟"),
    "截图.png": ("黄山迎客松已有一千三百年树龄", "迎客松树龄"),
    "旧文档.pdf": ("西湖断桥残雪是冬季名景", "断桥残雪"),  # garbage text layer: only OCR reads it
}
LEGACY_KEYS = {
    "minutes.doc": ("The board approved the new warehouse in Ningbo.", "where is the new warehouse"),
    "briefing.ppt": ("量子计算机的原型机在合肥发布。", "量子计算机原型机在哪里发布"),
}


def make_mixed_corpus(root: Path, legacy: bool) -> Path:
    """``make_corpus`` plus a scanned PDF, a PNG screenshot, a PDF with a garbage text layer and,
    with ``legacy``, a .doc and a .ppt made by LibreOffice."""
    make_corpus(root)
    s.write_scanned_pdf(root / "扫描件.pdf", [["第一页：石窟概况"], [PICTURE_KEYS["扫描件.pdf"][0]]])
    s.write_png(root / "截图.png", [PICTURE_KEYS["截图.png"][0], "Screenshot 2024"])
    s.write_garbled_pdf(root / "旧文档.pdf", ["杭州旅游手册", PICTURE_KEYS["旧文档.pdf"][0], "灵隐寺始建于东晋"])
    if legacy:
        work = root.parent / "legacy-src"
        work.mkdir(exist_ok=True)
        doc = s.convert_legacy(s.write_docx(work / "minutes.docx", "Minutes", [LEGACY_KEYS["minutes.doc"][0]]), "doc")
        ppt = s.convert_legacy(s.write_pptx(work / "briefing.pptx", "简报", [LEGACY_KEYS["briefing.ppt"][0]]), "ppt")
        doc.rename(root / "minutes.doc")
        ppt.rename(root / "briefing.ppt")
    return root
