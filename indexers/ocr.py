"""OCR of images and scanned PDF pages: RapidOCR (the default) or tesseract, one interface.

The engine is the ``ocr_engine`` setting (``INGESTFLOW_OCR_ENGINE=rapidocr|tesseract``), or a
caller's ``engine``. RapidOCR (``indexers.ocr_rapid``, PP-OCRv4) reads Chinese + English; a
language list it does not cover (``jpn``, ``deu`` …) is read by tesseract. On the OCR benchmark
(README "OCR") it misreads far fewer characters, at ≈ 1.5–1.8× tesseract's CPU per page.
The rest of this module is the tesseract reader.

unstructured's OCR path drops Chinese tokens (it matches hOCR words against whitespace-split
text), so we call tesseract ourselves and join CJK characters without the spaces tesseract
puts between them. Each tesseract process runs with ``OMP_THREAD_LIMIT=1`` (4–5× faster on
2 cores than its default threading); pages run in parallel instead, with a per-page timeout.

Mixed-script language lists (``chi_sim+eng``) are split by script: tesseract with several
languages runs every model over every line (5.0 s CPU per dense Chinese page against 3.0 s for
``chi_sim`` alone, which finds Latin lines reliably but drops spaces in them). So a page is
read with the CJK models first, then only its mostly-Latin lines are read again with the other
languages, cropped and stacked into one image (one more tesseract run, ≈ 0.05 s per line).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ingestflow.errors import FileTooLarge, ParseError, UnsupportedFile
from ingestflow.indexers import ocr_rapid
from ingestflow.indexers.file_limits import check_image_pixels
from ingestflow.records import Section
from ingestflow.settings import get_settings

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")

RENDER_DPI = 300


def join_cjk(text: str) -> str:
    """Remove the spaces tesseract inserts between CJK characters."""
    return _CJK_SPACE.sub("", text)


def _tesseract() -> str:
    binary = shutil.which("tesseract")
    if not binary:
        raise UnsupportedFile("OCR needs tesseract: apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng")
    return binary


CJK_MODELS = frozenset({"chi_sim", "chi_tra", "jpn", "kor", "chi_sim_vert", "chi_tra_vert", "jpn_vert", "kor_vert"})


def split_languages(languages: str) -> tuple[str, str]:
    """(CJK models, other models) of a tesseract language list such as ``chi_sim+eng``."""
    parts = [p for p in languages.split("+") if p]
    return "+".join(p for p in parts if p in CJK_MODELS), "+".join(p for p in parts if p not in CJK_MODELS)


def _run_tesseract(image_path: Path, languages: str, psm: str, timeout_s: float, tsv: bool = False) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    command = [_tesseract(), str(image_path), "stdout", "-l", languages, "--psm", psm] + (["tsv"] if tsv else [])
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise ParseError(f"OCR timed out after {timeout_s:.0f} s") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ParseError(f"tesseract failed: {message[-1] if message else result.returncode}")
    return result.stdout.decode("utf-8", "replace")


@dataclass
class _Line:
    """One text line of tesseract's TSV output: its paragraph, box and words."""

    paragraph: tuple[int, int]
    box: tuple[int, int, int, int]  # left, top, width, height
    words: list[str] = field(default_factory=list)

    def is_latin(self) -> bool:
        """Mostly Latin letters (a Chinese line with an English word or two stays with the CJK read)."""
        letters = [c for w in self.words for c in w if c.isalpha()]
        return bool(letters) and sum(1 for c in letters if c.isascii()) / len(letters) >= 0.6


def _tsv_lines(tsv: str) -> list[_Line]:
    lines: dict[tuple[int, int, int], _Line] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] not in ("4", "5"):
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        if cols[0] == "4":
            lines[key] = _Line(key[:2], (int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9])))
        elif key in lines and cols[11].strip():
            lines[key].words.append(cols[11].strip())
    return [line for line in lines.values() if line.words]


