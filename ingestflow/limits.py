"""Input limits shared by every API family and the layers below (one place; README "Security").

Each bound keeps bad input a clear 400 instead of an error deep down: SQLite integers are 64-bit,
SQLite's LIKE refuses patterns over 50,000 bytes, Milvus refuses expressions nested deeper than ~50
levels, and a file name is at most 255 bytes on every filesystem we write to.
"""

from __future__ import annotations

INT64_MAX = 2**63 - 1
"""The largest id, page or other integer the catalog stores or compares (SQLite INTEGER)."""
MAX_PAGE = 1_000_000
"""The largest page number: (page - 1) × page size stays far inside an int64 offset."""
MAX_KEYWORD_CHARS = 1000
"""The longest name/content search word (``keyword``, ``search_word``)."""
MAX_FILTER_CHARS = 4096
"""The longest ``filter_expr``."""
MAX_FILTER_COMPARISONS = 50
"""The most comparisons in one ``filter_expr`` (use ``field in [...]`` for many values)."""
MAX_NAME_BYTES = 255
"""The longest file name, in UTF-8 bytes after NFC normalisation (a filesystem's limit)."""
