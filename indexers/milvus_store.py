"""Milvus: one collection per volume, written by upsert, searched semantic / BM25 / hybrid.

Milvus Lite (a local file, default ``.ingestflow/milvus.db``) or any Milvus by URI. Only one
process can open a Lite file; multi-process setups (API + worker) run ``milvus-lite`` as a
server on 127.0.0.1 and connect by URI (see ``ingestflow.orchestration.stack``), the same path as a real
Milvus.

Schema: ``id`` (deterministic chunk id, primary key), doc/volume/tenant/org ids, uri, file
type, position, page, token_count, char_count, ``text`` (jieba analyzer with a Chinese stop-word filter, BM25
function → ``sparse``), ``dense`` (the embedding, FLAT/COSINE: exact search).
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# pymilvus is imported with this module, never lazily inside a task: its import runs
# logging.config.dictConfig, which flushes every log handler and, in a worker thread while
# other Prefect task threads log, deadlocks against Prefect's log/event services (seen: a
# load hung in `index` with one thread in pymilvus' import and one in EventsWorker.instance).
import pymilvus  # noqa: F401

with warnings.catch_warnings():
    # pymilvus imports milvus_lite when a Lite file is first opened, and milvus_lite imports the
    # deprecated pkg_resources: a UserWarning on every load. Imported here, once, with it filtered
    # (catch_warnings is process-wide, so not around the lazy import in a task thread).
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    try:
        import milvus_lite  # noqa: F401
    except ImportError:  # a remote-Milvus-only install
        pass

from ingestflow.indexers.filter_expr import MilvusExpr, balanced, quote  # one escaping rule for every expression
from ingestflow.errors import NotFound, ProviderError, ProviderUnavailable, ValidationFailed
from ingestflow.records import Chunk

# Function words that would otherwise match almost every Chinese chunk in BM25.
CHINESE_STOP_WORDS = [
    "的", "了", "和", "是", "在", "就", "都", "而", "及", "与", "着", "或", "一个", "没有", "我们", "你们",
    "他们", "它们", "这", "那", "之", "也", "被", "把", "让", "从", "到", "对", "为", "以", "于", "上",
    "下", "中", "其", "并", "等", "吗", "呢", "吧", "啊", "所", "这个", "那个", "如果", "因为", "所以",
    "但是", "而且", "可以", "就是", "还是", "什么", "怎么", "如何", "哪", "个", "有", "将", "很", "又",
    "the", "a", "an", "of", "to", "and", "or", "in", "on", "is", "are", "was", "for", "with", "by", "at",
]
# jieba emits punctuation as tokens: without this "-" in "XJ-4471-B" matches every other code, "。" every Chinese chunk.
PUNCTUATION = list("-_.,;:!?'\"()[]{}<>/\\|@#$%^&*+=~`，。、；：！？“”‘’（）【】《》〈〉「」『』—…·") + [" ", "--", "...", "……", "——"]
# English stemming (Snowball; leaves CJK tokens unchanged): SciFact BM25 nDCG@10 0.668 → 0.690, see
# benchmarks/scifact_benchmark.py. Applies to collections created from now on (an analyzer is fixed per collection).
ANALYZER_PARAMS = {"tokenizer": "jieba", "filter": ["lowercase",
                                                    {"type": "stop", "stop_words": CHINESE_STOP_WORDS + PUNCTUATION},
                                                    {"type": "stemmer", "language": "english"}]}
OUTPUT_FIELDS = ["doc_id", "volume_id", "doc_name", "uri", "file_type", "position", "page", "text", "content_hash",
                 "tenant_code", "org_code", "token_count", "char_count"]
# fields added after the first schema: collections created earlier lack them
LATER_FIELDS = ("token_count", "char_count")
MAX_TEXT = 60000

log = logging.getLogger("ingestflow.milvus")
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_fields_cache: dict[tuple[str, str], frozenset[str]] = {}


def milvus_client(uri: str, token: str = "") -> Any:
    """One MilvusClient per (uri, token) per process (a Lite file may be opened once)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    key = (uri, token)
    with _clients_lock:
        if key not in _clients:
            timeout = _timeout_s()  # how long connecting waits for a server that is down
            try:
                _clients[key] = (MilvusClient(uri=uri, token=token, timeout=timeout) if token
                                 else MilvusClient(uri=uri, timeout=timeout))
            except MilvusException as exc:
                raise ProviderUnavailable(f"Milvus at {uri!r} is unreachable (cannot connect: {exc.message})") from None
            except Exception as exc:  # noqa: BLE001 - grpc/lite start-up failures
                raise ProviderUnavailable(f"Milvus at {uri!r} is unreachable (cannot connect: "
                                          f"{type(exc).__name__}: {exc})") from None
        return _clients[key]


