"""RapidOCR's boxes rebuilt into lines and paragraphs; the character error rate the OCR benchmark reports."""

from __future__ import annotations

from ingestflow.indexers import ocr_rapid
from tests.support.ocr_pages import char_error_rate, normalise


def box(x0: float, y0: float, x1: float, y1: float, text: str) -> list:
    """One RapidOCR result: four corners, text, score."""
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1]], text, 0.99]


def test_segments_on_one_row_join_left_to_right_and_rows_go_top_down() -> None:
    results = [box(900, 102, 1400, 142, "Milvus 2.5"), box(100, 100, 800, 140, "向量数据库服务"),
               box(100, 180, 800, 220, "对象存储网关"), box(900, 181, 1400, 221, "MinIO GW-8")]
    assert ocr_rapid.layout(results).split("\n") == ["向量数据库服务 Milvus 2.5", "", "对象存储网关 MinIO GW-8", ""]


def test_paragraphs_split_at_a_gap_an_indent_or_a_short_line_and_not_inside_one() -> None:
    h = 40
    results = [
        box(180, 100, 2000, 100 + h, "第一段第一行（首行缩进两个字）"), box(100, 160, 2000, 160 + h, "第一段第二行写满了"),
        box(100, 220, 900, 220 + h, "第一段末行很短"),
        box(100, 280, 2000, 280 + h, "第二段：上一行短了，所以另起一段"), box(100, 340, 2000, 340 + h, "第二段第二行"),
        box(100, 460, 2000, 460 + h, "第三段：前面空了一行"),
    ]
    paragraphs = ocr_rapid.layout(results).strip().split("\n\n")
    assert [p.count("\n") + 1 for p in paragraphs] == [3, 2, 1], paragraphs


def test_nothing_read_is_empty_text() -> None:
    assert ocr_rapid.layout(None) == "" and ocr_rapid.layout([box(0, 0, 10, 10, "  ")]) == ""


def test_latin_runs_of_a_mixed_line_are_found_by_character() -> None:
    chars = list("请检查Bearer token是否过期，改用 v2 或 API")
    runs = [("".join(chars[a:b])) for a, b in ocr_rapid._latin_runs(chars)]
    assert runs == ["Bearer token", " v2 ", " API"]  # "，" is CJK punctuation: it ends a run


def test_rapidocr_reads_chinese_and_english_only() -> None:
    assert ocr_rapid.supports("chi_sim+eng") and ocr_rapid.supports("eng") and ocr_rapid.supports("chi_sim")
    assert not ocr_rapid.supports("jpn+eng") and not ocr_rapid.supports("chi_tra") and not ocr_rapid.supports("")


def test_character_error_rate_counts_edits_against_the_reference_after_normalising() -> None:
    assert char_error_rate("向量数据库 and Milvus", "向 量 数 据 库and  Milvus") == 0  # spaces by CJK don't count
    assert char_error_rate("价格，数量：", "价格,数量:") == 0  # NFKC: full-width punctuation = ASCII
    assert char_error_rate("长江是最长的河流", "长江是最长河流") == 1 / 8  # one deletion
    assert char_error_rate("Bearer token", "Bearertoken") == 1 / 12  # a lost Latin space is an error
    assert normalise("第一行\n第二行\n\nnext  line") == "第一行第二行next line"
