"""Generate documents in every parsed format, Chinese and English (samples, tests, benchmarks).

Each writer puts a caller-given text into a real file of that format; nothing here is
used by the pipeline itself.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path


def write_txt(path: Path, title: str, paragraphs: list[str]) -> Path:
    path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def write_md(path: Path, title: str, paragraphs: list[str]) -> Path:
    body = "\n\n".join(paragraphs)
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
    return path


def write_html(path: Path, title: str, paragraphs: list[str]) -> Path:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{paras}</body></html>",
        encoding="utf-8",
    )
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_docx(path: Path, title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for para in paragraphs:
        document.add_paragraph(para)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def write_pptx(path: Path, title: str, paragraphs: list[str]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for i, para in enumerate(paragraphs):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title if i == 0 else f"{title} ({i + 1})"
        slide.placeholders[1].text = para
    deck.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(str(path))
    return path


def write_pdf(path: Path, title: str, paragraphs: list[str], pages: int = 1) -> Path:
    """A text-layer PDF; Chinese uses reportlab's built-in STSong-Light CID font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22)
    story = []
    per_page = max(1, len(paragraphs) // pages)
    for page in range(pages):
        story.append(Paragraph(html.escape(title if page == 0 else f"{title} {page + 1}"), head))
        for para in paragraphs[page * per_page:(page + 1) * per_page] or paragraphs[-1:]:
            story.append(Paragraph(html.escape(para), body))
        if page < pages - 1:
            story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


CJK_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]


def cjk_font_path() -> str | None:
    """A font file with Chinese glyphs, if the system has one (fonts-wqy-zenhei)."""
    return next((p for p in CJK_FONT_CANDIDATES if Path(p).exists()), None)


def render_text_image(lines: list[str], width: int = 2000, font_size: int = 48):  # noqa: ANN201
    """A white image with black text lines (a 'screenshot' or a scanned page), as a PIL image."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = cjk_font_path()
    if font_path is None:
        raise RuntimeError("no CJK font installed: apt-get install fonts-wqy-zenhei")
    font = ImageFont.truetype(font_path, font_size)
    height = 120 + len(lines) * int(font_size * 1.8)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 60 + i * int(font_size * 1.8)), line, fill=0, font=font)
    return image


def write_png(path: Path, lines: list[str]) -> Path:
    render_text_image(lines).save(path, "PNG")
    return path


def write_scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    """An image-only PDF (no text layer), one rendered page per list of lines, at 300 dpi."""
    images = [render_text_image(lines, width=2480, font_size=56).convert("RGB") for lines in pages]
    images[0].save(path, "PDF", resolution=300.0, save_all=True, append_images=images[1:])
    return path


def write_html_table(path: Path, title: str, header: list[str], rows: list[list[str]]) -> Path:
    """An HTML page holding one table."""
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><table><tr>{cells}</tr>{body}</table></body></html>",
        encoding="utf-8",
    )
    return path


def write_parquet(path: Path, columns: dict[str, list]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), str(path))
    return path


def write_image(path: Path, lines: list[str]) -> Path:
    """A screenshot-like image in the format of ``path``'s extension (PNG, JPG, BMP …)."""
    image = render_text_image(lines)
    image.save(path, quality=95) if path.suffix.lower() in (".jpg", ".jpeg") else image.save(path)
    return path


def write_garbled_pdf(path: Path, lines: list[str], font_size: int = 14) -> Path:
    """A PDF whose visible text is right but whose text layer is garbage.

    The text is set in an embedded TrueType subset (a CJK font) and the font's ``/ToUnicode``
    map is then blanked out, as in PDFs from some scanners and old converters: viewers show
    the text, text extraction returns control characters. Only OCR can read it.
    """
    import re

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font_path = cjk_font_path()
    if font_path is None:
        raise RuntimeError("no CJK font installed: apt-get install fonts-wqy-zenhei")
    if "IngestflowCJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IngestflowCJK", font_path, subfontIndex=0))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("IngestflowCJK", font_size)
    for i, line in enumerate(lines):
        pdf.drawString(60, 760 - i * font_size * 2, line)
    pdf.save()
    data = path.read_bytes()  # same-length blanks keep the xref offsets valid
    path.write_bytes(re.sub(rb"/ToUnicode \d+ 0 R", lambda m: b" " * len(m.group()), data))
    return path


def convert_legacy(source: Path, fmt: str) -> Path:
    """``source`` (.docx/.pptx) converted to a legacy format (``doc``/``ppt``) by LibreOffice."""
    from ingestflow.indexers.parsing import convert_with_soffice

    convert_with_soffice(source, source.parent, fmt)
    return source.with_suffix("." + fmt)
