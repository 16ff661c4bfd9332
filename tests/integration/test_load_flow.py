"""End to end through the real Prefect flow, Milvus Lite and the catalog."""

from __future__ import annotations

import pytest

from ingestflow.flows.load import load_task
from ingestflow.indexers.milvus_store import ChunkFilter
from ingestflow.records import FileStatus
from ingestflow.services.local import ensure_local_task
from tests.support import catalog as cat
from tests.support.catalog import search
from tests.support.corpus import KEYS, make_corpus

pytestmark = pytest.mark.slow


def _store(task_id: str):
    from ingestflow.flows.context import task_context

    return task_context(task_id).store()


def _all_chunks(task_id: str) -> list[dict]:
    store = _store(task_id)
    return store.client.query(store.collection, filter='id != ""', output_fields=["id", "doc_id", "content_hash"],
                              limit=16384)


@pytest.fixture(scope="module")
def loaded(prefect_server, tmp_path_factory):
    corpus = make_corpus(tmp_path_factory.mktemp("flow") / "corpus")
    task_id = ensure_local_task(corpus, "flow-test")
    summary = load_task(task_id)
    return corpus, task_id, summary


def test_every_good_file_succeeds_and_bad_ones_fail_alone(loaded) -> None:
    _, task_id, summary = loaded
    files = {f.uri: f for f in cat.files(task_id)}
    assert summary["files_succeeded"] == len(KEYS) and summary["files_failed"] == 2
    for name in KEYS:
        assert files[name].status == FileStatus.SUCCESS, (name, files[name].reason)
        assert files[name].segment_count > 0 and files[name].completed_segment_count == files[name].segment_count
        f = files[name]  # stage timestamps are per file, also inside a group of files parsed by one task run
        assert f.processing_started_at <= f.parsing_completed_at <= f.splitting_completed_at <= f.completed_at
    assert files["corrupt.pdf"].status == FileStatus.FAILED and "corrupt.pdf" in files["corrupt.pdf"].reason
    assert files["song.mp3"].status == FileStatus.FAILED and "unsupported type" in files["song.mp3"].reason


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "full_text"])
def test_each_search_mode_finds_the_planted_document_first(loaded, mode) -> None:
    _, task_id, _ = loaded
    volume_id = cat.task(task_id).volume_id
    names = sorted(KEYS)
    if mode == "semantic":  # natural-language questions; tables and codes are the lexical modes' job
        names = [n for n in names if n not in ("prices.csv", "sales.xlsx")]
    misses = []
    for name in names:
        hits = search(KEYS[name][1], volume_id, mode=mode, k=3)
        if not hits or hits[0].document["uri"] != name:
            misses.append((name, [h.document["uri"] for h in hits]))
    assert not misses


def test_rerun_of_an_unchanged_source_writes_nothing_and_duplicates_nothing(loaded) -> None:
    _, task_id, _ = loaded
    before = _all_chunks(task_id)
    summary = load_task(task_id)
    after = _all_chunks(task_id)
    assert summary["chunks_written"] == 0 and summary["unchanged"] == len(KEYS) and summary["files_succeeded"] == 0
    assert sorted(c["id"] for c in before) == sorted(c["id"] for c in after)
    hashes = [(c["doc_id"], c["content_hash"]) for c in after]
    assert len(hashes) == len(set(hashes))


def test_an_edited_file_is_reindexed_alone_and_its_old_chunks_go(loaded) -> None:
    corpus, task_id, _ = loaded
    (corpus / "说明.txt").write_text("退票说明\n\n动车组列车的儿童票按成人票价的一半收取。\n", encoding="utf-8")
    summary = load_task(task_id)
    assert summary["changed"] == 1 and summary["files_succeeded"] == 1
    volume_id = cat.task(task_id).volume_id
    assert search("儿童票价", volume_id, mode="full_text", k=1)[0].document["uri"] == "说明.txt"
    texts = [h.content for h in search("退票手续费", volume_id, mode="full_text", k=20) if h.document["uri"] == "说明.txt"]
    assert all("八天" not in t for t in texts)
    doc_id = next(f.doc_id for f in cat.files(task_id) if f.uri == "说明.txt")
    assert _store(task_id).count(ChunkFilter(doc_ids=[doc_id])) == next(
        f.segment_count for f in cat.files(task_id) if f.uri == "说明.txt")


