"""The query side (issue 6): search, seed-004 vector search, seed-003 documents, segments, hit testing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingestflow.client._core import Call, Operation, operation
from ingestflow.client.errors import BadRequestError
from ingestflow.client.models import Document, PaginatedList, SearchHit, SearchResult, Segment

STRATEGIES = ("semantic", "full_text", "hybrid")


def _one(data: Any, key: str) -> Any:
    """An object returned either bare or wrapped as ``{key: {...}}``."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    return data


def _paged(model: type, data: Any) -> PaginatedList:
    data = data or {}
    items = [model.model_validate(x) for x in data.get("list") or data.get("items") or []]
    return PaginatedList[model](list=items, paginator=data.get("paginator") or {})  # type: ignore[valid-type]


class QueryEndpoints:
    """Search, documents and segments of a volume (a seed-003 "dataset" is a volume)."""

    @operation
    def search(self, query: str, volume_id: str | None = None, volume_ids: Iterable[str] | None = None,
               retrieval_strategy: str = "hybrid", k: int = 10, score: float | None = None,
               rrf_k: int | None = None, tenant_code: str | None = None, org_code: str | None = None,
               uri_prefix: str | None = None, file_types: Iterable[int] | None = None,
               document_ids: Iterable[str] | None = None) -> Operation[SearchResult]:
        """Search one or more volumes; hits best first."""
        strategy = retrieval_strategy.replace("-", "_")
        if strategy not in STRATEGIES:
            raise BadRequestError(400, "ErrValidation", f"retrieval_strategy {retrieval_strategy!r}: use one of "
                                  f"{', '.join(STRATEGIES)}")
        if volume_id is None and not volume_ids:
            raise BadRequestError(400, "ErrValidation", "volume_id or volume_ids is required")
        body: dict[str, Any] = {"query": query, "retrieval_strategy": strategy, "k": k}
        if volume_id is not None:
            body["volume_id"] = str(volume_id)
        if volume_ids:
            body["volume_ids"] = [str(v) for v in volume_ids]
        for key, value in (("score", score), ("rrf_k", rrf_k), ("tenant_code", tenant_code), ("org_code", org_code)):
            if value is not None:
                body[key] = value
        filters = {k: v for k, v in (("uri_prefix", uri_prefix), ("file_types", list(file_types or []) or None),
                                      ("document_ids", list(document_ids or []) or None)) if v}
        if filters:
            body["filters"] = filters
        data = yield Call("POST", "/search", json=body)
        return SearchResult.model_validate(data or {})

    @operation
    def search_vector_db(self, query: str, **fields: Any) -> Operation[Any]:
        """Seed 004's ``POST /vector_db_service/search_from_vector_db`` (collection_type, filter_expr, limit,
        use_hybrid, vector_similarity_threshold, rrf_similarity_threshold, tenant_code, org_code);
        the response ``data`` as the server sends it."""
        return (yield Call("POST", "/vector_db_service/search_from_vector_db", json={"query": query, **fields}))

    @operation
    def hit_test(self, volume_id: str, query: str, retrieval_strategy: str = "hybrid", k: int = 10,
                 score: float | None = None) -> Operation[list[SearchHit]]:
        """Seed 003 §4.6 hit testing on a volume."""
        body: dict[str, Any] = {"query": query, "retrieval_strategy": retrieval_strategy, "k": k}
        if score is not None:
            body["score"] = score
        data = yield Call("POST", f"/datasets/{volume_id}/hit", json=body)
        rows = (data.get("results") or data.get("list") or []) if isinstance(data, dict) else (data or [])
        return [SearchHit.model_validate({**r, "chunk_id": r.get("chunk_id") or r.get("id", "")}) for r in rows]

    @operation
    def recent_queries(self, volume_id: str) -> Operation[list[dict[str, Any]]]:
        data = yield Call("GET", f"/datasets/{volume_id}/queries")
        return list(data.get("list") or data.get("queries") or []) if isinstance(data, dict) else list(data or [])

    # --- documents -------------------------------------------------------------------------

    @operation
    def list_documents(self, volume_id: str, search_word: str = "", current_page: int = 1,
                       page_size: int = 20) -> Operation[PaginatedList[Document]]:
        params = {"search_word": search_word or None, "current_page": current_page, "page_size": page_size}
        return _paged(Document, (yield Call("GET", f"/datasets/{volume_id}/documents", params=params)))

    @operation
    def get_document(self, volume_id: str, document_id: str) -> Operation[Document]:
        data = yield Call("GET", f"/datasets/{volume_id}/documents/{document_id}")
        return Document.model_validate(_one(data, "document"))

    @operation
    def rename_document(self, volume_id: str, document_id: str, name: str) -> Operation[None]:
        yield Call("POST", f"/datasets/{volume_id}/documents/{document_id}/name", json={"name": name})

    @operation
    def set_document_enabled(self, volume_id: str, document_id: str, enabled: bool) -> Operation[None]:
        """Enable or disable a document (a disabled one never appears in search results)."""
        yield Call("POST", f"/datasets/{volume_id}/documents/{document_id}/enabled", json={"enabled": enabled})

    @operation
    def delete_document(self, volume_id: str, document_id: str) -> Operation[None]:
        """Delete a document and its chunks."""
        yield Call("POST", f"/datasets/{volume_id}/documents/{document_id}/delete")

    # --- segments --------------------------------------------------------------------------

    def _seg_path(self, volume_id: str, document_id: str, segment_id: str | None = None) -> str:
        base = f"/datasets/{volume_id}/documents/{document_id}/segments"
        return f"{base}/{segment_id}" if segment_id else base

    @operation
    def list_segments(self, volume_id: str, document_id: str, search_word: str = "", current_page: int = 1,
                      page_size: int = 20) -> Operation[PaginatedList[Segment]]:
        params = {"search_word": search_word or None, "current_page": current_page, "page_size": page_size}
        return _paged(Segment, (yield Call("GET", self._seg_path(volume_id, document_id), params=params)))

    @operation
    def get_segment(self, volume_id: str, document_id: str, segment_id: str) -> Operation[Segment]:
        data = yield Call("GET", self._seg_path(volume_id, document_id, segment_id))
        return Segment.model_validate(_one(data, "segment"))

    @operation
    def create_segment(self, volume_id: str, document_id: str, content: str,
                       keywords: Iterable[str] = ()) -> Operation[Any]:
        """Add a segment (embedded by the server at once); the server's data (the new segment or its id)."""
        body = {"content": content, "keywords": list(keywords)}
        return (yield Call("POST", self._seg_path(volume_id, document_id), json=body))

    @operation
    def update_segment(self, volume_id: str, document_id: str, segment_id: str, content: str | None = None,
                       keywords: Iterable[str] | None = None) -> Operation[None]:
        body: dict[str, Any] = {}
        if content is not None:
            body["content"] = content
        if keywords is not None:
            body["keywords"] = list(keywords)
        yield Call("POST", self._seg_path(volume_id, document_id, segment_id), json=body)

    @operation
    def set_segment_enabled(self, volume_id: str, document_id: str, segment_id: str,
                            enabled: bool) -> Operation[None]:
        yield Call("POST", f"{self._seg_path(volume_id, document_id, segment_id)}/enabled", json={"enabled": enabled})

    @operation
    def delete_segment(self, volume_id: str, document_id: str, segment_id: str) -> Operation[None]:
        yield Call("POST", f"{self._seg_path(volume_id, document_id, segment_id)}/delete")
