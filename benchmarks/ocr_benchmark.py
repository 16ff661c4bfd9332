"""OCR quality and speed per engine: character error rate and CPU seconds per page on one core.

Pages are rendered at 300 dpi (``tests/support/ocr_pages.py``) with the CJK and Latin fonts found on
this machine (``fc-list``): Noto Serif / Noto Sans CJK, AR PL UMing, WenQuanYi Zen Hei, Liberation
and DejaVu, at several sizes, plus a photographed-looking page (skew, blur, uneven light, noise,
JPEG) and a ruled zh/en table. Each engine reads every page through ``ocr_image_file`` (what the
parse workers call, languages ``chi_sim+eng``) in its own process pinned to one core with
``OMP_THREAD_LIMIT=1``: CPU seconds per page (its own plus tesseract's) are then seconds per page
per core. CER = edit distance / reference length after ``ocr_pages.normalise`` (NFKC, no
whitespace next to CJK). The machine is shared, so the load average is recorded with the results.

    .venv/bin/python benchmarks/ocr_benchmark.py [--engines rapidocr,tesseract] [--repeat 1] [--pages zh_serif]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine, write_results  # noqa: E402

from tests.support import ocr_pages as op  # noqa: E402

LANGUAGES = "chi_sim+eng"

# name, group, paragraphs, font family, size (pt), Chinese first-line indent
PAGES = [
    ("zh_serif_noto_10.5pt", "zh", op.ZH_PARAGRAPHS, "Noto Serif CJK SC", 10.5, True),
    ("zh_sans_noto_10.5pt", "zh", op.shuffled(op.ZH_PARAGRAPHS, 1), "Noto Sans CJK SC", 10.5, True),
    ("zh_serif_uming_12pt", "zh", op.shuffled(op.ZH_PARAGRAPHS, 2), "AR PL UMing CN", 12, True),
    ("zh_sans_wqy_12pt", "zh", op.shuffled(op.ZH_PARAGRAPHS, 3), "WenQuanYi Zen Hei", 12, True),
    ("zh_serif_noto_8pt", "zh", op.shuffled(op.ZH_PARAGRAPHS, 4), "Noto Serif CJK SC", 8, True),
    ("zh_sans_noto_16pt", "zh", op.shuffled(op.ZH_PARAGRAPHS, 5), "Noto Sans CJK SC", 16, True),
    ("en_serif_liberation_11pt", "en", op.EN_PARAGRAPHS, "Liberation Serif", 11, False),
    ("en_serif_dejavu_10pt", "en", op.shuffled(op.EN_PARAGRAPHS, 6), "DejaVu Serif", 10, False),
    ("en_sans_liberation_10pt", "en", op.shuffled(op.EN_PARAGRAPHS, 7), "Liberation Sans", 10, False),
    ("mixed_sans_noto_11pt", "mixed", op.MIXED_PARAGRAPHS, "Noto Sans CJK SC", 11, True),
    ("photo_zh_serif_noto_12pt", "photo", op.shuffled(op.ZH_PARAGRAPHS, 8), "Noto Serif CJK SC", 12, True),
    ("table_mixed_sans_noto_11pt", "table", None, "Noto Sans CJK SC", 11, False),
]


def render(work: Path) -> tuple[list[dict], list[str]]:
    """Write every page whose font is installed; returns the pages and the fonts missing."""
    pages, missing = [], []
    for name, group, paragraphs, family, size_pt, indent in PAGES:
        font = op.find_font(family)
        if font is None:
            missing.append(family)
            continue
        if group == "table":
            image, reference = op.render_table(op.TABLE_ROWS, font, size_pt)
        else:
            image, reference = op.render_page(paragraphs, font, size_pt, indent=indent)
        if group == "photo":
            image = op.photograph(image)
        path = work / f"{name}.png"
        image.save(path)
        pages.append({"name": name, "group": group, "font": family, "size_pt": size_pt, "path": str(path),
                      "reference": reference, "chars": len(op.normalise(reference))})
    return pages, sorted(set(missing))


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker(engine: str, pages_file: Path, repeat: int) -> None:
    """In the pinned child: read every page, print one JSON line per page (best of ``repeat`` for time)."""
    from ingestflow.indexers.ocr import ocr_image_file

    pages = json.loads(pages_file.read_text(encoding="utf-8"))
    ocr_image_file(Path(pages[-1]["path"]), LANGUAGES, engine=engine)  # load the engine outside the timings
    for page in pages:
        best_cpu = best_wall = float("inf")
        for _ in range(repeat):
            cpu, wall = _cpu(), time.perf_counter()
            text = ocr_image_file(Path(page["path"]), LANGUAGES, engine=engine)
            best_cpu, best_wall = min(best_cpu, _cpu() - cpu), min(best_wall, time.perf_counter() - wall)
        print(json.dumps({"name": page["name"], "cer": round(op.char_error_rate(page["reference"], text), 5),
                          "cpu_s": round(best_cpu, 3), "wall_s": round(best_wall, 3)}), flush=True)


def run_engine(engine: str, pages_file: Path, repeat: int, core: int) -> dict[str, dict]:
    """One engine's readings, in a child process pinned to ``core``."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    command = ["taskset", "-c", str(core), sys.executable, __file__, "--worker", engine, "--pages-file", str(pages_file),
               "--repeat", str(repeat)]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return {row["name"]: row for row in map(json.loads, out.splitlines()) if row}


