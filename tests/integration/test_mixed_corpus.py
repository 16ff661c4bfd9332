"""The issue-5 corpus end to end: every format, OCR-only text, legacy Office, bad files.

Generated here (Chinese and English): text PDF, scanned PDF, PNG screenshot, a PDF whose text
layer is garbage, DOCX with a table, PPTX, two-sheet XLSX, CSV, MD, HTML, TXT, a corrupt PDF,
an MP3, and .doc/.ppt when LibreOffice is installed; loaded through the real Prefect flow into
Milvus Lite and searched.
"""

from __future__ import annotations

import shutil

import pytest

from ingestflow.flows.load import load_task
from tests.support.catalog import search
from tests.support import samples
from tests.support import catalog as cat
from ingestflow.services.local import ensure_local_task
from ingestflow.records import FileStatus
from tests.support.corpus import KEYS, LEGACY_KEYS, PICTURE_KEYS, make_mixed_corpus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("tesseract") or samples.cjk_font_path() is None,
                       reason="needs tesseract with chi_sim and a CJK font: scripts/setup.sh installs both"),
]
HAS_SOFFICE = shutil.which("soffice") is not None


@pytest.fixture(scope="module")
def loaded(prefect_server, tmp_path_factory):
    corpus = make_mixed_corpus(tmp_path_factory.mktemp("mixed") / "corpus", legacy=HAS_SOFFICE)
    task_id = ensure_local_task(corpus, "mixed-corpus")
    summary = load_task(task_id)
    keys = {**KEYS, **PICTURE_KEYS, **(LEGACY_KEYS if HAS_SOFFICE else {})}
    return task_id, summary, keys


def test_every_parseable_file_succeeds_with_ordered_stage_times(loaded) -> None:
    task_id, summary, keys = loaded
    files = {f.uri: f for f in cat.files(task_id)}
    bad = {name: (f.status, f.reason) for name, f in files.items() if name in keys and f.status != FileStatus.SUCCESS}
    assert not bad
    assert summary["files_succeeded"] == len(keys) and summary["files_failed"] == 2
    for name in keys:
        f = files[name]
        assert f.segment_count > 0 and f.completed_segment_count == f.segment_count, name
        assert f.processing_started_at <= f.parsing_completed_at <= f.splitting_completed_at <= f.completed_at, name


def test_the_corrupt_pdf_and_the_mp3_fail_alone_with_clear_reasons(loaded) -> None:
    task_id, _, _ = loaded
    files = {f.uri: f for f in cat.files(task_id)}
    corrupt, song = files["corrupt.pdf"], files["song.mp3"]
    assert corrupt.status == FileStatus.FAILED and "cannot open PDF 'corrupt.pdf'" in corrupt.reason
    assert song.status == FileStatus.FAILED and song.reason.startswith("unsupported type: MP3 is audio/video")
    assert corrupt.stage == song.stage == "error"


def test_every_key_sentence_is_found_by_hybrid_search_top3(loaded) -> None:
    task_id, _, keys = loaded
    volume_id = cat.task(task_id).volume_id
    misses = {}
    for name, (_, query) in sorted(keys.items()):
        hits = [h.document["uri"] for h in search(query, volume_id, mode="hybrid", k=3)]
        if name not in hits:
            misses[name] = hits
    assert not misses


@pytest.mark.parametrize("name", sorted(PICTURE_KEYS))
def test_text_only_inside_pictures_is_indexed(loaded, name) -> None:
    """The Chinese sentence that exists only as pixels is in a chunk of that file."""
    from difflib import SequenceMatcher

    task_id, _, _ = loaded
    volume_id = cat.task(task_id).volume_id
    sentence = PICTURE_KEYS[name][0]
    hits = [h for h in search(sentence, volume_id, mode="hybrid", k=5) if h.document["uri"] == name]
    assert hits, name
    best = max(SequenceMatcher(None, sentence, h.content.replace(" ", "")).find_longest_match().size for h in hits)
    assert best >= 0.8 * len(sentence), [h.content for h in hits]
