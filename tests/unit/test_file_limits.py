"""Input limits before parsing (indexers/file_limits.py): zip parts' declared and real inflated sizes, image pixels."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingestflow.errors import FileTooLarge, ParseError
from ingestflow.indexers.file_limits import check_image_pixels, check_inflated_size
from ingestflow.indexers.ocr import RENDER_DPI, render_scale

MB = 1024 * 1024


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_parts_within_the_limit_pass(tmp_path) -> None:
    check_inflated_size(_zip(tmp_path / "ok.docx", {"a.xml": b"x" * MB, "b.xml": b"y" * MB}), "ok.docx", 3 * MB)


def test_declared_sizes_over_the_limit_fail_with_the_setting_named(tmp_path) -> None:
    path = _zip(tmp_path / "big.docx", {"a.xml": b"x" * (2 * MB), "b.xml": b"y" * (2 * MB)})
    assert path.stat().st_size < 100_000
    with pytest.raises(FileTooLarge, match=r"'big.docx' declares 4 MB .* limit of 3 MB \(INGESTFLOW_MAX_INFLATED_MB\)"):
        check_inflated_size(path, "big.docx", 3 * MB)


def test_a_part_that_inflates_past_its_declared_size_fails_as_a_corrupt_zip(tmp_path) -> None:
    path = _zip(tmp_path / "lying.docx", {"word/document.xml": b"a" * (8 * MB)})
    raw = bytearray(path.read_bytes())
    central = raw.find(b"PK\x01\x02")
    raw[central + 24:central + 28] = (1000).to_bytes(4, "little")  # the central directory now says 1000 bytes
    path.write_bytes(bytes(raw))
    with pytest.raises(ParseError, match="as a zip archive"):
        check_inflated_size(path, "lying.docx", 3 * MB)


def test_images_over_the_pixel_limit_fail(settings_env) -> None:
    settings_env("INGESTFLOW_MAX_IMAGE_PIXELS", "1000000")
    check_image_pixels(1000, 1000, "ok.png")
    with pytest.raises(FileTooLarge, match=r"1001×1000 image .*\(INGESTFLOW_MAX_IMAGE_PIXELS\)"):
        check_image_pixels(1001, 1000, "big.png")


def test_a_huge_pdf_page_is_rendered_smaller_not_past_the_pixel_limit(settings_env) -> None:
    settings_env("INGESTFLOW_MAX_IMAGE_PIXELS", str(10_000_000))
    assert render_scale(595, 842) == RENDER_DPI / 72  # A4 at 300 dpi: 8.7 M pixels
    scale = render_scale(14_400, 14_400)  # a 200-inch page
    assert (14_400 * scale) ** 2 <= 10_000_000 * 1.0001