def summarise(pages: list[dict], engines: list[str]) -> dict:
    """Per engine: CER over all characters and per group, mean CPU s/page, and on the dense serif page."""
    summary = {}
    for engine in engines:
        rows = [(p, p[engine]) for p in pages]
        by_group: dict[str, list] = {}
        for page, result in rows:
            by_group.setdefault(page["group"], []).append((page["chars"], result["cer"]))
        summary[engine] = {
            "cer_all_pages": round(sum(c * e for c, e in (v for g in by_group.values() for v in g))
                                   / sum(p["chars"] for p in pages), 4),
            "cer_by_group": {g: round(sum(c * e for c, e in v) / sum(c for c, _ in v), 4) for g, v in by_group.items()},
            "cpu_s_per_page_mean": round(sum(r["cpu_s"] for _, r in rows) / len(rows), 2),
            "dense_page": next(({k: r[k] for k in ("cer", "cpu_s")} for p, r in rows if p["name"] == "zh_serif_noto_10.5pt"), None),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--repeat", type=int, default=1, help="reads per page (the fastest counts)")
    parser.add_argument("--pages", default="", help="only pages whose name contains one of these (comma-separated)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ocr.json"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--pages-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, Path(args.pages_file), args.repeat)

    engines = [e for e in args.engines.split(",") if e]
    core = max(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="ingestflow-ocr-bench-"))
    pages, missing = render(work)
    if args.pages:
        pages = [p for p in pages if any(part in p["name"] for part in args.pages.split(","))]
    pages_file = work / "pages.json"
    pages_file.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    load_before, started = os.getloadavg(), time.time()
    for engine in engines:
        for name, row in run_engine(engine, pages_file, args.repeat, core).items():
            page = next(p for p in pages if p["name"] == name)
            page[engine] = {k: row[k] for k in ("cer", "cpu_s", "wall_s")}
    from importlib.metadata import version

    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    write_results(args.out, {
        "machine": machine(), "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()], "seconds": round(time.time() - started, 1),
        "setup": f"one core (taskset -c {core}), OMP_THREAD_LIMIT=1, 300 dpi, languages {LANGUAGES}, "
                 f"cpu_s = process + child CPU per page (best of {args.repeat})",
        "engines": {"rapidocr": f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')} (PP-OCRv4 det/rec, no angle classifier), "
                                f"onnxruntime {version('onnxruntime')}", "tesseract": tesseract},
        "fonts_missing": missing,
        "summary": summarise(pages, engines),
        "pages": [{k: v for k, v in p.items() if k not in ("path", "reference")} for p in pages],
    })


if __name__ == "__main__":
    main()
