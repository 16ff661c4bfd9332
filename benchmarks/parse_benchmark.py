"""Parse and OCR speed: text-layer PDF pages/s, OCR s/page/core, parse CPU per document.

Three measurements, written to benchmarks/results/parse.json:

1. ``text_pdf``: multi-page generated bilingual PDFs (``--pdf-pages`` in total) through
   ``parse_file``; pages per second (wall) and CPU per page. Target ≥ 20 pages/s.
2. ``ocr``: a scanned multi-page PDF of dense 300-dpi pages OCR'd with every core busy (pages in
   parallel, one OCR thread each, the ``ocr_engine`` setting); seconds per page per core. Target ≤ 5 s.
   Quality per engine and font: ``benchmarks/ocr_benchmark.py``.
3. ``corpus_cpu``: the ingest benchmark's corpus (TXT/MD/HTML/CSV/DOCX/PDF/PPTX/XLSX, 8–24
   bilingual paragraphs) parsed by ``parse_file`` and, for reference, by plain unstructured with
   its defaults (spaCy heuristics, language detection, pdfminer ``fast`` PDFs); CPU seconds per
   document by format, and whether the texts are the same.

    .venv/bin/python benchmarks/parse_benchmark.py [--pdf-pages 200] [--ocr-pages 4] [--docs 80]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DENSE_LINE = "据统计，二〇二三年全国铁路旅客发送量达到三十八亿人次，同比增长百分之一百三十。"


def bench_text_pdf(work: Path, total_pages: int) -> dict:
    import random

    from ingest_benchmark import paragraph

    from ingestflow.indexers.parsing import parse_file
    from tests.support import samples

    rng = random.Random(3)
    per_file = 20
    files = []
    for i in range(max(1, total_pages // per_file)):
        paras = [paragraph(rng, i * 1000 + j) for j in range(per_file * 3)]
        files.append(samples.write_pdf(work / f"text_{i}.pdf", f"报告 {i}", paras, pages=per_file))
    parse_file(files[0], files[0].name)  # imports, pdfium init
    wall, cpu = time.perf_counter(), time.process_time()
    pages = chars = 0
    for path in files:
        sections = parse_file(path, path.name)
        pages += len({s.page for s in sections})
        chars += sum(len(s.text) for s in sections)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"files": len(files), "pages": pages, "chars": chars, "seconds": round(wall, 3),
            "pages_per_s": round(pages / wall, 1), "cpu_ms_per_page": round(cpu / pages * 1000, 2), "target_pages_per_s": 20}


def bench_ocr(work: Path, pages: int) -> dict:
    from tests.support import samples

    lines = [DENSE_LINE[i % 7:] + DENSE_LINE[:i % 7] for i in range(24)]  # ≈ 40 CJK characters × 24 lines
    result = _ocr_pages(samples.write_scanned_pdf(work / "scan.pdf", [lines] * pages), pages)
    mixed = [DENSE_LINE if i % 2 else MIXED_LINE for i in range(24)]  # half the lines English
    result["mixed_page"] = _ocr_pages(samples.write_scanned_pdf(work / "mixed.pdf", [mixed] * pages), pages)
    return result


MIXED_LINE = "Passenger trips by rail reached 3.8 billion in 2023, up 130 percent."


def _ocr_pages(path: Path, pages: int) -> dict:
    import resource

    from ingestflow.indexers.ocr import ocr_pdf_pages
    from ingestflow.settings import get_settings

    def cpu() -> float:  # this process (RapidOCR runs in it) + its children (tesseract runs as children)
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cores = os.cpu_count() or 2
    ocr_pdf_pages(path, [1], "chi_sim+eng", workers=1)  # load the OCR engine outside the timing
    used, wall = cpu(), time.perf_counter()
    sections = ocr_pdf_pages(path, list(range(1, pages + 1)), "chi_sim+eng", workers=cores)
    wall, used = time.perf_counter() - wall, cpu() - used
    text = "".join(s.text for s in sections)
    return {"engine": get_settings().ocr_engine, "pages": pages, "dpi": 300, "cores": cores, "chars_recognised": len(text),
            "chars_per_page": round(len(text) / pages), "seconds": round(wall, 2),
            "pages_per_s": round(pages / wall, 3), "s_per_page_per_core": round(wall * cores / pages, 2),
            "ocr_cpu_s_per_page": round(used / pages, 2),  # load-independent; includes rendering the pages
            "target_s_per_page_per_core": 5}


def _reference_parse(path: Path) -> list[tuple[str, str]]:
    """Plain unstructured with its defaults (what parsing cost before the cheap heuristics)."""
    from unstructured.partition.auto import partition

    kwargs = {"strategy": "fast"} if path.suffix == ".pdf" else {}
    return [(e.category, e.text) for e in partition(filename=str(path), **kwargs) if e.text]


def bench_corpus_cpu(work: Path, docs: int) -> dict:
    from ingest_benchmark import make_corpus

    from ingestflow.indexers.parsing import parse_file

    root = work / "corpus"
    root.mkdir()
    make_corpus(root, docs)
    files = sorted(root.iterdir())

    def run(parse) -> tuple[dict, dict]:  # noqa: ANN001
        for ext in {f.suffix for f in files}:  # warm imports per format
            parse(next(f for f in files if f.suffix == ext))
        per: dict[str, list[float]] = {}
        texts = {}
        for f in files:
            t = time.process_time()
            out = parse(f)
            per.setdefault(f.suffix, []).append(time.process_time() - t)
            texts[f.name] = "".join("".join(x.replace("|", " ").split()) for x in out)  # cells: ' | ' vs tabs
        return per, texts

    ours, our_text = run(lambda f: [s.text for s in parse_file(f, f.name)])
    reference, ref_text = run(lambda f: [t for _, t in _reference_with_spacy(f)])
    fmt = {ext: {"ingestflow_ms": round(sum(v) / len(v) * 1000, 1),
                 "unstructured_defaults_ms": round(sum(reference[ext]) / len(reference[ext]) * 1000, 1)}
           for ext, v in sorted(ours.items())}
    mean_ours = sum(sum(v) for v in ours.values()) / len(files)
    mean_ref = sum(sum(v) for v in reference.values()) / len(files)
    same = [n for n in our_text if our_text[n] == ref_text[n]]
    return {"documents": len(files), "cpu_ms_per_doc": round(mean_ours * 1000, 1),
            "reference_cpu_ms_per_doc": round(mean_ref * 1000, 1), "speedup": round(mean_ref / mean_ours, 2),
            "same_text_ignoring_whitespace_and_cell_separators": f"{len(same)}/{len(files)}", "by_format": fmt}


def _reference_with_spacy(path: Path) -> list[tuple[str, str]]:
    """unstructured defaults, with its original spaCy tokenizers (offline model) and langdetect."""
    import unstructured.nlp.tokenize as tokenize
    import unstructured.partition.text_type as text_type

    import ingestflow.indexers.parsing as parsing

    parsing._install_cheap_heuristics()  # noqa: SLF001 - installs the offline spaCy loader
    saved = text_type.sent_tokenize, text_type.word_tokenize, text_type.contains_verb
    text_type.sent_tokenize, text_type.word_tokenize = tokenize.sent_tokenize, tokenize.word_tokenize
    text_type.contains_verb = _spacy_contains_verb
    try:
        return _reference_parse(path)
    finally:
        text_type.sent_tokenize, text_type.word_tokenize, text_type.contains_verb = saved


def _spacy_contains_verb(text: str) -> bool:
    from unstructured.nlp.tokenize import pos_tag
    from unstructured.partition.text_type import POS_VERB_TAGS

    return any(tag in POS_VERB_TAGS for _, tag in pos_tag(text.lower() if text.isupper() else text))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdf-pages", type=int, default=200)
    parser.add_argument("--ocr-pages", type=int, default=4)
    parser.add_argument("--docs", type=int, default=80)
    parser.add_argument("--skip", nargs="*", default=[], choices=["text_pdf", "ocr", "corpus_cpu"])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "parse.json"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ingestflow-parse-bench-"))
    out = Path(args.out)
    previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() and args.skip else {}
    result: dict = {**previous, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}}
    if "text_pdf" not in args.skip:
        result["text_pdf"] = bench_text_pdf(work, args.pdf_pages)
        print("text_pdf", result["text_pdf"], flush=True)
    if "ocr" not in args.skip:
        result["ocr"] = bench_ocr(work, args.ocr_pages)
        print("ocr", result["ocr"], flush=True)
    if "corpus_cpu" not in args.skip:
        result["corpus_cpu"] = bench_corpus_cpu(work, args.docs)
        print("corpus_cpu", result["corpus_cpu"], flush=True)
    result["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
