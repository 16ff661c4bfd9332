"""filter_expr: allow-listed fields and operators, values escaped by us, hostile input refused."""

from __future__ import annotations

import pytest

from ingestflow.indexers.filter_expr import MilvusExpr, compile_filter, conjoin
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.errors import ValidationFailed


@pytest.mark.parametrize(("text", "expected"), [
    ("tenant_code == 't1' && org_code == 'orgA'", '(tenant_code == "t1" and org_code == "orgA")'),
    ('doc_id in ["a", "b"]', 'doc_id in ["a", "b"]'),
    ("page >= 2 and position < 10", "(page >= 2 and position < 10)"),
    ("file_type not in [1, 2]", "file_type not in [1, 2]"),
    ("uri like 'docs/%'", 'uri like "docs/%"'),
    ("doc_name == 'O\\'Brien \"q\"'", 'doc_name == "O\'Brien \\"q\\""'),
    ("not (page == 1 or file_type != 3)", "(page != 1 and file_type == 3)"),
    ("!(doc_id in ['x'])", 'doc_id not in ["x"]'),
    ("NOT NOT page > 1", "page > 1"),
    ("(uri like 'a%' || position <= -1) AND page > 0", '((uri like "a%" or position <= -1) and page > 0)'),
    ("   ", None),
])
def test_valid_expressions_are_rewritten_by_us(text, expected) -> None:
    result = compile_filter(text)
    assert result == expected
    assert result is None or isinstance(result, MilvusExpr)


@pytest.mark.parametrize("text", [
    'tenant_code == "t1" or 1 == 1',                 # literal on the left
    "tenant_code == 't1') or (tenant_code != 'x'",    # unbalanced parentheses
    'tenant_code == "t1" || "x"',                     # dangling literal
    "text like '%secret%'",                           # text is not filterable
    "dense == 1",
    "id == 'a'; drop collection",                     # trailing garbage
    'doc_id == "unterminated',
    "doc_id == 'a\\x41'",                             # unknown escape
    "page == '1'",                                    # wrong literal type
    "tenant_code == 5",
    "page > 0.5",                                     # floats are not taken
    "doc_name > 'a'",                                 # ordering on strings
    "uri like '%x'",                                  # infix/suffix like
    "uri like 'a_b%'",                                # _ wildcard
    "uri like 'abc'",                                 # no %
    "not uri like 'a%'",                              # negated like (Milvus Lite has no not)
    "json_contains(meta, 'x')",                       # functions
    "meta['tenant'] == 'x'",
    "page == 1 and",
    "page === 1",
    "page == true",
    "tenant_code in []",
    "(" * 40 + "page == 1" + ")" * 40,                # too deep
    "page == 99999999999999999999999",                # out of int64
    "page == 1 " + "and page == 1 " * 600,            # too long
])
def test_hostile_or_malformed_input_is_refused(text) -> None:
    with pytest.raises(ValidationFailed, match="filter_expr"):
        compile_filter(text)


def test_a_chunk_filter_takes_only_expressions_we_wrote() -> None:
    with pytest.raises(TypeError):
        ChunkFilter(clause='tenant_code != ""').expression()  # type: ignore[arg-type]
    flt = ChunkFilter(tenant_code="t1", clause=compile_filter("tenant_code == 't2' or page > 0"))
    # the client's clause is parenthesised and AND-ed with the server's tenant filter
    assert flt.expression() == '(((tenant_code == "t2" or page > 0)) and tenant_code == "t1")'


def test_conjoin_parenthesises_each_part() -> None:
    assert conjoin("a == 1", None, "b == 2 or c == 3") == "(a == 1) and (b == 2 or c == 3)"
    assert conjoin("", "a == 1") == "a == 1"


def _depth(expr: str) -> int:
    deepest = level = 0
    for ch in expr:
        level += (ch == "(") - (ch == ")")
        deepest = max(deepest, level)
    return deepest


def test_chains_are_written_as_balanced_trees_and_bounded() -> None:
    from ingestflow.limits import MAX_FILTER_COMPARISONS

    chain = " and ".join(f"position != {i}" for i in range(MAX_FILTER_COMPARISONS))
    written = ChunkFilter(tenant_code="t", org_code="o", doc_ids=["d"], clause=compile_filter(chain)).expression()
    assert written.count("position !=") == MAX_FILTER_COMPARISONS and _depth(written) <= 10  # flat: 50 levels
    with pytest.raises(ValidationFailed, match="at most 50 comparisons"):
        compile_filter(chain + " and page == 1")


@pytest.mark.parametrize("text", ["doc_name == 'a\nb'", "doc_name == 'a\\nb'", "uri == 'a\\tb'", "uri == 'a\x01'"])
def test_control_characters_in_literals_are_refused(text) -> None:
    with pytest.raises(ValidationFailed, match="control characters"):
        compile_filter(text)
    with pytest.raises(ValidationFailed, match="control characters"):
        ChunkFilter(uri_prefix="a\nb").expression()
