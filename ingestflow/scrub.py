"""Known secret values, and scrubbing them out of text, exceptions and log records.

Error messages are built from names, never from credentials (``errors.py``); this is the net under
that rule for what we do not write ourselves: an SDK's exception that carries a key in its ``args``
(httpx: ``UnicodeEncodeError('ascii', 'Bearer <key>', …)``), which Prefect would log with its repr
and traceback and keep in the failed state's message.

- ``remember(*values)``: a process learns secrets as it meets them (every connector config on
  construction, the settings' own keys on ``install``).
- ``scrub(text)``: every known secret (also its repr-, JSON- and URL-escaped forms) → ``******``.
- ``scrubbed``: wraps a Prefect task or flow function; an exception leaving it that shows a known
  secret anywhere (message, args, chained causes) is replaced by a copy with scrubbed text.
- ``install()``: a log-record factory scrubbing every record (message and traceback) of every
  logger in the process, Prefect's included, before any handler (console or Prefect's API) sees it.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

MASK = "******"
MIN_LENGTH = 6  # shorter values would mask ordinary words
MAX_KNOWN = 10_000

F = TypeVar("F", bound=Callable[..., Any])
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def _forms(value: str) -> set[str]:
    """The ways a value shows up in text: as is, inside a repr, JSON-escaped, URL-encoded."""
    forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1], quote(value, safe=""),
             value.encode("unicode_escape").decode("ascii")}
    return {f for f in forms if len(f) >= MIN_LENGTH}


def remember(*values: Any) -> None:
    """Add secret values (str; others ignored) to the process's known secrets."""
    global _pattern
    fresh = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH and v not in _known}
    if not fresh:
        return
    with _lock:
        if len(_known) + len(fresh) > MAX_KNOWN:  # a long-lived worker meeting many configs: keep the newest
            _known.clear()
        _known.update(fresh)
        forms = sorted({f for v in _known for f in _forms(v)}, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, forms)))


def known() -> bool:
    """Whether any secret is known (scrubbing is a no-op otherwise)."""
    return _pattern is not None


def scrub(text: str) -> str:
    """``text`` with every known secret replaced by the mask."""
    pattern = _pattern
    if pattern is None or not isinstance(text, str):
        return text
    return pattern.sub(MASK, text)


def leaks(text: str) -> bool:
    """Whether ``text`` shows a known secret."""
    pattern = _pattern
    return pattern is not None and isinstance(text, str) and pattern.search(text) is not None


def _shown(exc: BaseException) -> str:
    """Everything a logger or Prefect may print of an exception: its chain, reprs and traceback."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(repr(current))
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


def scrub_exception(exc: BaseException) -> BaseException:
    """``exc`` itself when it shows no known secret, else a copy whose text is scrubbed.

    The copy keeps the class when it can be rebuilt from one message (an ``IngestError`` keeps its
    class and so its status and ``retryable``), else it is a RuntimeError naming the original class;
    it keeps the traceback's frames and drops the chained exceptions (their text is in the message).
    """
    if not known() or not leaks(_shown(exc)):
        return exc
    message = scrub(str(exc))
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None:
        message += f" (caused by {type(cause).__name__}: {scrub(str(cause))})"
    from ingestflow.errors import IngestError

    clean: BaseException
    if isinstance(exc, IngestError):
        clean = copy.copy(exc)
        clean.message = message
        clean.args = (message,)
    else:
        try:
            clean = type(exc)(message)
        except Exception:  # noqa: BLE001 - a class that needs more than a message (UnicodeEncodeError …)
            clean = RuntimeError(f"{type(exc).__name__}: {message}")
        if leaks(repr(clean)) or str(clean) != message:
            clean = RuntimeError(f"{type(exc).__name__}: {message}")
    clean.__cause__ = None
    clean.__suppress_context__ = True
    return clean.with_traceback(exc.__traceback__)


def scrubbed(fn: F) -> F:
    """Wrap a task or flow function: exceptions leave it scrubbed of known secrets."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            clean = scrub_exception(exc)
            if clean is exc:
                raise
        raise clean  # outside the except block: no __context__ pointing back at the original

    return wrapper  # type: ignore[return-value]


def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the handler's to report
        return
    if leaks(message):
        record.msg, record.args = scrub(message), None
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        clean = scrub_exception(exc)
        if clean is not exc:
            record.exc_info = (type(clean), clean, clean.__traceback__)
            record.exc_text = scrub("".join(traceback.format_exception(exc)))
    if record.stack_info and leaks(record.stack_info):
        record.stack_info = scrub(record.stack_info)


_installed = False


def install(settings: Any | None = None) -> None:
    """Scrub every log record of this process (idempotent); remembers the settings' own secrets."""
    global _installed
    if settings is not None:
        _remember_settings(settings)
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _pattern is not None:
                _scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _remember_settings(settings: Any) -> None:
    def raw(value: Any) -> str:
        return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value or "")

    values = [raw(k) for k in getattr(settings, "api_keys", [])]
    values += [raw(k).split(":", 1)[0] for k in getattr(settings, "tenant_api_keys", [])]  # key:tenant[:org]
    values += raw(getattr(settings, "secret_key", None)).split(",")  # new key first, old ones after
    values += [raw(getattr(settings, "milvus_token", None)), raw(getattr(settings, "url_signing_key", None)),
               raw(getattr(getattr(settings, "upload_s3", None), "access_key_secret", None))]
    remember(*(v.strip() for v in values))
