"""Input limits of the parse workers (issue 16, findings 3 and 8): decompression bombs fail alone with a reason,
a worker's memory stays under its ceiling, and a parse killed by its time limit leaves no temporary file behind.

The bombs are generated here: deflate turns 1 GiB of one repeated byte into ≈ 1 MB.
"""

from __future__ import annotations

import os
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from ingestflow.errors import FileTooLarge, ParseError, ParseMemoryExceeded, ParseTimeout
from ingestflow.flows.parse_pool import ParseJob, ParsePool
from tests.support import samples

MB = 1024 * 1024
GIB = 1024 * MB
_DOC_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
             b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
_DOC_TAIL = b"</w:t></w:r></w:p></w:body></w:document>"


def _job(root: Path, name: str) -> ParseJob:
    return ParseJob("local", {"root": str(root)}, name, name, "chi_sim+eng")


def _bomb_docx(path: Path, part: str, inflated: int, good: Path) -> Path:
    """A copy of the docx ``good`` whose ``part`` is replaced by (or added as) ``inflated`` bytes that deflate to ≈ 1 MB."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != part:
                dst.writestr(item, src.read(item))
        with dst.open(part, "w", force_zip64=True) as out:
            xml = part.endswith(".xml")
            body = inflated - (len(_DOC_HEAD) + len(_DOC_TAIL) if xml else 0)
            out.write(_DOC_HEAD if xml else b"")
            block = b"a" * MB
            for _ in range(body // MB):
                out.write(block)
            out.write(b"a" * (body % MB) + (_DOC_TAIL if xml else b""))
    return path


def _lying_sizes(path: Path, part: str, declared: int) -> Path:
    """Rewrite the central directory so ``part`` declares ``declared`` inflated bytes (its data unchanged)."""
    raw = bytearray(path.read_bytes())
    name = part.encode()
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(raw[at + 28:at + 30], "little")
        if raw[at + 46:at + 46 + name_len] == name:
            raw[at + 24:at + 28] = declared.to_bytes(4, "little")
            extra_len = int.from_bytes(raw[at + 30:at + 32], "little")
            extra = raw[at + 46 + name_len:at + 46 + name_len + extra_len]
            if extra[:2] == b"\x01\x00":  # zip64 extra field: its uncompressed size comes first
                start = at + 46 + name_len + 4
                raw[start:start + 8] = declared.to_bytes(8, "little")
            break
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


class _PeakMemory:
    """The highest VmHWM (peak RSS) any of the pool's workers reached, sampled until stopped (MB)."""

    def __init__(self, pool: ParsePool) -> None:
        self.pool, self.peak_mb, self._stop = pool, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for worker in list(self.pool._all):  # noqa: SLF001
                try:
                    status = Path(f"/proc/{worker.proc.pid}/status").read_text()
                except OSError:
                    continue
                hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), "0")
                self.peak_mb = max(self.peak_mb, int(hwm) / 1024)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


