"""Each format parses with its text (Chinese preserved); bad files fail with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexers.parsing import parse_file
from ingestflow.errors import ParseError, UnsupportedFile
from tests.corpus import KEYS, make_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("name", sorted(KEYS))
def test_each_format_keeps_its_key_text(corpus: Path, name: str) -> None:
    sections = parse_file(corpus / name, name)
    text = "\n".join(s.text for s in sections)
    assert KEYS[name][0] in text.replace("\n", "")


def test_docx_table_keeps_rows(corpus: Path) -> None:
    tables = [s for s in parse_file(corpus / "handbook.docx", "handbook.docx") if s.kind == "table"]
    assert tables and tables[0].text.splitlines() == ["Years | Days", "0-5 | 20", "5+ | 25"]


def test_xlsx_reads_every_sheet(corpus: Path) -> None:
    text = "\n".join(s.text for s in parse_file(corpus / "sales.xlsx", "sales.xlsx"))
    assert "上海 | 1520" in text and "Singapore | 640" in text


def test_pdf_sections_carry_page_numbers(tmp_path: Path) -> None:
    from ingestflow import samples

    path = samples.write_pdf(tmp_path / "two.pdf", "两页", ["第一页的内容。", "第二页的内容。"], pages=2)
    pages = {s.page for s in parse_file(path, "two.pdf")}
    assert pages == {1, 2}


def test_corrupt_pdf_fails_with_reason(corpus: Path) -> None:
    with pytest.raises(ParseError) as err:
        parse_file(corpus / "corrupt.pdf", "corrupt.pdf")
    assert "corrupt.pdf" in err.value.message


def test_audio_is_unsupported(corpus: Path) -> None:
    with pytest.raises(UnsupportedFile, match="MP3 is audio/video"):
        parse_file(corpus / "song.mp3", "song.mp3")


def test_corrupt_docx_fails_with_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError, match="bad.docx"):
        parse_file(bad, "bad.docx")


def test_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        parse_file(empty, "empty.txt")


def test_binary_with_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnsupportedFile, match="data.bin"):
        parse_file(blob, "data.bin")
