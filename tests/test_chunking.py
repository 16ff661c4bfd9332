"""Chunk sizes, structure (titles, table rows), overlap and deterministic identity."""

from __future__ import annotations

import pytest

from indexers.chunking import Chunker, ChunkRules, preprocess
from ingestflow.records import Section


def chars(rules: ChunkRules) -> Chunker:
    return Chunker(rules, len)


def test_chunks_respect_size_in_characters() -> None:
    text = "。".join(["向量数据库支持语义搜索"] * 60) + "。"
    chunks = chars(ChunkRules(chunk_size=100, chunk_overlap=0, unit="chars")).chunk("d", [Section(text)])
    assert len(chunks) > 5
    assert all(c.char_count <= 100 for c in chunks)
    assert "".join(c.text for c in chunks).replace("\n", "") == text


def test_long_cjk_run_without_punctuation_is_cut_by_characters() -> None:
    text = "数" * 1000
    chunks = chars(ChunkRules(chunk_size=128, chunk_overlap=0, unit="chars")).chunk("d", [Section(text)])
    assert all(len(c.text) <= 128 for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_title_starts_a_chunk_and_stays_with_its_text() -> None:
    sections = [Section("Intro", "title"), Section("a" * 50), Section("Details", "title"), Section("b" * 50)]
    chunks = chars(ChunkRules(chunk_size=200, chunk_overlap=0, unit="chars")).chunk("d", sections)
    assert [c.text.split("\n")[0] for c in chunks] == ["Intro", "Details"]


def test_table_rows_are_never_split() -> None:
    rows = [f"row{i} | 值{i} | {i * 10}" for i in range(40)]
    chunks = chars(ChunkRules(chunk_size=60, chunk_overlap=0, unit="chars")).chunk("d", [Section("\n".join(rows), "table")])
    assert len(chunks) > 1
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            assert line in rows


def test_overlap_repeats_the_tail_of_the_previous_chunk() -> None:
    sentences = [f"Sentence number {i} is here." for i in range(30)]
    chunks = chars(ChunkRules(chunk_size=120, chunk_overlap=40, unit="chars")).chunk("d", [Section(" ".join(sentences))])
    assert len(chunks) > 2
    for prev, nxt in zip(chunks, chunks[1:]):
        first_sentence = nxt.text.split(".")[0]
        assert first_sentence in prev.text


def test_ids_are_deterministic_and_content_addressed() -> None:
    rules = ChunkRules(chunk_size=50, chunk_overlap=0, unit="chars")
    a = chars(rules).chunk("doc", [Section("甲乙丙丁。" * 30)])
    b = chars(rules).chunk("doc", [Section("甲乙丙丁。" * 30)])
    c = chars(rules).chunk("doc", [Section("甲乙丙戊。" * 30)])
    assert [x.id for x in a] == [x.id for x in b]
    assert a[0].id != c[0].id
    assert len({x.id for x in a}) == len(a)
    assert [x.position for x in a] == list(range(len(a)))


def test_token_unit_uses_the_given_counter() -> None:
    words = " ".join(f"w{i}" for i in range(300))
    chunks = Chunker(ChunkRules(chunk_size=64, chunk_overlap=8), lambda t: len(t.split())).chunk("d", [Section(words)])
    assert all(c.token_count <= 64 for c in chunks)


def test_preprocess_rules() -> None:
    rules = ChunkRules(remove_extra_space=True, remove_url_and_email=True)
    assert preprocess("see  https://x.io/a   or mail a.b@c.com  now", rules) == "see or mail now"


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        Chunker(ChunkRules(chunk_size=10, chunk_overlap=10), len)