@pytest.fixture()
def private_tmp(tmp_path, monkeypatch) -> Path:
    """TMPDIR (this process and the workers it spawns) pointed at an empty folder."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def test_a_parse_killed_by_the_time_limit_leaves_no_files_behind(tmp_path, private_tmp) -> None:
    import pypdfium2 as pdfium

    src = tmp_path / "src"
    src.mkdir()
    pdf = pdfium.PdfDocument.new()
    for _ in range(300):
        pdf.new_page(595, 842)  # blank A4 pages: no text layer, so every one is rendered and OCR'd
    pdf.save(str(src / "blank.pdf"))
    pdf.close()
    (src / "a.txt").write_text("after the kill\n", encoding="utf-8")
    pool = ParsePool(1)
    try:
        with pytest.raises(ParseTimeout):
            pool.run(_job(src, "blank.pdf"), timeout_s=4)
        assert list(private_tmp.rglob("*")) == []
        sections, _, _ = pool.run(_job(src, "a.txt"), timeout_s=60)
        assert "after the kill" in sections[0].text
        assert list(private_tmp.rglob("*")) == []
    finally:
        pool.close()


def test_zip_bombs_fail_alone_with_a_reason_and_the_other_files_parse(tmp_path, settings_env) -> None:
    settings_env("INGESTFLOW_MAX_INFLATED_MB", "256")
    good = samples.write_docx(tmp_path / "good.docx", "正常文档", ["这是一段正常的内容。", "second paragraph"])
    _bomb_docx(tmp_path / "text-bomb.docx", "word/document.xml", GIB, good)
    _bomb_docx(tmp_path / "media-bomb.docx", "word/media/image1.png", GIB, good)
    _lying_sizes(_bomb_docx(tmp_path / "lying.docx", "word/document.xml", 300 * MB, good), "word/document.xml", 4096)
    assert all((tmp_path / n).stat().st_size < 2 * MB for n in ("text-bomb.docx", "media-bomb.docx", "lying.docx"))
    pool = ParsePool(1)
    peak = _PeakMemory(pool)
    try:
        with pytest.raises(FileTooLarge, match=r"declares 10\d\d MB .* over the limit of 256 MB \(INGESTFLOW_MAX_INFLATED_MB\)"):
            pool.run(_job(tmp_path, "text-bomb.docx"), timeout_s=120)
        with pytest.raises(FileTooLarge, match=r"declares 10\d\d MB"):
            pool.run(_job(tmp_path, "media-bomb.docx"), timeout_s=120)
        with pytest.raises(ParseError, match="zip"):  # the part inflates past what it declares
            pool.run(_job(tmp_path, "lying.docx"), timeout_s=120)
        sections, _, _ = pool.run(_job(tmp_path, "good.docx"), timeout_s=120)
        assert "正常的内容" in " ".join(s.text for s in sections)
    finally:
        peak_mb = peak.stop()
        pool.close()
    assert peak_mb < 800, peak_mb  # nothing was inflated: the worker stayed near its idle size


def test_a_file_past_the_memory_ceiling_fails_alone_and_the_worker_stays_under_it(tmp_path, settings_env) -> None:
    ceiling = 1600
    settings_env("INGESTFLOW_PARSE_MEMORY_MB", str(ceiling))
    settings_env("INGESTFLOW_MAX_INFLATED_MB", "4096")  # let the bomb through the size check: the ceiling must hold
    good = samples.write_docx(tmp_path / "good.docx", "正常文档", ["这是一段正常的内容。"])
    _bomb_docx(tmp_path / "hungry.docx", "word/document.xml", 700 * MB, good)
    pool = ParsePool(1)
    peak = _PeakMemory(pool)
    try:
        with pytest.raises(ParseMemoryExceeded, match=f"memory ceiling of {ceiling} MB") as failure:
            pool.run(_job(tmp_path, "hungry.docx"), timeout_s=300)
        sections, _, _ = pool.run(_job(tmp_path, "good.docx"), timeout_s=120)
        assert "正常的内容" in " ".join(s.text for s in sections)
    finally:
        peak_mb = peak.stop()
        pool.close()
    assert "INGESTFLOW_PARSE_MEMORY_MB" in failure.value.message
    assert 0 < peak_mb < ceiling, peak_mb


def test_an_image_over_the_pixel_limit_fails_before_ocr(tmp_path, settings_env) -> None:
    from PIL import Image

    settings_env("INGESTFLOW_MAX_IMAGE_PIXELS", str(1000 * 1000))
    Image.new("L", (3000, 2000), 255).save(tmp_path / "huge.png")
    pool = ParsePool(1)
    try:
        with pytest.raises(FileTooLarge, match=r"6000000 pixels.* 1000000 pixels.*INGESTFLOW_MAX_IMAGE_PIXELS"):
            pool.run(_job(tmp_path, "huge.png"), timeout_s=60)
    finally:
        pool.close()
    assert os.path.getsize(tmp_path / "huge.png") < MB


def test_bombs_in_a_load_fail_alone_and_the_other_files_are_indexed(prefect_server, tmp_path) -> None:
    """The real flow with the default limits: each bomb FAILED with its reason, the run completed, the rest indexed."""
    from PIL import Image

    from ingestflow.flows.load import load_task
    from ingestflow.records import FileStatus
    from ingestflow.services.local import ensure_local_task
    from tests.support import catalog as cat

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = samples.write_docx(corpus / "good.docx", "正常文档", ["炸弹旁边的正常文档内容。", "a normal paragraph"])
    samples.write_txt(corpus / "note.txt", "笔记", ["bomb neighbour text"])
    _bomb_docx(corpus / "text-bomb.docx", "word/document.xml", GIB, good)
    _bomb_docx(corpus / "media-bomb.docx", "word/media/image1.png", GIB, good)
    Image.new("L", (10_000, 10_000), 255).save(corpus / "huge.png")  # 100 M pixels, a few hundred KB
    task_id = ensure_local_task(corpus, "bomb-load")
    summary = load_task(task_id)
    files = {f.uri: f for f in cat.files(task_id)}
    assert {n: files[n].status for n in ("good.docx", "note.txt")} == {n: FileStatus.SUCCESS for n in ("good.docx", "note.txt")}
    for name in ("text-bomb.docx", "media-bomb.docx"):
        assert files[name].status == FileStatus.FAILED and "INGESTFLOW_MAX_INFLATED_MB" in files[name].reason
    assert files["huge.png"].status == FileStatus.FAILED and "INGESTFLOW_MAX_IMAGE_PIXELS" in files["huge.png"].reason
    assert summary["files_succeeded"] == 2 and summary["files_failed"] == 3
