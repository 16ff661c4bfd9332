"""A safe ``filter_expr``: a client's filter parsed against an allow-list, re-emitted by us.

Client text is never spliced into a Milvus expression. The expression is tokenised and parsed
into a small tree; only allow-listed fields, operators and literal types pass; the Milvus
expression is then written from the tree with every value escaped by :func:`quote`. Anything
else raises ``ValidationFailed`` (HTTP 400).

Grammar (keywords case-insensitive; ``&&``/``||``/``!`` are accepted for ``and``/``or``/``not``)::

    expr       := term (("or" | "||") term)*
    term       := factor (("and" | "&&") factor)*
    factor     := ("not" | "!") factor | "(" expr ")" | comparison
    comparison := FIELD ("==" | "!=" | "<" | "<=" | ">" | ">=") VALUE
                | FIELD ["not"] "in" "[" VALUE ("," VALUE)* "]"
                | FIELD "like" "'prefix%'"               (prefix match only)
    VALUE      := 'string' | "string" | integer

Milvus Lite rejects ``not (…)``, so negations are pushed down to the comparisons (De Morgan;
``==`` ↔ ``!=``, ``<`` ↔ ``>=``, ``in`` ↔ ``not in``); a negated ``like`` is refused.

Milvus refuses an expression tree deeper than ~50 levels (a flat chain of 51 ``and``s fails deep in its
planner), so chains are written as balanced trees (depth log₂ n) and a filter holds at most
``MAX_FILTER_COMPARISONS`` comparisons. Milvus does not unescape ``\n``/``\t`` in literals, so a value with a
control character could never match: it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import unicodedata

from ingestflow.errors import ValidationFailed
from ingestflow.limits import INT64_MAX, MAX_FILTER_CHARS, MAX_FILTER_COMPARISONS

STRING_FIELDS = frozenset({"id", "doc_id", "volume_id", "uri", "doc_name", "tenant_code", "org_code", "content_hash"})
INT_FIELDS = frozenset({"file_type", "page", "position", "token_count", "char_count"})
FIELDS = STRING_FIELDS | INT_FIELDS
MAX_LENGTH = MAX_FILTER_CHARS
MAX_DEPTH = 32
MAX_LIST = 1024
MAX_COMPARISONS = MAX_FILTER_COMPARISONS
_INT_LIMIT = INT64_MAX
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>[-+]?\d+(?![\w.]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!(),\[\]])
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


class MilvusExpr(str):
    """A Milvus boolean expression written by this module (never raw client text)."""


def quote(value: str) -> str:
    """A Milvus string literal with backslashes and double quotes escaped; ValidationFailed for a value with a
    control character (Milvus cannot match one: it refuses a raw newline and keeps ``\\n`` as two characters)."""
    text = str(value)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValidationFailed("filter values may not contain control characters (newline, tab …)")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def balanced(op: str, parts: list[str]) -> str:
    """``(a op b) op (c op d)`` …: the parts joined as a balanced tree, so its depth grows as log₂ n."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return f"({balanced(op, parts[:half])} {op} {balanced(op, parts[half:])})"


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # ==, !=, <, <=, >, >=, in, not in, like
    value: object  # str | int | tuple of them


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise ValidationFailed(f"filter_expr: unsupported escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[tuple[str, object]]:
    """(kind, value) tokens; kinds: str, num, name, kw, op."""
    tokens: list[tuple[str, object]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValidationFailed(f"filter_expr: unexpected character {text[pos]!r} at position {pos}")
        pos = match.end()
        kind = match.lastgroup
        raw = match.group()
        if kind == "ws":
            continue
        if kind == "str":
            tokens.append(("str", _unescape(raw[1:-1])))
            if any(unicodedata.category(c) == "Cc" for c in str(tokens[-1][1])):
                raise ValidationFailed("filter_expr: string literals may not contain control characters "
                                       "(newline, tab …)")
        elif kind == "num":
            number = int(raw)
            if abs(number) > _INT_LIMIT:
                raise ValidationFailed("filter_expr: integer out of range")
            tokens.append(("num", number))
        elif kind == "name" and raw.lower() in ("and", "or", "not", "in", "like", "true", "false"):
            tokens.append(("kw", raw.lower()))
        else:
            tokens.append((kind, raw))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.comparisons = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        token = self.peek()
        if token is None:
            raise ValidationFailed("filter_expr: unexpected end of expression")
        self.i += 1
        return token

    def accept(self, *options: tuple[str, str]) -> bool:
        if self.peek() in options:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: str) -> None:
        token = self.take()
        if token != (kind, value):
            raise ValidationFailed(f"filter_expr: expected {value!r}, found {token[1]!r}")

    def parse(self) -> object:
        tree = self.expr()
        if self.peek() is not None:
            raise ValidationFailed(f"filter_expr: unexpected {self.peek()[1]!r}")
        return tree

    def expr(self) -> object:
        items = [self.term()]
        while self.accept(("kw", "or"), ("op", "||")):
            items.append(self.term())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def term(self) -> object:
        items = [self.factor()]
        while self.accept(("kw", "and"), ("op", "&&")):
            items.append(self.factor())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def factor(self) -> object:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValidationFailed("filter_expr: nested too deeply")
        try:
            if self.accept(("kw", "not"), ("op", "!")):
                return Not(self.factor())
            if self.accept(("op", "(")):
                inner = self.expr()
                self.expect("op", ")")
                return inner
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Compare:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise ValidationFailed(f"filter_expr: at most {MAX_COMPARISONS} comparisons (use field in [...] for "
                                   "many values)")
        kind, field = self.take()
        if kind != "name":
            raise ValidationFailed(f"filter_expr: expected a field name, found {field!r}")
        if field not in FIELDS:
            raise ValidationFailed(f"filter_expr: field {field!r} is not filterable; "
                                   f"use one of {', '.join(sorted(FIELDS))}")
        kind, op = self.take()
        if kind == "kw" and op == "not":
            self.expect("kw", "in")
            op = "not in"
        elif kind == "op" and op in ("==", "!=", "<", "<=", ">", ">="):
            pass
        elif kind != "kw" or op not in ("in", "like"):
            raise ValidationFailed(f"filter_expr: unsupported operator {op!r} after {field!r}")
        if op in ("in", "not in"):
            return Compare(field, op, tuple(self._check(field, op, v) for v in self.values()))
        value = self._check(field, op, self.value())
        if op == "like":
            return Compare(field, op, _like_prefix(value))
        return Compare(field, op, value)

    def values(self) -> list[object]:
        self.expect("op", "[")
        out = [self.value()]
        while self.accept(("op", ",")):
            out.append(self.value())
            if len(out) > MAX_LIST:
                raise ValidationFailed(f"filter_expr: lists hold at most {MAX_LIST} values")
        self.expect("op", "]")
        return out

    def value(self) -> object:
        kind, value = self.take()
        if kind not in ("str", "num"):
            raise ValidationFailed(f"filter_expr: expected a string or integer literal, found {value!r}")
        return value

    @staticmethod
    def _check(field: str, op: str, value: object) -> object:
        if field in INT_FIELDS:
            if not isinstance(value, int) or op == "like":
                raise ValidationFailed(f"filter_expr: {field} takes integer values")
        elif not isinstance(value, str):
            raise ValidationFailed(f"filter_expr: {field} takes string values ('…')")
        elif op in ("<", "<=", ">", ">="):
            raise ValidationFailed(f"filter_expr: {op} is not allowed on the string field {field}")
        return value


def _like_prefix(pattern: str) -> str:
    body = pattern[:-1] if pattern.endswith("%") else None
    if body is None or "%" in body or "_" in body:
        raise ValidationFailed("filter_expr: like takes a prefix pattern 'text%' (no other % or _ wildcards)")
    return body


def _emit(node: object, negate: bool = False) -> str:
    if isinstance(node, Not):
        return _emit(node.item, not negate)
    if isinstance(node, BoolOp):
        op = node.op if not negate else ("or" if node.op == "and" else "and")
        return balanced(op, [_emit(item, negate) for item in node.items])  # parenthesised: a BoolOp has ≥ 2
    assert isinstance(node, Compare)  # noqa: S101 - the parser builds nothing else
    op = node.op
    if negate:
        if op == "like":
            raise ValidationFailed("filter_expr: a negated like is not supported")
        op = _NEGATE[op]
    if op == "like":
        return f"{node.field} like {quote(node.value + '%')}"
    if op in ("in", "not in"):
        return f"{node.field} {op} [{', '.join(_literal(v) for v in node.value)}]"
    return f"{node.field} {op} {_literal(node.value)}"


def _literal(value: object) -> str:
    return str(int(value)) if isinstance(value, int) else quote(str(value))


def compile_filter(text: str | None) -> MilvusExpr | None:
    """Parse a client's filter expression and return the Milvus expression we write for it."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(f"filter_expr: longer than {MAX_LENGTH} characters")
    return MilvusExpr(_emit(_Parser(tokenize(text)).parse()))


def conjoin(*parts: str | None) -> str:
    """``(a) and (b) …`` of the non-empty parts."""
    kept = [p for p in parts if p]
    return " and ".join(f"({p})" for p in kept) if len(kept) > 1 else (kept[0] if kept else "")
