"""OCR with RapidOCR: PP-OCRv4 text detection + recognition (Chinese and English), ONNX on the CPU.

``rapidocr-onnxruntime`` ships its three models inside the wheel, so nothing is downloaded at run
time. It returns one box per text line segment; we rebuild lines (boxes on one row, left to right)
and paragraphs (a vertical gap, a first-line indent or a short previous line starts a new one), and
hand back text in the tesseract reader's shape: lines by ``\\n``, paragraphs by a blank line.

One engine per process, run with one ONNX thread: pages run in parallel instead (as tesseract pages
do), and the engine cannot be interrupted inside a page, so a page over its time limit is dropped
once it returns (the parse process's own time limit bounds a runaway file).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ingestflow.errors import ParseError, UnsupportedFile

# The PP-OCRv4 "ch" models read simplified Chinese and English (and digits, punctuation).
LANGUAGES = frozenset({"chi_sim", "eng"})

# Detection runs on the page scaled so its longer side is at most this: the library's default
# ("shorter side ≥ 736") keeps a 300-dpi A4 page at 1414 × 2000, ≈ 4× the ONNX time of 905 × 1280,
# and read the benchmark pages (8 pt included) no better than 1024 did. Recognition still reads
# its crops from the page at up to MAX_SIDE pixels.
DET_MAX_SIDE = 1280
MAX_SIDE = 2400

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

_SPACE_BY_PUNCTUATION = re.compile(r" +(?=[\u3000-\u303f\uff00-\uffef])|(?<=[\u3000-\u303f\uff00-\uffef]) +")

_lock = threading.Lock()
_engine = None


def supports(languages: str) -> bool:
    """Whether RapidOCR's models cover a tesseract-style language list such as ``chi_sim+eng``."""
    parts = {p for p in languages.split("+") if p}
    return bool(parts) and parts <= LANGUAGES


def engine():  # noqa: ANN201 (a RapidOCR instance)
    """The process's RapidOCR engine, loaded once (≈ 0.5 s: three ONNX sessions)."""
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                raise UnsupportedFile("OCR engine 'rapidocr' needs rapidocr-onnxruntime: pip install rapidocr-onnxruntime "
                                      "(or set INGESTFLOW_OCR_ENGINE=tesseract)") from None
            # No angle classifier: on a dense upright page it turned a correct line upside down (lost
            # whole: 3.4 % CER against 0.08 % without); rec batch 1: ≈ 1.5× less CPU than 6 (no padding).
            _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, max_side_len=MAX_SIDE, use_cls=False,
                               det_limit_type="max", det_limit_side_len=DET_MAX_SIDE, rec_batch_num=1)
        return _engine


@dataclass
class _Box:
    """One recognised text segment: its bounding box and text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


def _boxes(results) -> list[_Box]:  # noqa: ANN001 (RapidOCR's [[points, text, score, ...], ...] or None)
    boxes = []
    for points, text, *_rest in results or []:
        if text.strip():
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes.append(_Box(min(xs), min(ys), max(xs), max(ys), text.strip()))
    return boxes


def _latin_runs(chars: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each run of ≥ 3 non-CJK characters (spaces included) holding a letter or digit."""
    runs, start = [], None
    for i, char in enumerate([*chars, "。"]):
        if _CJK.match(char):
            if start is not None and i - start >= 3 and any(c.isalnum() for c in chars[start:i]):
                runs.append((start, i))
            start = None
        elif start is None:
            start = i
    return runs


def _respace(ocr, image, segment) -> str:  # noqa: ANN001 (the engine, a BGR array, one result with word boxes)
    """A segment's text with the spaces between Latin words that the model drops inside Chinese lines.

    PP-OCRv4 reads "Bearer token" as "Bearertoken" inside a Chinese line (its training text has no
    spaces there) but keeps the space when the words stand alone. So each Latin run of a mixed
    line is read again from its own crop (its characters' boxes), and the new reading replaces the
    old one only when it is the same characters with spaces (≈ 10 ms per run).
    """
    _points, text, _score, char_boxes, chars, *_ = segment
    if not _CJK.search(text) or "".join(chars) != text:  # the characters are the text's, spaces included
        return text
    pieces, done = [], 0
    for start, end in _latin_runs(chars):
        xs = [p[0] for box in char_boxes[start:end] for p in box]
        ys = [p[1] for box in char_boxes[start:end] for p in box]
        pad = 0.15 * (max(ys) - min(ys))
        crop = image[max(0, int(min(ys) - pad)):int(max(ys) + pad) + 1, max(0, int(min(xs) - pad)):int(max(xs) + pad) + 1]
        again, _ = ocr(crop, use_det=False, use_cls=False, use_rec=True) if crop.size else (None, None)
        reread = again[0][0].strip() if again else ""
        run = "".join(chars[start:end]).strip()
        pieces += ["".join(chars[done:start]).strip(), reread if reread.replace(" ", "") == run.replace(" ", "") else run]
        done = end
    pieces.append("".join(chars[done:]).strip())
    # Latin runs set off from Chinese characters by spaces (as Chinese typesetting does), not from punctuation
    return _SPACE_BY_PUNCTUATION.sub("", " ".join(p for p in pieces if p))


def _rows(boxes: list[_Box]) -> list[list[_Box]]:
    """Boxes grouped into text lines (their middles within half a line height), top to bottom, left to right."""
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda b: b.middle):
        row = rows[-1] if rows else None
        if row and abs(box.middle - statistics.fmean(b.middle for b in row)) < 0.5 * min(box.height, row[0].height):
            row.append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.x0) for row in rows]


def layout(results) -> str:  # noqa: ANN001
    """Text of RapidOCR results: segments of a line joined by spaces, paragraphs split by blank lines."""
    rows = _rows(_boxes(results))
    if not rows:
        return ""
    height = statistics.median(b.height for row in rows for b in row)
    left, right = min(row[0].x0 for row in rows), max(row[-1].x1 for row in rows)
    paragraphs: list[list[str]] = []
    previous = None
    for row in rows:
        top, x0 = min(b.y0 for b in row), row[0].x0
        new = (previous is None or top - max(b.y1 for b in previous) > 0.8 * height  # a gap
               or x0 - left > 1.2 * height  # an indented first line
               # the line before ended short (by more than a long English word would leave)
               or previous[-1].x1 < right - max(2.5 * height, 0.2 * (right - left)))
        if new:
            paragraphs.append([])
        paragraphs[-1].append(" ".join(b.text for b in row))
        previous = row
    return "\n\n".join("\n".join(lines) for lines in paragraphs) + "\n"


def _frames(image_path: Path) -> list:
    """The image's frames (a multi-page TIFF has several) as RGB, EXIF orientation applied."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(image_path) as image:
            return [ImageOps.exif_transpose(frame.copy()).convert("RGB") for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError) as exc:
        raise ParseError(f"cannot read image: {type(exc).__name__}") from None


def read_image_file(image_path: Path, timeout_s: float) -> str:
    """Text of one image file (every frame), or ParseError when the read took longer than ``timeout_s``."""
    import numpy as np

    ocr = engine()
    started, texts = time.monotonic(), []
    for frame in _frames(image_path):
        image = np.ascontiguousarray(np.asarray(frame)[:, :, ::-1])  # RGB → the BGR that RapidOCR expects
        results, _elapsed = ocr(image, return_word_box=True)
        for segment in results or []:
            segment[1] = _respace(ocr, image, segment)
        texts.append(layout(results))
        if time.monotonic() - started > timeout_s:
            raise ParseError(f"OCR timed out after {timeout_s:.0f} s")
    return "\n".join(t for t in texts if t)
