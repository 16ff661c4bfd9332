"""Shared field types: seed ids (19-digit strings, ints accepted on input), bounded ints, pages, search words.

The bounds themselves live in ``ingestflow.limits`` (one place, shared with the layers below).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

from ingestflow.limits import INT64_MAX, MAX_FILTER_CHARS, MAX_KEYWORD_CHARS, MAX_PAGE  # noqa: F401 (re-exported)

_DIGITS = re.compile(r"^\d{1,20}$")


def _id(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("must be a numeric id")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.match(value.strip()):
        raise ValueError("must be a numeric id (digits, as a string or a number)")
    if int(value) > INT64_MAX:
        raise ValueError(f"must be a numeric id of at most {INT64_MAX}")
    return value.strip()


Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""An integer the catalog can store (a JSON number ≥ 2⁶³ is a 400, not an overflow)."""
IntId = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A numeric (connector) id in a body."""
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
"""A 1-based page number in a query string."""
Keyword = Annotated[str, Query(max_length=MAX_KEYWORD_CHARS)]
"""A name/content search word in a query string."""
IntIdPath = Annotated[int, Path(ge=0, le=INT64_MAX)]
"""A numeric (connector) id in a path."""


IdStr = Annotated[str, BeforeValidator(_id)]
"""A task/file/volume id: a string of digits; JSON numbers are accepted and turned into strings."""


def parse_id(value: Any, field: str) -> str:
    """Like IdStr for query parameters; ValidationFailed naming the field."""
    from ingestflow.errors import ValidationFailed

    try:
        return _id(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}") from None


def int_list(values: list[str] | None, field: str, allowed: range | None = None) -> list[int]:
    """A repeatable or comma-separated query list of ints ("1,2" or ?x=1&x=2 or "[1,2]")."""
    from ingestflow.errors import ValidationFailed

    out: list[int] = []
    for raw in values or []:
        for part in str(raw).strip("[]").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                number = int(part)
            except ValueError:
                raise ValidationFailed(f"{field}: {part!r} is not an integer") from None
            if allowed is not None and number not in allowed:
                raise ValidationFailed(f"{field}: {number} is out of range {allowed.start}–{allowed.stop - 1}")
            out.append(number)
    return out


def str_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for raw in values or []:
        out.extend(p.strip().strip('"') for p in str(raw).strip("[]").split(",") if p.strip())
    return out
