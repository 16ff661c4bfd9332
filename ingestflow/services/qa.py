"""Seed 004 QA pairs (问答对): how a pair is written as a document of the QA collection, and read back.

A pair is one small text file in the QA volume, loaded like any upload (Prefect embeds it, never the
web process) with a chunk size large enough that the pair stays one chunk. Its text carries the three
fields behind fixed markers, so a hit gives back question, answer and source.
"""

from __future__ import annotations

import hashlib
import re

Q, A, S = "问题：", "答案：", "来源："
_SPLIT = re.compile(rf"^\s*{Q}(?P<q>.*?)\s*{A}(?P<a>.*?)(?:\s*{S}(?P<s>.*?))?\s*$", re.S)


def pair_text(question: str, answer: str, source: str = "") -> str:
    """The document text of one pair."""
    text = f"{Q}{question.strip()}\n{A}{answer.strip()}"
    return f"{text}\n{S}{source.strip()}\n" if source.strip() else text + "\n"


def split_pair(text: str) -> tuple[str, str, str]:
    """(question, answer, source) of a pair's text; text without the markers is all question."""
    m = _SPLIT.match(text or "")
    if m is None:
        return (text or "").strip(), "", ""
    return m.group("q").strip(), m.group("a").strip(), (m.group("s") or "").strip()


def pair_file_name(question: str) -> str:
    """The file name of a question's pair: one file per distinct question (re-adding replaces it)."""
    digest = hashlib.sha256(question.strip().encode("utf-8")).hexdigest()[:32]
    return f"qa-{digest}.txt"


# --- the Excel template ------------------------------------------------------------------------

TEMPLATE_NAME = "问答库模板.xlsx"
COLUMNS = ("问题", "答案", "来源")
MAX_PAIRS = 10000


def template_bytes() -> bytes:
    """The QA template: one sheet, header 问题 / 答案 / 来源 and one example row."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "问答库"
    sheet.append(list(COLUMNS))
    sheet.append(["产品优势是什么？", "核心优势包括性能和成本优势。", "https://example.com/doc1"])
    for column, width in zip("ABC", (40, 80, 40), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_template(path: str) -> list[tuple[str, str, str]]:
    """(question, answer, source) rows of an uploaded template; ValidationFailed saying what is wrong."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from ingestflow.errors import ValidationFailed

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(f"file is not a readable .xlsx workbook ({type(exc).__name__}): use "
                               f"{TEMPLATE_NAME} from download_qa_template") from None
    try:
        rows = book.active.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        missing = [c for c in COLUMNS[:2] if c not in header]
        if missing:
            raise ValidationFailed(f"the first row must name the columns {'、'.join(COLUMNS)}: "
                                   f"{'、'.join(missing)} missing (found {header[:6]})")
        qi, ai = header.index(COLUMNS[0]), header.index(COLUMNS[1])
        si = header.index(COLUMNS[2]) if COLUMNS[2] in header else None
        out = []
        for number, row in enumerate(rows, start=2):
            cells = ["" if v is None else str(v).strip() for v in row]
            cell = (lambda i: cells[i] if i is not None and i < len(cells) else "")  # noqa: E731
            question, answer, source = cell(qi), cell(ai), cell(si)
            if not question and not answer:
                continue  # blank rows are skipped
            if not question or not answer:
                raise ValidationFailed(f"row {number}: {'问题' if not question else '答案'} is empty")
            out.append((question, answer, source))
            if len(out) > MAX_PAIRS:
                raise ValidationFailed(f"more than {MAX_PAIRS} QA pairs in one file")
    finally:
        book.close()
    if not out:
        raise ValidationFailed("the file has no QA pairs below its header row")
    return out
