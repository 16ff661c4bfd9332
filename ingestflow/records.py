"""Shared records and the seed's enums (seed 002, 003).

Enum values are the seed's wire values; do not renumber them.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import PurePosixPath
from typing import Any


MANUAL_RUN_TAG = "ingestflow:on-demand"
"""Tag of flow runs started on demand (run-once creation, ``POST /task/run``, retry): they never collapse."""


class SourceType(IntEnum):
    """Connector kinds: 1–5 as in seed 002, 6–8 are ingestflow extensions."""

    DIFY = 1
    HDFS = 2
    MO = 3
    OSS = 4
    S3 = 5
    LOCAL = 6  # a directory on the server's disk
    UPLOAD = 7  # files uploaded through POST /connectors/upload
    MINIO = 8


class FileType(IntEnum):
    """File types of seed 002 (``type`` in files/list and task/files)."""

    NIL = 0
    TXT = 1
    PDF = 2
    IMAGE = 3
    PPT = 4
    WORD = 5
    MARKDOWN = 6
    CSV = 7
    PARQUET = 8
    SQL_FILES = 9
    DIR = 10
    DOCX = 11
    PPTX = 12
    WAV = 13
    MP3 = 14
    AAC = 15
    FLAC = 16
    MP4 = 17
    MOV = 18
    MKV = 19
    PNG = 20
    JPG = 21
    JPEG = 22
    BMP = 23


class FileStatus(IntEnum):
    """Per-file load status of seed 002 (``status`` in task/files)."""

    UNKNOWN = 0
    WAITING = 1
    PROCESSING = 2  # the seed's "uploading"
    PAUSED = 3
    FAILED = 4
    SUCCESS = 5
    RETRYING = 6


class TaskStatus(IntEnum):
    """Load-task status of seed 002."""

    UNKNOWN = 0
    RUNNING = 1  # running or runnable
    PAUSING = 2
    PAUSED = 3
    COMPLETED = 4


class LoadIntervalType(IntEnum):
    """load_interval_type of seed 002 (0–4) plus MOI 5.0's fixed intervals (5–11)."""

    UNKNOWN = 0
    DAILY = 1
    HOURLY = 2
    MINUTE = 3
    ONCE = 4
    MIN_5 = 5
    MIN_10 = 6
    MIN_30 = 7
    HOUR_2 = 8
    HOUR_4 = 9
    HOUR_6 = 10
    HOUR_12 = 11


class DocStage(StrEnum):
    """Document processing stage (seed 003 §4.10 indexing_status)."""

    WAITING = "waiting"
    PARSING = "parsing"
    SPLITTING = "splitting"
    INDEXING = "indexing"
    COMPLETED = "completed"
    ERROR = "error"


_EXTENSION_TYPES: dict[str, FileType] = {
    ".txt": FileType.TXT, ".text": FileType.TXT, ".log": FileType.TXT,
    ".pdf": FileType.PDF,
    ".gif": FileType.IMAGE, ".tif": FileType.IMAGE, ".tiff": FileType.IMAGE, ".webp": FileType.IMAGE,
    ".heic": FileType.IMAGE,
    ".ppt": FileType.PPT, ".doc": FileType.WORD,
    ".md": FileType.MARKDOWN, ".markdown": FileType.MARKDOWN,
    ".csv": FileType.CSV, ".tsv": FileType.CSV,
    ".parquet": FileType.PARQUET, ".sql": FileType.SQL_FILES,
    ".docx": FileType.DOCX, ".pptx": FileType.PPTX,
    ".wav": FileType.WAV, ".mp3": FileType.MP3, ".aac": FileType.AAC, ".flac": FileType.FLAC,
    ".mp4": FileType.MP4, ".mov": FileType.MOV, ".mkv": FileType.MKV,
    ".png": FileType.PNG, ".jpg": FileType.JPG, ".jpeg": FileType.JPEG, ".bmp": FileType.BMP,
}

_MAGIC_TYPES: list[tuple[bytes, FileType]] = [
    (b"%PDF-", FileType.PDF),
    (b"\x89PNG\r\n\x1a\n", FileType.PNG),
    (b"\xff\xd8\xff", FileType.JPG),
    (b"BM", FileType.BMP),
    (b"PAR1", FileType.PARQUET),
    (b"ID3", FileType.MP3),
    (b"fLaC", FileType.FLAC),
]


def file_type_for(name: str, head: bytes | None = None) -> FileType:
    """Seed file type from a file name's extension, falling back to magic bytes.

    Formats the seed has no number for (XLSX, HTML, …) are NIL (0); the parser still
    chooses by extension.
    """
    ext = PurePosixPath(name).suffix.lower()
    if ext in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[ext]
    if head:
        for magic, ftype in _MAGIC_TYPES:
            if head.startswith(magic):
                return ftype
    return FileType.NIL


def mime_type_for(name: str) -> str:
    """Best-effort MIME type for a file name."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class SourceItem:
    """One listable thing in a source: a file, an object, a row set or a remote document.

    ``version`` changes whenever the content changes (ETag, mtime+size, hash, watermark).
    """

    uri: str
    name: str
    size: int
    file_type: FileType
    version: str
    modified_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def is_dir(self) -> bool:
        return self.file_type == FileType.DIR


@dataclass
class Section:
    """A parsed piece of a document: text with its kind (title, text, table) and page."""

    text: str
    kind: str = "text"  # "title" | "text" | "table" | "list"
    page: int | None = None


@dataclass
class Chunk:
    """A piece of a document ready to embed, with deterministic identity."""

    id: str
    doc_id: str
    position: int
    text: str
    content_hash: str
    token_count: int
    char_count: int
    page: int | None = None
