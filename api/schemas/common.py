"""Shared field types: seed ids (19-digit strings, ints accepted on input)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_DIGITS = re.compile(r"^\d{1,20}$")


def _id(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("must be a numeric id")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.match(value.strip()):
        raise ValueError("must be a numeric id (digits, as a string or a number)")
    return value.strip()


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
