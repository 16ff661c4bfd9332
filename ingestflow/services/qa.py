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
