"""Split parsed sections into chunks sized in tokens (of the embedding model) or characters.

Structure-aware: a title starts a new chunk and stays with the text that follows it;
tables are split between rows, never inside one; long text is split at paragraph, then
sentence (Chinese and Western punctuation), then word boundaries, and CJK text is never cut
mid-character (Python strings are code points). Consecutive chunks overlap by about
``overlap`` units, taken from whole sentences at the end of the previous chunk.

Defaults: 256 tokens with 32 tokens overlap (settings ``chunk_size`` / ``chunk_overlap``).
A load task's ``process_config`` (seed 003's ``process_type`` / ``rule``) becomes rules through
``ChunkRules.from_process_config``, which rejects bad custom rules with a clear message.

Custom separators are user regexes run in the flow process, so they must not be a way to pin it
(ReDoS): ``check_separator`` refuses, at task creation, the shapes that backtrack exponentially
(a quantified group holding another unbounded quantifier, such as ``(a+)+``; backreferences), and
the chunker runs them with the ``regex`` engine under a CPU budget per file (setting
``split_timeout_s``); a file past it fails with ``ParseTimeout`` and the load goes on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from typing import Any

import regex

from ingestflow.errors import ParseTimeout, ValidationFailed
from ingestflow.ids import chunk_id, content_hash
from ingestflow.records import Chunk, Section

_URL = re.compile(r"https?://\S+|www\.\S+")
# starts only where a run of address characters starts: without the look-behind every position
# of a long run is a new start and the scan is quadratic (20,000 letters: 4 s)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.])(?=\s)")
_DEFAULT_SEPARATORS = [r"\n\s*\n", r"\n"]
PRE_PROCESS_RULES = ("remove_extra_space", "remove_url_and_email")
MIN_CHUNK_SIZE = 16
MAX_CHUNK_TOKENS = 1000  # seed 003: a segment's content should not exceed 1000 tokens
MAX_CHUNK_CHARS = 8192
MAX_SEPARATORS = 10
MAX_SEPARATOR_LENGTH = 200
NESTED_REPEAT_MAX = 10  # an inner quantifier allowing more repeats than this counts as unbounded


@dataclass
class ChunkRules:
    """Seed 003's processing rules: pre-processing and segmentation."""

    chunk_size: int = 256
    chunk_overlap: int = 32
    unit: str = "tokens"  # or "chars"
    separators: list[str] = field(default_factory=list)  # custom regex separators (process_type custom)
    remove_extra_space: bool = True
    remove_url_and_email: bool = False
    split_timeout_s: float = 10.0  # CPU seconds the custom separators may take on one file (not in the fingerprint)

    @classmethod
    def from_process_config(cls, process_config: dict[str, Any] | None, settings: Any,
                            max_tokens: int | None = None) -> ChunkRules:
        """Rules from a load task's processing config (seed 003).

        ``{"process_type": "automatic"}`` (or no rule at all) gives the structure-aware defaults
        from ``settings`` (``chunk_size``/``chunk_overlap``/``chunk_unit``), capped at the
        embedding model's ``max_tokens`` when given. ``"custom"`` takes ``rule`` (or the same keys
        at the top level): ``pre_process_rules`` [{id, enabled}] and ``segment`` {separators
        (regexes; ``separator`` also accepted), chunk_size, chunk_overlap, unit}. Raises
        ``ValidationFailed`` naming the field that is wrong.
        """
        config = process_config or {}
        if not isinstance(config, dict):
            raise ValidationFailed("process_config: must be an object")
        process_type = config.get("process_type")
        rule = config.get("rule") if config.get("rule") is not None else config
        if not isinstance(rule, dict):
            raise ValidationFailed("process_config.rule: must be an object")
        if process_type is None:  # no type given: custom when it carries segment rules
            process_type = "custom" if any(k in rule for k in ("segment", "pre_process_rules")) else "automatic"
        if process_type not in ("automatic", "custom"):
            raise ValidationFailed(f"process_config.process_type: must be 'automatic' or 'custom', got {process_type!r}")
        size = settings.chunk_size if not max_tokens else min(settings.chunk_size, max_tokens)
        defaults = cls(chunk_size=size, chunk_overlap=min(settings.chunk_overlap, size // 4), unit=settings.chunk_unit,
                       split_timeout_s=float(getattr(settings, "split_timeout_s", 10.0)))
        if process_type == "automatic":
            return defaults
        return _custom_rules(rule, defaults, max_tokens)

    def fingerprint(self) -> str:
        return f"{self.unit}:{self.chunk_size}/{self.chunk_overlap}:{'|'.join(self.separators)}:{int(self.remove_extra_space)}{int(self.remove_url_and_email)}"


def _custom_rules(rule: dict[str, Any], defaults: ChunkRules, max_tokens: int | None) -> ChunkRules:
    """Validate seed 003's custom ``rule`` and build ChunkRules from it."""
    where = "process_config.rule"
    segment = rule.get("segment") or {}
    if not isinstance(segment, dict):
        raise ValidationFailed(f"{where}.segment: must be an object")
    unit = segment.get("unit", defaults.unit)
    if unit not in ("tokens", "chars"):
        raise ValidationFailed(f"{where}.segment.unit: must be 'tokens' or 'chars', got {unit!r}")
    upper = MAX_CHUNK_CHARS if unit == "chars" else min(MAX_CHUNK_TOKENS, max_tokens or MAX_CHUNK_TOKENS)
    size = _int_field(segment, "chunk_size", defaults.chunk_size, MIN_CHUNK_SIZE, upper, f"{where}.segment")
    overlap = _int_field(segment, "chunk_overlap", min(defaults.chunk_overlap, size // 4), 0, upper, f"{where}.segment")
    if overlap >= size:
        raise ValidationFailed(f"{where}.segment.chunk_overlap: must be smaller than chunk_size ({overlap} >= {size})")
    raw = segment.get("separators")
    if raw is None:
        raw = [segment["separator"]] if segment.get("separator") else []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ValidationFailed(f"{where}.segment.separators: must be a list of non-empty regular expressions")
    if len(raw) > MAX_SEPARATORS:
        raise ValidationFailed(f"{where}.segment.separators: at most {MAX_SEPARATORS} separators, got {len(raw)}")
    for pattern in raw:
        check_separator(pattern, f"{where}.segment.separators")
    # the seed's own example spells it "pre_proces_rules"
    pre_rules = rule.get("pre_process_rules", rule.get("pre_proces_rules")) or []
    if not isinstance(pre_rules, list):
        raise ValidationFailed(f"{where}.pre_process_rules: must be a list of {{id, enabled}}")
    enabled = {"remove_extra_space": defaults.remove_extra_space, "remove_url_and_email": defaults.remove_url_and_email}
    for item in pre_rules:
        if not isinstance(item, dict) or item.get("id") not in PRE_PROCESS_RULES:
            raise ValidationFailed(f"{where}.pre_process_rules: each rule needs an id in {list(PRE_PROCESS_RULES)}, got {item!r}")
        enabled[item["id"]] = bool(item.get("enabled", True))
    return ChunkRules(chunk_size=size, chunk_overlap=overlap, unit=unit, separators=raw,
                      remove_extra_space=enabled["remove_extra_space"],
                      remove_url_and_email=enabled["remove_url_and_email"], split_timeout_s=defaults.split_timeout_s)


def check_separator(pattern: str, where: str = "separator") -> None:
    """Refuse a custom separator that does not compile, matches "", or can backtrack exponentially.

    Refused shapes: a quantified group holding another unbounded quantifier (``(a+)+``, ``(\\w*\\s?)*``,
    ``(x{1,50})+``: star height 2, the classic ReDoS) and backreferences. Other slow patterns (overlapping
    alternatives such as ``(a|aa)+$``) cannot be told apart cheaply: the chunker's CPU budget stops those.
    """
    if len(pattern) > MAX_SEPARATOR_LENGTH:
        raise ValidationFailed(f"{where}: a separator may be at most {MAX_SEPARATOR_LENGTH} characters, got {len(pattern)}")
    try:
        compiled = regex.compile(pattern)
    except (regex.error, ValueError, OverflowError) as exc:
        raise ValidationFailed(f"{where}: invalid regular expression {pattern!r}: {exc}") from None
    if compiled.fullmatch(""):
        raise ValidationFailed(f"{where}: {pattern!r} matches the empty string")
    try:
        from re import _parser

        tree = _parser.parse(pattern)
    except Exception:  # noqa: BLE001 - syntax only ``regex`` knows (\\p{Han} …): the run-time budget covers it
        return
    problem = _backtracking_shape(tree, inside=False)
    if problem:
        raise ValidationFailed(f"{where}: {pattern!r} {problem}; it could take exponential time on some texts "
                               "(rewrite it without nesting, e.g. 'a+' instead of '(a+)+')")


def _backtracking_shape(tree: Any, inside: bool) -> str:
    """Why a parsed pattern (``re._parser`` tree) can backtrack exponentially, or ""."""
    from re import _constants as c

    for op, av in tree:
        children: list[Any] = []
        nested = inside
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, sub = av
            unbounded = high == c.MAXREPEAT or high > NESTED_REPEAT_MAX
            if unbounded and inside:
                return "nests an unbounded quantifier inside another quantifier"
            nested = inside or high > 1
            children = [sub]
        elif op == c.GROUPREF or op == c.GROUPREF_EXISTS:
            return "uses a backreference"
        elif op == c.SUBPATTERN:
            children = [av[-1]]
        elif op == c.BRANCH:
            children = list(av[1])
        elif op in (c.ASSERT, c.ASSERT_NOT):
            children = [av[1]]
        elif op == c.ATOMIC_GROUP:
            children = [av]
        # POSSESSIVE_REPEAT never backtracks into its body: not walked
        for child in children:
            if problem := _backtracking_shape(child, nested):
                return problem
    return ""


def _int_field(obj: dict[str, Any], key: str, default: int, low: int, high: int, where: str) -> int:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationFailed(f"{where}.{key}: must be an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(f"{where}.{key}: must be an integer, got {value!r}") from None
    if number != float(value) or not low <= number <= high:
        raise ValidationFailed(f"{where}.{key}: must be an integer from {low} to {high}, got {value!r}")
    return number


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
        self._custom = [regex.compile(p) for p in rules.separators]
        self._spent = 0.0  # CPU seconds the custom separators took so far (one Chunker per document)

    def _split_custom(self, pattern: Any, text: str) -> list[str]:
        """``pattern.split(text)`` within what is left of the file's budget; ParseTimeout past it."""
        left = self.rules.split_timeout_s - self._spent
        started = time.thread_time()
        try:
            if left <= 0:
                raise TimeoutError
            # concurrent: the GIL is released, so the flow's other threads (embedding, Prefect) keep going
            return pattern.split(text, timeout=left, concurrent=True)
        except TimeoutError:
            raise ParseTimeout(f"splitting with the custom separator {pattern.pattern!r} took more than "
                               f"{self.rules.split_timeout_s:g} s of CPU (setting split_timeout_s); "
                               "the file is left out") from None
        finally:
            self._spent += time.thread_time() - started

    def _split_long(self, text: str) -> list[str]:
        """Pieces of ``text`` that each fit chunk_size: separators → sentences → words → characters."""
        if self._count(text) <= self.rules.chunk_size:
            return [text]
        for pattern in [*self._custom, *_DEFAULT_SEPARATORS, _SENTENCE_END.pattern, r"(?<=\s)"]:
            pieces = self._split_custom(pattern, text) if not isinstance(pattern, str) else re.split(pattern, text)
            parts = [p for p in pieces if p and p.strip()]
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