def test_tenant_filter_excludes_other_tenants(loaded, tmp_path) -> None:
    _, task_id, _ = loaded
    volume_id = cat.task(task_id).volume_id
    other = tmp_path / "other"
    other.mkdir()
    (other / "secret.txt").write_text("租户二的机密：大熊猫吃什么食物的内部研究。\n", encoding="utf-8")
    other_task = ensure_local_task(other, "flow-test")
    cat.update_task(other_task, tenant_code="tenant-b")
    load_task(other_task)
    everyone = {h.document["uri"] for h in search("大熊猫吃什么食物", volume_id, mode="hybrid", k=10)}
    only_default = {h.document["uri"] for h in search("大熊猫吃什么食物", volume_id, mode="hybrid", k=10, tenant_code="")}
    only_b = {h.document["uri"] for h in search("大熊猫吃什么食物", volume_id, mode="hybrid", k=10, tenant_code="tenant-b")}
    assert "secret.txt" in everyone
    assert "secret.txt" not in only_default
    assert only_b == {"secret.txt"}


def test_score_threshold_drops_low_scores(loaded) -> None:
    _, task_id, _ = loaded
    volume_id = cat.task(task_id).volume_id
    hits = search("大熊猫吃什么食物", volume_id, mode="semantic", k=10)
    cut = (hits[0].score + hits[-1].score) / 2
    kept = search("大熊猫吃什么食物", volume_id, mode="semantic", k=10, score_threshold=cut)
    assert 0 < len(kept) < len(hits) and all(h.score >= cut for h in kept)
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_a_volume_whose_model_is_missing_fails_the_run_with_a_clear_message(prefect_server, tmp_path) -> None:
    from ingestflow.errors import ModelNotAvailable

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.txt").write_text("hello 你好\n", encoding="utf-8")
    cat.create_volume("missing-model", "no-such-org/no-such-model", 384)
    task_id = ensure_local_task(folder, "missing-model")
    with pytest.raises(ModelNotAvailable, match="could not be loaded offline"):
        load_task(task_id)
    assert cat.files(task_id) == []


def test_the_run_tells_its_story_in_prefect(loaded) -> None:
    """Run name, a named final state, a "Failed file" task run, the artifact's failures and stage times."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    _, task_id, summary = loaded
    flow_run_id = UUID(next(r for r in cat.runs(task_id) if r.id == summary["run_id"]).flow_run_id)
    with get_client(sync_client=True) as c:
        run = c.read_flow_run(flow_run_id)
        assert run.name.startswith(f"load {loaded[0].name} · 20"), run.name
        total = summary["files_failed"] + summary["files_succeeded"]
        assert run.state.type.value == "COMPLETED"
        assert run.state.name == f"Completed · 2 of {total} files failed"
        task_runs = c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        bad = [t for t in task_runs if "corrupt.pdf" in t.name]
        assert bad and all(t.state.type.value == "FAILED" and t.state.name == "Failed file" for t in bad)
        assert "corrupt.pdf" in bad[0].state.message
        artifacts = [a for a in c.read_artifacts() if a.key == f"load-{task_id}" and a.flow_run_id == flow_run_id]
    md = artifacts[0].data
    assert "## Failed files (2)" in md and "| corrupt.pdf |" in md and "unsupported type" in md
    for stage in ("list", "parse", "OCR", "embed", "write"):
        assert f"| {stage} |" in md
    assert "| embed | 0.00 |" not in md and "| parse | 0.00 |" not in md
