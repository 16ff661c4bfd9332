"""Custom separators cannot pin the flow process (ReDoS): refused up front, or cut off by a CPU budget."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from ingestflow.errors import ParseTimeout, ValidationFailed
from ingestflow.indexers.chunking import Chunker, ChunkRules, check_separator, preprocess
from ingestflow.records import Section

EVIL_TEXT = "a" * 34 + "!"  # the reproducer: `(a+)+$` on it never ends with Python's re


def _custom(separators: list[str]) -> dict:
    return {"process_type": "custom", "rule": {"segment": {"separators": separators, "chunk_size": 16,
                                                           "chunk_overlap": 0, "unit": "chars"}}}


def _settings(**kw) -> SimpleNamespace:
    return SimpleNamespace(**{"chunk_size": 256, "chunk_overlap": 32, "chunk_unit": "tokens", "split_timeout_s": 1.0,
                              **kw})


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a*)*b", r"(\w+\s?)+$", r"((ab)+c?)+", r"(x{1,50})+", r"(a)\1"])
def test_exponential_shapes_are_refused_at_creation(pattern) -> None:
    with pytest.raises(ValidationFailed, match="separators") as err:
        ChunkRules.from_process_config(_custom([pattern]), _settings())
    assert "quantifier" in err.value.message or "backreference" in err.value.message


@pytest.mark.parametrize("pattern", [r"\n\n+", r"#{1,6}\s", r"\s*---\s*", r"(\r?\n){2,}", r"[。！？]", r"(?<=。)",
                                     r"\p{Han}{3}:", r"(?:ab)+"])
def test_ordinary_separators_pass(pattern) -> None:
    check_separator(pattern)


def test_too_many_or_too_long_separators_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="at most 10 separators"):
        ChunkRules.from_process_config(_custom(["x"] * 11), _settings())
    with pytest.raises(ValidationFailed, match="at most 200 characters"):
        check_separator("x" * 201)


def test_a_slow_separator_that_passes_validation_fails_the_file_within_its_budget() -> None:
    rules = ChunkRules.from_process_config(_custom([r"(a|aa)+$"]), _settings(split_timeout_s=0.5))
    assert rules.split_timeout_s == 0.5
    started = time.thread_time()
    with pytest.raises(ParseTimeout, match=r"custom separator '\(a\|aa\)\+\$' took more than 0.5 s"):
        Chunker(rules, len).chunk("d", [Section(EVIL_TEXT)])
    assert time.thread_time() - started < 5  # the CPU this thread spent: the budget, not forever


def test_the_budget_is_per_file_across_every_split() -> None:
    rules = ChunkRules(chunk_size=16, chunk_overlap=0, unit="chars", separators=[r"(a|aa)+$"], split_timeout_s=0.5)
    Chunker(rules, len).chunk("d", [Section("a" * 24 + "!")])  # one split: ≈ 0.05 s of CPU, within the budget
    sections = [Section("a" * 24 + "!") for _ in range(40)]  # together ≈ 2 s: past it
    with pytest.raises(ParseTimeout):
        Chunker(rules, len).chunk("d", sections)


def test_custom_separators_still_split() -> None:
    rules = ChunkRules.from_process_config(_custom([r"\s*---\s*"]), _settings())
    chunks = Chunker(rules, len).chunk("d", [Section("第一部分的内容写在这里 --- 第二部分的内容写在这里")])
    assert [c.text for c in chunks] == ["第一部分的内容写在这里", "第二部分的内容写在这里"]


def test_email_removal_is_linear_on_a_long_run_of_letters() -> None:
    rules = ChunkRules(remove_url_and_email=True)
    started = time.thread_time()
    assert preprocess("a" * 200_000, rules) == "a" * 200_000  # quadratic before: ≈ 400 s
    assert time.thread_time() - started < 2
    assert preprocess("mail x.y+z@ex-ample.com now", rules) == "mail now"