@dataclass
class ChunkFilter:
    """Server-side filters; every value is escaped into the expression."""

    tenant_code: str | None = None
    org_code: str | None = None
    uri_prefix: str | None = None
    file_types: Sequence[int] | None = None
    doc_ids: Sequence[str] | None = None
    exclude_doc_ids: Sequence[str] | None = None
    exclude_chunk_ids: Sequence[str] | None = None
    chunk_ids: Sequence[str] | None = None
    clause: MilvusExpr | None = None  # written by indexers.filter_expr from a client's filter_expr

    def expression(self) -> str:
        parts = []
        if self.clause is not None:
            if not isinstance(self.clause, MilvusExpr):
                raise TypeError("ChunkFilter.clause must come from indexers.filter_expr.compile_filter")
            parts.append(f"({self.clause})")
        if self.chunk_ids is not None:
            parts.append(f"id in [{', '.join(quote(d) for d in self.chunk_ids)}]")
        if self.tenant_code is not None:
            parts.append(f"tenant_code == {quote(self.tenant_code)}")
        if self.org_code is not None:
            parts.append(f"org_code == {quote(self.org_code)}")
        if self.uri_prefix:
            if any(c in self.uri_prefix for c in "%_"):
                raise ValidationFailed("uri prefix may not contain % or _ wildcards")
            parts.append(f"uri like {quote(self.uri_prefix + '%')}")
        if self.file_types:
            parts.append(f"file_type in [{', '.join(str(int(t)) for t in self.file_types)}]")
        if self.doc_ids:
            parts.append(f"doc_id in [{', '.join(quote(d) for d in self.doc_ids)}]")
        if self.exclude_doc_ids:
            parts.append(f"doc_id not in [{', '.join(quote(d) for d in self.exclude_doc_ids)}]")
        if self.exclude_chunk_ids:
            parts.append(f"id not in [{', '.join(quote(d) for d in self.exclude_chunk_ids)}]")
        return balanced("and", parts) if parts else ""  # balanced: Milvus refuses deep trees


def _unreachable(exc: Exception) -> bool:
    """A MilvusException that wraps a transport failure (gRPC UNAVAILABLE, deadline) rather than a refusal.

    pymilvus' retry wrapper stores the gRPC error's unbound ``code`` method as the code when it gives
    up on an unreachable server, so a non-int code means a transport failure too.
    """
    code = getattr(exc, "code", None)
    if code is not None and not isinstance(code, int):
        return True
    text = f"{code} {getattr(exc, 'message', '')}".lower()
    return any(w in text for w in ("unavailable", "deadline", "connect", "timeout", "fail connecting", "retry run out"))


_NO_BM25_STATS = "Invalid sparse row: NaN or Inf"
"""What Milvus says to a BM25 search of a collection without any text (empty, or every chunk deleted)."""


class _NoBm25Stats(ProviderError):
    """A BM25 search of a collection holding no text: it has no hits (``search`` answers [])."""


def _public(message: str) -> str:
    """Milvus' message as a client may read it: never the expression we sent (it holds the server's tenant
    clause) nor Milvus' source paths."""
    if re.search(r"(?i)\bexpr|\bplan\b|proto node|field_id", message):
        log.warning("Milvus refused an expression: %s", message[:1000])
        return "Milvus refused the filter expression"
    return re.sub(r"\s+at\s+/\S+", "", message)[:300]


def _timeout_s() -> int:
    """The bound on one Milvus call, retries included (pymilvus honours only an int ``timeout``)."""
    from ingestflow.settings import get_settings

    return int(get_settings().dependency_timeout_s)


class CollectionBinding(Protocol):
    """What a volume records about its collection (a catalog ``Volume`` is one)."""

    collection: str
    embedding_dim: int


def volume_store(volume: CollectionBinding) -> VolumeStore:
    """The Milvus collection of a volume, on the configured Milvus (URI and token from settings)."""
    from ingestflow.settings import get_settings

    settings = get_settings()
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    return VolumeStore(settings.resolved_milvus_uri, volume.collection, volume.embedding_dim, token)


