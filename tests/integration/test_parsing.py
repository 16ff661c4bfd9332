"""Each format parses with its text (Chinese preserved); bad files fail with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestflow.indexers.parsing import parse_file
from ingestflow.errors import ParseError, UnsupportedFile
from tests.support.corpus import KEYS, make_corpus


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
    from tests.support import samples

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


# --- every seed-002 file type has a defined outcome ------------------------------------------

AUDIO_VIDEO_TYPES = {"WAV": ".wav", "MP3": ".mp3", "AAC": ".aac", "FLAC": ".flac", "MP4": ".mp4", "MOV": ".mov", "MKV": ".mkv"}


def test_every_seed_file_type_has_an_outcome_tested_here_or_in_test_ocr() -> None:
    """The list below names, for each FileType, the test that pins its outcome."""
    from ingestflow.records import FileType

    covered = {
        "TXT": "KEYS 说明.txt", "PDF": "KEYS 熊猫.pdf", "IMAGE": "test_ocr tif", "PPT": "test_legacy_office",
        "WORD": "test_legacy_office", "MARKDOWN": "KEYS 向量.md", "CSV": "test_csv_rows", "PARQUET": "test_parquet",
        "SQL_FILES": "test_sql_file", "DOCX": "test_docx_table_keeps_rows", "PPTX": "KEYS roadmap.pptx",
        "PNG": "test_ocr png", "JPG": "test_ocr jpg", "JPEG": "test_ocr jpeg", "BMP": "test_ocr bmp",
        **{k: "test_audio_video_is_unsupported" for k in AUDIO_VIDEO_TYPES},
    }
    assert {t.name for t in FileType} - {"NIL", "DIR"} == set(covered)


@pytest.mark.parametrize("kind", sorted(AUDIO_VIDEO_TYPES))
def test_audio_video_is_unsupported(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"clip{AUDIO_VIDEO_TYPES[kind]}"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(256))
    with pytest.raises(UnsupportedFile, match=f"unsupported type: {kind} is audio/video"):
        parse_file(path, path.name)


def test_sql_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text("-- 订单表\nCREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10, 2));\n", encoding="utf-8")
    text = "\n".join(s.text for s in parse_file(path, "schema.sql"))
    assert "CREATE TABLE orders" in text and "订单表" in text


def test_parquet_rows_become_a_table(tmp_path: Path) -> None:
    from tests.support import samples

    path = samples.write_parquet(tmp_path / "t.parquet", {"城市": ["上海", "杭州"], "sales": [1520, 860]})
    sections = parse_file(path, "t.parquet")
    assert [s.kind for s in sections] == ["table"]
    assert sections[0].text.splitlines() == ["城市 | sales", "上海 | 1520", "杭州 | 860"]


def test_csv_rows_keep_their_cells(corpus: Path) -> None:
    tables = [s for s in parse_file(corpus / "prices.csv", "prices.csv") if s.kind == "table"]
    assert tables and tables[0].text.splitlines() == [
        "code | name | price", "XK-2049 | 向量检索一体机 | 128000", "AB-1000 | gateway | 36000"]


def test_html_table_keeps_rows(tmp_path: Path) -> None:
    from tests.support import samples

    path = samples.write_html_table(tmp_path / "t.html", "价格表", ["型号", "价格"], [["XK-2049", "128000"], ["AB-1000", "36000"]])
    sections = parse_file(path, "t.html")
    assert ("title", "价格表") in [(s.kind, s.text) for s in sections]
    tables = [s.text.splitlines() for s in sections if s.kind == "table"]
    assert tables == [["型号 | 价格", "XK-2049 | 128000", "AB-1000 | 36000"]]


def test_xlsx_two_sheets_are_two_tables_with_rows(corpus: Path) -> None:
    tables = [s.text.splitlines() for s in parse_file(corpus / "sales.xlsx", "sales.xlsx") if s.kind == "table"]
    assert ["城市 | 销售额", "上海 | 1520", "杭州 | 860"] in tables and ["city | sales", "Singapore | 640"] in tables


# --- element heuristics without spaCy sentence splitting ----------------------------------------

def test_chinese_paragraphs_are_text_and_short_headings_titles(tmp_path: Path) -> None:
    """unstructured's spaCy heuristics made whole Chinese paragraphs 'titles'; ours do not."""
    para = "新能源汽车的销量持续增长，中医药在慢性病治疗中发挥作用，员工每年享有带薪年假。编号3001。"
    path = tmp_path / "a.txt"
    path.write_text(f"退票说明\n\n{para}\n\nThe museum opens a new exhibition in spring. Tickets are free.\n",
                    encoding="utf-8")
    kinds = {s.text: s.kind for s in parse_file(path, "a.txt")}
    assert kinds[para] == "text"
    assert kinds["退票说明"] == "title"
    assert kinds["The museum opens a new exhibition in spring. Tickets are free."] == "text"


