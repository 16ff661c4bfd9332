"""Chunk sizes, structure (titles, table rows), overlap and deterministic identity."""

from __future__ import annotations

import re

import pytest

from ingestflow.indexers.chunking import Chunker, ChunkRules, preprocess
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


# --- seed 003 processing rules ------------------------------------------------------------------

def _settings(**kw):
    from ingestflow.settings import Settings

    return Settings(**kw)


def test_automatic_rules_are_the_structure_aware_defaults_capped_at_the_model_limit() -> None:
    rules = ChunkRules.from_process_config({"process_type": "automatic"}, _settings(chunk_size=400, chunk_overlap=40))
    assert (rules.chunk_size, rules.chunk_overlap, rules.unit, rules.separators) == (400, 40, "tokens", [])
    assert rules.remove_extra_space and not rules.remove_url_and_email
    capped = ChunkRules.from_process_config({}, _settings(chunk_size=400), max_tokens=128)
    assert capped.chunk_size == 128 and capped.chunk_overlap < 128
    assert ChunkRules.from_process_config(None, _settings()).fingerprint() == ChunkRules().fingerprint()


def test_custom_rules_from_the_seed_example() -> None:
    config = {"process_type": "custom", "rule": {
        "pre_proces_rules": [{"id": "remove_extra_space", "enabled": True}, {"id": "remove_url_and_email", "enabled": True}],
        "segment": {"separators": ["\n"], "chunk_size": 500, "chunk_overlap": 50}}}
    rules = ChunkRules.from_process_config(config, _settings())
    assert (rules.chunk_size, rules.chunk_overlap, rules.separators) == (500, 50, ["\n"])
    assert rules.remove_extra_space and rules.remove_url_and_email


def test_custom_singular_separator_and_top_level_segment() -> None:
    rules = ChunkRules.from_process_config({"segment": {"separator": "###", "chunk_size": 64, "chunk_overlap": 0}}, _settings())
    assert (rules.separators, rules.chunk_size, rules.chunk_overlap) == (["###"], 64, 0)


@pytest.mark.parametrize("config, message", [
    ({"process_type": "magic"}, "process_type: must be 'automatic' or 'custom'"),
    ({"process_type": "custom", "rule": {"segment": {"chunk_size": 5}}}, "segment.chunk_size: must be an integer from 16 to 1000"),
    ({"process_type": "custom", "rule": {"segment": {"chunk_size": 5000}}}, "segment.chunk_size: must be an integer from 16 to 1000"),
    ({"process_type": "custom", "rule": {"segment": {"chunk_size": "big"}}}, "segment.chunk_size: must be an integer"),
    ({"process_type": "custom", "rule": {"segment": {"chunk_size": 100, "chunk_overlap": 100}}},
     "chunk_overlap: must be smaller than chunk_size"),
    ({"process_type": "custom", "rule": {"segment": {"separators": ["(unclosed"]}}}, "invalid regular expression '(unclosed'"),
    ({"process_type": "custom", "rule": {"segment": {"separators": ["x*"]}}}, "matches the empty string"),
    ({"process_type": "custom", "rule": {"pre_process_rules": [{"id": "remove_everything", "enabled": True}]}},
     "pre_process_rules: each rule needs an id"),
])
def test_bad_custom_rules_are_rejected_with_the_field_named(config, message) -> None:
    from ingestflow.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match=re.escape(message)):
        ChunkRules.from_process_config(config, _settings())


def test_custom_separator_regex_splits_text() -> None:
    rules = ChunkRules.from_process_config({"process_type": "custom", "rule": {"segment": {
        "separators": [r"\s*---\s*"], "chunk_size": 20, "chunk_overlap": 0, "unit": "chars"}}}, _settings())
    chunks = Chunker(rules, len).chunk("d", [Section("第一部分的内容写在这里 --- 第二部分的内容写在这里")])
    assert [c.text for c in chunks] == ["第一部分的内容写在这里", "第二部分的内容写在这里"]


# --- what each chunk records ------------------------------------------------------------------

def test_each_chunk_records_position_counts_page_and_hash() -> None:
    from ingestflow.ids import content_hash

    def count(text: str) -> int:  # a stand-in tokenizer: one token per CJK character or word
        return sum(1 for c in text if "\u4e00" <= c <= "\u9fff") + len(re.findall(r"[A-Za-z0-9]+", text))

    sections = [Section("第一页", "title", 1), Section("大熊猫吃竹子。" * 12, "text", 1), Section("第二页的内容。" * 12, "text", 2)]
    chunks = Chunker(ChunkRules(chunk_size=40, chunk_overlap=0), count).chunk("doc", sections)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert c.char_count == len(c.text) and c.token_count == count(c.text) <= 40
        assert c.content_hash == content_hash(c.text)
    assert chunks[0].page == 1 and chunks[-1].page == 2


def test_cjk_text_is_never_cut_mid_character_even_with_astral_characters() -> None:
    text = "𠀀𠀁𠀂" * 200  # CJK Extension B: outside the BMP (surrogate pairs in UTF-16)
    chunks = chars(ChunkRules(chunk_size=50, chunk_overlap=0, unit="chars")).chunk("d", [Section(text)])
    assert "".join(c.text for c in chunks) == text
    for c in chunks:
        c.text.encode("utf-8")  # a split surrogate would raise here
        assert all(ch in "𠀀𠀁𠀂" for ch in c.text)


def test_task_creation_refuses_bad_processing_rules_up_front() -> None:
    from pydantic import ValidationError

    from ingestflow.api.schemas.tasks import TaskCreate

    base = {"source_connector_id": 1, "volume_id": "7",
            "source_config": {"common_file_task_config": {"load_mode_config": {"load_interval_type": 4}, "uris": []}}}
    ok = TaskCreate(**base, process_config={"process_type": "custom", "rule": {"segment": {"chunk_size": 500, "chunk_overlap": 50}}})
    assert ok.process_config.rule["segment"]["chunk_size"] == 500
    with pytest.raises(ValidationError, match="chunk_overlap: must be smaller than chunk_size"):
        TaskCreate(**base, process_config={"process_type": "custom", "rule": {"segment": {"chunk_size": 100, "chunk_overlap": 200}}})
