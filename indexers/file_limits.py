"""Input limits checked before a file is parsed: decompression bombs fail alone, with a reason.

- Zip-based formats (docx/xlsx/pptx, OpenDocument, epub …): the sizes their parts declare, and the
  bytes they really inflate to (streamed, stopping at the limit), must stay within
  ``INGESTFLOW_MAX_INFLATED_MB``; at most ``MAX_MEMBERS`` parts.
- Images: at most ``INGESTFLOW_MAX_IMAGE_PIXELS`` pixels (also set as Pillow's own decompression-bomb
  limit in the parse worker, so every Pillow use there refuses larger images).

The memory ceiling of the parse worker (``flows/parse_pool.py``) catches what no size check can foresee.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingestflow.errors import FileTooLarge, ParseError
from ingestflow.settings import get_settings

ZIP_BASED = {".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm", ".odt", ".ods", ".odp", ".epub"}
MAX_MEMBERS = 10_000
_MB = 1024 * 1024
_CHUNK = 1024 * 1024


def check_inflated_size(path: Path, name: str, limit_bytes: int | None = None) -> None:
    """FileTooLarge when the archive declares, or really inflates to, more than ``limit_bytes``."""
    limit = limit_bytes if limit_bytes is not None else int(get_settings().max_inflated_mb * _MB)
    setting = f"{limit / _MB:g} MB (INGESTFLOW_MAX_INFLATED_MB)"
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise FileTooLarge(f"{name!r} has {len(members)} zip parts, more than {MAX_MEMBERS}")
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise FileTooLarge(f"{name!r} declares {declared / _MB:.0f} MB of zip parts once inflated, "
                                   f"over the limit of {setting}")
            inflated = 0
            for member in members:  # the declared sizes may lie: count what really comes out
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise FileTooLarge(f"{name!r}: its zip parts inflate to more than {setting} "
                                               f"(part {member.filename!r})")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        raise ParseError(f"cannot read {name!r} as a zip archive: {type(exc).__name__}: {str(exc)[:200]}") from None


def check_image_pixels(width: int, height: int, name: str) -> None:
    """FileTooLarge when an image has more pixels than ``max_image_pixels``."""
    limit = get_settings().max_image_pixels
    if width * height > limit:
        raise FileTooLarge(f"{name!r} is a {width}×{height} image ({width * height:,} pixels), over the limit of "
                           f"{limit:,} pixels (INGESTFLOW_MAX_IMAGE_PIXELS)")


def apply_pillow_limit() -> None:
    """Pillow refuses images over ``max_image_pixels`` (``DecompressionBombError``) everywhere in this process.

    Pillow raises past twice its ``MAX_IMAGE_PIXELS`` and only warns past it: half the setting is set, the
    warning silenced."""
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max(1, get_settings().max_image_pixels // 2)
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