def test_regex_sentence_splitter_handles_chinese_and_english() -> None:
    from ingestflow.indexers.parsing import sent_tokenize

    assert sent_tokenize("第一句。第二句！Third one. Fourth?") == ["第一句。", "第二句！", "Third one.", "Fourth?"]
    assert sent_tokenize("Version 2.5 is out") == ["Version 2.5 is out"]


# --- PDF text layer ---------------------------------------------------------------------------

def test_pdf_paragraphs_titles_and_no_spaces_inside_chinese(tmp_path: Path) -> None:
    from tests.support import samples

    long_zh = "向量数据库用于存储和检索高维向量，" * 6 + "支持语义搜索。"
    path = samples.write_pdf(tmp_path / "p.pdf", "向量数据库简介", [long_zh, "Milvus is an open-source vector database."])
    sections = parse_file(path, "p.pdf")
    assert (sections[0].kind, sections[0].text) == ("title", "向量数据库简介")
    assert [s.text for s in sections[1:]] == [long_zh, "Milvus is an open-source vector database."]
    assert all(s.kind == "text" and s.page == 1 for s in sections[1:])


@pytest.mark.parametrize("text, garbled", [
    ("大熊猫几乎只吃竹子。The panda eats bamboo.", False),
    ("", True),
    ("(cid:12)(cid:45)(cid:3)(cid:88) (cid:91)(cid:7)", True),
    ("\x01\x04\x05\x06\x07\x08\x0b\x0c 2049", True),
    ("\ue001\ue002\ue003\ue004 ok", True),
    ("\ufffd\ufffd\ufffd\ufffd\ufffd ab", True),
    ("§¶•‡†¤§¶•‡†¤ x", True),
])
def test_garbled_text_layer_detection(text: str, garbled: bool) -> None:
    from ingestflow.indexers.pdf_text import looks_garbled

    assert looks_garbled(text) is garbled


# --- legacy Office via LibreOffice --------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("soffice"), reason="needs LibreOffice: scripts/setup.sh installs libreoffice-*-nogui")
@pytest.mark.parametrize("fmt", ["doc", "ppt"])
def test_legacy_office_doc_and_ppt_via_libreoffice(tmp_path: Path, fmt: str) -> None:
    from tests.support import samples

    key = "遗留格式文档：年假二十天。Legacy format keeps twenty days of leave."
    if fmt == "doc":
        source = samples.write_docx(tmp_path / "old.docx", "Legacy", [key])
    else:
        source = samples.write_pptx(tmp_path / "old.pptx", "Legacy", [key])
    legacy = samples.convert_legacy(source, fmt)
    source.unlink()
    sections = parse_file(legacy, legacy.name)
    assert key in "\n".join(s.text for s in sections)
    assert ("title", "Legacy") in [(s.kind, s.text) for s in sections]


@pytest.mark.skipif(not shutil.which("soffice"), reason="needs LibreOffice")
def test_libreoffice_conversion_is_time_limited(tmp_path: Path) -> None:
    from ingestflow.indexers.parsing import convert_with_soffice
    from tests.support import samples

    source = samples.write_docx(tmp_path / "a.docx", "T", ["text"])
    with pytest.raises(ParseError, match="timed out after"):
        convert_with_soffice(source, tmp_path, "doc", timeout_s=0.05)
    assert not (tmp_path / "a.doc").exists()