def doc_fields(volume_id: str, name: str, uri: str, file_type: int, tenant_code: str, org_code: str) -> dict[str, Any]:
    """The document fields stored on each of its chunks (``VolumeStore.upsert``'s ``meta`` values)."""
    return {"volume_id": volume_id, "tenant_code": tenant_code, "org_code": org_code, "name": name, "uri": uri,
            "file_type": int(file_type)}


class VolumeStore:
    """The Milvus collection of one volume."""

    def __init__(self, uri: str, collection: str, dimension: int, token: str = "") -> None:
        self.uri = uri
        self.collection = collection
        self.dimension = dimension
        self.client = milvus_client(uri, token)

    def _call(self, what: str, fn, *args, **kwargs):  # noqa: ANN001, ANN202
        """Every Milvus call goes through here: bounded by ``dependency_timeout_s``, its errors become
        sentences in the error tree (never a pymilvus/gRPC repr)."""
        import grpc
        from pymilvus.exceptions import MilvusException

        kwargs.setdefault("timeout", _timeout_s())
        unreachable = (f"Milvus at {self.uri!r} is unreachable ({what} on {self.collection!r}, "
                       f"gave up after {kwargs['timeout']} s)")
        try:
            return fn(*args, **kwargs)
        except MilvusException as exc:
            if _unreachable(exc):
                raise ProviderUnavailable(unreachable) from None
            message = str(exc.message or "")
            if _NO_BM25_STATS in message:
                raise _NoBm25Stats(f"Milvus {what} on {self.collection!r}: no BM25 statistics") from None
            if "not exist" in message or "not found" in message.lower():
                raise NotFound(f"Milvus collection {self.collection!r}: {_public(message)}") from None
            raise ProviderError(f"Milvus {what} on {self.collection!r} failed: {_public(message)}") from None
        except grpc.RpcError as exc:  # a code pymilvus does not retry, raised as is
            code = exc.code() if callable(getattr(exc, "code", None)) else "unknown"
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise ProviderUnavailable(unreachable) from None
            name = getattr(code, "name", str(code))
            raise ProviderError(f"Milvus {what} on {self.collection!r} failed: gRPC {name}") from None
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise ProviderUnavailable(f"{unreachable[:-1]}: {type(exc).__name__})") from None

    def exists(self) -> bool:
        """Whether the volume's collection exists (nothing was ever written when it does not)."""
        return bool(self._call("has_collection", self.client.has_collection, self.collection))

    def ensure(self) -> None:
        """Create the collection with its schema and indexes if it does not exist."""
        from pymilvus import DataType, Function, FunctionType

        if self.exists():
            return
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=64)
        schema.add_field("volume_id", DataType.VARCHAR, max_length=32)
        schema.add_field("tenant_code", DataType.VARCHAR, max_length=128)
        schema.add_field("org_code", DataType.VARCHAR, max_length=128)
        schema.add_field("doc_name", DataType.VARCHAR, max_length=1024)
        schema.add_field("uri", DataType.VARCHAR, max_length=4096)
        schema.add_field("file_type", DataType.INT64)
        schema.add_field("position", DataType.INT64)
        schema.add_field("page", DataType.INT64)
        schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
        schema.add_field("token_count", DataType.INT64)
        schema.add_field("char_count", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=ANALYZER_PARAMS)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="text_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type="FLAT", metric_type="COSINE")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._call("create", self.client.create_collection, self.collection, schema=schema, index_params=index)
        _fields_cache.pop((self.uri, self.collection), None)

    def fields(self) -> frozenset[str]:
        """The collection's field names (cached; older collections lack LATER_FIELDS)."""
        key = (self.uri, self.collection)
        if key not in _fields_cache:
            desc = self._call("describe", self.client.describe_collection, self.collection)
            _fields_cache[key] = frozenset(f["name"] for f in desc.get("fields", []))
        return _fields_cache[key]

    def output_fields(self) -> list[str]:
        have = self.fields()
        return [f for f in OUTPUT_FIELDS if f not in LATER_FIELDS or f in have]

    def drop(self) -> None:
        """Remove the collection and all its chunks."""
        if self.exists():
            self._call("drop", self.client.drop_collection, self.collection)
        _fields_cache.pop((self.uri, self.collection), None)

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]], meta: dict[str, dict[str, Any]]) -> int:
        """Write chunks (idempotent: same id → same row). ``meta`` maps doc_id → document fields."""
        rows = []
        counts = all(f in self.fields() for f in LATER_FIELDS) if chunks else False
        for chunk, vector in zip(chunks, vectors, strict=True):
            doc = meta[chunk.doc_id]
            rows.append({
                "id": chunk.id, "doc_id": chunk.doc_id, "volume_id": doc["volume_id"],
                "tenant_code": doc.get("tenant_code", ""), "org_code": doc.get("org_code", ""),
                "doc_name": doc["name"][:1024], "uri": doc["uri"][:4096], "file_type": int(doc.get("file_type", 0)),
                "position": chunk.position, "page": chunk.page or 0, "content_hash": chunk.content_hash,
                "text": chunk.text[:MAX_TEXT], "dense": list(vector),
            })
            if counts:
                rows[-1].update(token_count=int(chunk.token_count), char_count=int(chunk.char_count))
        if rows:
            self._call("upsert", self.client.upsert, self.collection, rows)
        return len(rows)

    def delete(self, flt: ChunkFilter) -> int:
        """Delete the chunks matching a filter (refuses an empty filter)."""
        expr = flt.expression()
        if not expr:
            raise ValidationFailed("refusing to delete with an empty filter")
        result = self._call("delete", self.client.delete, self.collection, filter=expr)
        return len(result) if isinstance(result, list) else int(result.get("delete_count", 0) if isinstance(result, dict) else 0)

    def count(self, flt: ChunkFilter | None = None) -> int:
        """Number of chunks matching a filter."""
        expr = flt.expression() if flt else ""
        rows = self._call("count", self.client.query, self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def ids(self, flt: ChunkFilter, limit: int = 16384) -> list[dict[str, Any]]:
        """id, doc_id and content_hash of matching chunks."""
        return self._call("query", self.client.query, self.collection, filter=flt.expression(),
                          output_fields=["id", "doc_id", "content_hash"], limit=limit)

    def rows(self, flt: ChunkFilter, limit: int = 16384) -> list[dict[str, Any]]:
        """Matching chunks with their stored fields (no vectors)."""
        expr = flt.expression() or 'id != ""'
        rows = self._call("query", self.client.query, self.collection, filter=expr,
                          output_fields=["id", *self.output_fields()], limit=limit)
        return [dict(r) for r in rows]

    def search(self, *, mode: str, query_text: str, query_vector: Sequence[float] | None, limit: int,
               flt: ChunkFilter, rrf_k: int = 60) -> list[dict[str, Any]]:
        """Raw hits: semantic (dense, COSINE), full_text (BM25) or hybrid (RRF of both)."""
        expr = flt.expression()
        try:
            result = self._search(mode, query_text, query_vector, limit, expr, rrf_k)
        except _NoBm25Stats:  # nothing to match: an empty volume is no error
            return []
        return [dict(hit["entity"], id=hit["id"], distance=float(hit["distance"])) for hit in (result[0] if result else [])]

    def _search(self, mode: str, query_text: str, query_vector: Sequence[float] | None, limit: int, expr: str,
                rrf_k: int) -> Any:
        from pymilvus import AnnSearchRequest, RRFRanker

        if mode == "semantic":
            result = self._call("search", self.client.search, self.collection, data=[list(query_vector)],
                                anns_field="dense", limit=limit, filter=expr, output_fields=self.output_fields(),
                                search_params={"metric_type": "COSINE"})
        elif mode == "full_text":
            result = self._call("search", self.client.search, self.collection, data=[query_text],
                                anns_field="sparse", limit=limit, filter=expr, output_fields=self.output_fields(),
                                search_params={"metric_type": "BM25"})
        elif mode == "hybrid":
            fetch = max(limit * 2, 20)
            requests = [
                AnnSearchRequest([list(query_vector)], "dense", {"metric_type": "COSINE"}, limit=fetch, expr=expr or None),
                AnnSearchRequest([query_text], "sparse", {"metric_type": "BM25"}, limit=fetch, expr=expr or None),
            ]
            result = self._call("hybrid search", self.client.hybrid_search, self.collection, requests,
                                RRFRanker(rrf_k), limit=limit, output_fields=self.output_fields())
        else:
            raise ValidationFailed(f"unknown retrieval strategy {mode!r}: use semantic, full_text or hybrid")
        return result