def _reread_lines(image_path: Path, lines: list[_Line], languages: str, timeout_s: float) -> None:
    """Read ``lines`` again with ``languages``: their crops stacked into one image, one tesseract run."""
    from PIL import Image

    pad, gap = 8, 40
    with Image.open(image_path) as page:
        page = page.convert("L")
        crops = [page.crop((max(0, x - pad), max(0, y - pad), x + w + pad, y + h + pad)) for x, y, w, h in
                 (line.box for line in lines)]
    canvas = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255)
    slots, y = [], gap
    for crop in crops:
        canvas.paste(crop, (gap, y))
        slots.append((y, y + crop.height))
        y += crop.height + gap
    with tempfile.TemporaryDirectory(prefix="ingestflow-ocr-") as tmp:
        stacked = Path(tmp) / "lines.png"
        canvas.save(stacked)
        again = _tsv_lines(_run_tesseract(stacked, languages, "6", timeout_s, tsv=True))
    words: list[list[tuple[int, str]]] = [[] for _ in lines]
    for found in again:  # a line found in the stacked image belongs to the slot holding its middle
        x, top, _w, h = found.box
        slot = next((i for i, (start, end) in enumerate(slots) if start <= top + h // 2 < end), None)
        if slot is not None:
            words[slot].append((x, " ".join(found.words)))
    for line, found_words in zip(lines, words, strict=True):
        if found_words:
            line.words = [text for _x, text in sorted(found_words)]


def _frames(image_path: Path) -> int:
    from PIL import Image

    try:
        with Image.open(image_path) as image:
            return int(getattr(image, "n_frames", 1))
    except OSError:
        return 1  # tesseract reports what it cannot read


ENGINES = ("rapidocr", "tesseract")
_ocr_clock = [0.0]  # seconds spent in OCR by this process (the load's per-stage time split reads it)
_ocr_lock = threading.Lock()


def ocr_seconds() -> float:
    """Seconds this process has spent in ``ocr_image_file`` so far (pages OCR'd in parallel add up)."""
    return _ocr_clock[0]


def ocr_image_file(image_path: Path, languages: str, timeout_s: float | None = None, engine: str | None = None) -> str:
    """Text of one image file (one thread, bounded time); lines by newlines, paragraphs by blank lines."""
    started = time.monotonic()
    try:
        return _ocr_image_file(image_path, languages, timeout_s, engine)
    finally:
        with _ocr_lock:
            _ocr_clock[0] += time.monotonic() - started


def _ocr_image_file(image_path: Path, languages: str, timeout_s: float | None, engine: str | None) -> str:
    settings = get_settings()
    timeout_s = timeout_s or settings.ocr_page_timeout_s
    engine = engine or settings.ocr_engine
    if engine not in ENGINES:
        raise UnsupportedFile(f"unknown OCR engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "rapidocr" and ocr_rapid.supports(languages):
        return ocr_rapid.read_image_file(Path(image_path), timeout_s)
    cjk, other = split_languages(languages)
    if not (cjk and other) or _frames(image_path) > 1:  # one model set, or a multi-page TIFF: one read
        return join_cjk(_run_tesseract(image_path, languages, "3", timeout_s))
    lines = _tsv_lines(_run_tesseract(image_path, cjk, "3", timeout_s, tsv=True))
    latin = [line for line in lines if line.is_latin()]
    if latin:
        _reread_lines(image_path, latin, other, timeout_s)
    paragraphs: dict[tuple[int, int], list[str]] = {}
    for line in lines:
        paragraphs.setdefault(line.paragraph, []).append(join_cjk(" ".join(line.words)))
    return "\n\n".join("\n".join(texts) for texts in paragraphs.values()) + "\n"


def _paragraphs(text: str, page: int | None) -> list[Section]:
    """Sections of OCR text: one per paragraph, lines joined (no space between CJK characters)."""
    return [Section(join_cjk(" ".join(p.split("\n"))).strip(), "text", page)
            for p in re.split(r"\n\s*\n", text) if p.strip()]


def ocr_image(path: Path, name: str, languages: str, engine: str | None = None) -> list[Section]:
    """Sections of an image file (PNG/JPG/BMP/TIFF…)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            check_image_pixels(*img.size, name)  # before tesseract decodes it
            img.verify()
    except Image.DecompressionBombError as exc:  # Pillow's own check (past twice its limit) came first
        raise FileTooLarge(f"{name!r}: {exc} (INGESTFLOW_MAX_IMAGE_PIXELS)") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ParseError(f"cannot read image {name!r}: {type(exc).__name__}") from None
    return _paragraphs(ocr_image_file(path, languages, engine=engine), 1)


def ocr_pdf_pages(path: Path, pages: list[int], languages: str, workers: int | None = None,
                  timeout_s: float | None = None, engine: str | None = None) -> list[Section]:
    """OCR the given 1-based pages of a PDF rendered at 300 dpi, pages in parallel.

    Each page is rendered, read and deleted in turn (at most ``workers`` renders exist at once, so a
    killed parse leaves little behind and a long PDF never needs its whole render on disk). A page that
    fails (an OCR error or ``timeout_s``, default the ``ocr_page_timeout_s`` setting) is left out and
    the other pages survive; only when every page fails is it a ``ParseError`` with the reasons.
    """
    import threading

    import pypdfium2 as pdfium

    tmp = Path(tempfile.mkdtemp(prefix="ingestflow-ocr-"))
    pdf = pdfium.PdfDocument(str(path))
    render_lock = threading.Lock()  # pdfium is not thread-safe: one render at a time, OCR in parallel
    errors: list[str] = []

    def run(page_no: int) -> list[Section]:
        image_path = tmp / f"p{page_no}.png"
        try:
            with render_lock:
                page = pdf[page_no - 1]
                bitmap = page.render(scale=render_scale(*page.get_size()), grayscale=True)
                bitmap.to_pil().save(image_path)
            return _paragraphs(ocr_image_file(image_path, languages, timeout_s, engine), page_no)
        except ParseError as exc:
            errors.append(f"page {page_no}: {exc.message}")
            return []
        finally:
            image_path.unlink(missing_ok=True)

    try:
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
            sections = [s for page_sections in pool.map(run, pages) for s in page_sections]
    finally:
        pdf.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if errors and len(errors) == len(pages):
        raise ParseError("OCR failed on every page: " + "; ".join(errors[:3]))
    return sections


def render_scale(width_pt: float, height_pt: float) -> float:
    """The render scale of a page: 300 dpi, or less when that would pass ``max_image_pixels``."""
    scale = RENDER_DPI / 72
    pixels = width_pt * scale * height_pt * scale
    limit = get_settings().max_image_pixels
    return scale if pixels <= limit else scale * (limit / pixels) ** 0.5
