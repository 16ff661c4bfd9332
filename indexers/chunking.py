"""Split parsed sections into chunks sized in tokens (of the embedding model) or characters.

Structure-aware: a title starts a new chunk and stays with the text that follows it;
tables are split between rows, never inside one; long text is split at paragraph, then
sentence (Chinese and Western punctuation), then word boundaries, and CJK text is never cut
mid-character (Python strings are code points). Consecutive chunks overlap by about
``overlap`` units, taken from whole sentences at the end of the previous chunk.

Defaults: 256 tokens with 32 tokens overlap (settings ``chunk_size`` / ``chunk_overlap``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestflow.ids import chunk_id, content_hash
from ingestflow.records import Chunk, Section

_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.])(?=\s)")
_DEFAULT_SEPARATORS = [r"\n\s*\n", r"\n"]


@dataclass
class ChunkRules:
    """Seed 003's processing rules: pre-processing and segmentation."""

    chunk_size: int = 256
    chunk_overlap: int = 32
    unit: str = "tokens"  # or "chars"
    separators: list[str] = field(default_factory=list)  # custom regex separators (process_type custom)
    remove_extra_space: bool = True
    remove_url_and_email: bool = False

    def fingerprint(self) -> str:
        return f"{self.unit}:{self.chunk_size}/{self.chunk_overlap}:{'|'.join(self.separators)}:{int(self.remove_extra_space)}{int(self.remove_url_and_email)}"


def preprocess(text: str, rules: ChunkRules) -> str:
    """Apply the pre-processing rules to one piece of text."""
    if rules.remove_url_and_email:
        text = _EMAIL.sub("", _URL.sub("", text))
    if rules.remove_extra_space:
        text = re.sub(r"[ \t\u3000]+", " ", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


@dataclass
class _Unit:
    text: str
    size: int
    starts_block: bool = False  # a title: a chunk boundary before it
    page: int | None = None
    joiner: str = "\n"


class Chunker:
    """Turns sections into ``Chunk``s with deterministic ids."""

    def __init__(self, rules: ChunkRules, count_tokens: Callable[[str], int]) -> None:
        if rules.chunk_overlap >= rules.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self.rules = rules
        self._count = count_tokens if rules.unit == "tokens" else len

    def _split_long(self, text: str) -> list[str]:
        """Pieces of ``text`` that each fit chunk_size: separators → sentences → words → characters."""
        if self._count(text) <= self.rules.chunk_size:
            return [text]
        for pattern in [*self.rules.separators, *_DEFAULT_SEPARATORS, _SENTENCE_END.pattern, r"(?<=\s)"]:
            parts = [p for p in re.split(pattern, text) if p and p.strip()]
            if len(parts) > 1:
                return [piece for part in parts for piece in self._split_long(part.strip())]
        # no boundary left (e.g. one long CJK run): cut by characters, never mid-character
        step = max(1, len(text) * self.rules.chunk_size // max(1, self._count(text)))
        return [text[i:i + step] for i in range(0, len(text), step)]

    def _units(self, sections: list[Section]) -> list[_Unit]:
        units: list[_Unit] = []
        for section in sections:
            text = preprocess(section.text, self.rules)
            if not text:
                continue
            if section.kind == "table":
                rows = text.split("\n")
                for i, row in enumerate(rows):
                    for piece in self._split_long(row):
                        units.append(_Unit(piece, self._count(piece), starts_block=False, page=section.page))
                continue
            is_title = section.kind == "title"
            for i, piece in enumerate(self._split_long(text)):
                units.append(_Unit(piece, self._count(piece), starts_block=is_title and i == 0, page=section.page,
                                   joiner="\n" if i == 0 else ("" if _cjk_edge(piece) else " ")))
        return units

    def chunk(self, doc_id: str, sections: list[Section]) -> list[Chunk]:
        """Chunks of one document, positions 0..n-1, ids from (doc, position, content hash)."""
        size, overlap = self.rules.chunk_size, self.rules.chunk_overlap
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        used = 0
        for unit in self._units(sections):
            # a title closes the current chunk unless the chunk holds only titles so far
            boundary = unit.starts_block and any(not u.starts_block for u in current)
            if current and (boundary or used + unit.size > size):
                groups.append(current)
                current, used = self._overlap_tail(current, overlap) if not boundary else ([], 0)
                if used + unit.size > size:
                    current, used = [], 0
            current.append(unit)
            used += unit.size
        if current:
            groups.append(current)
        chunks = []
        for position, group in enumerate(groups):
            text = group[0].text + "".join(u.joiner + u.text for u in group[1:])
            digest = content_hash(text)
            chunks.append(Chunk(
                id=chunk_id(doc_id, position, digest), doc_id=doc_id, position=position, text=text,
                content_hash=digest, token_count=sum(u.size for u in group) if self.rules.unit == "tokens" else self._count_tokens_safe(text),
                char_count=len(text), page=next((u.page for u in group if u.page is not None), None),
            ))
        return chunks

    def _count_tokens_safe(self, text: str) -> int:
        return len(text.split()) + sum(1 for c in text if "\u4e00" <= c <= "\u9fff")

    @staticmethod
    def _overlap_tail(group: list[_Unit], overlap: int) -> tuple[list[_Unit], int]:
        """The last whole units of ``group`` whose size fits in ``overlap`` (titles are not repeated)."""
        tail: list[_Unit] = []
        used = 0
        for unit in reversed(group):
            if unit.starts_block or used + unit.size > overlap:
                break
            tail.insert(0, unit)
            used += unit.size
        return tail, used


def _cjk_edge(text: str) -> bool:
    return bool(text) and "\u3000" <= text[0] <= "\u9fff"
