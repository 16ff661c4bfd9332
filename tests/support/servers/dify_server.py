"""A Dify Knowledge API test server (the shapes of Dify's dataset API docs), in memory.

Serves ``GET /v1/datasets``, ``/v1/datasets/{id}/documents``,
``/v1/datasets/{id}/documents/{doc}/segments`` and ``…/{doc}/upload-file`` with page/limit
paging (``data``, ``has_more``, ``limit``, ``total``, ``page``), Bearer auth against one
key, and Dify's error body ``{"code", "message", "status"}``. Tests seed it with
``add_dataset`` / ``add_document`` / ``edit_document``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.servers.http import HttpTestServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class DifyTestServer(HttpTestServer):
    """In-memory datasets → documents → segments behind Dify's Knowledge API."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.datasets: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, dict[str, Any]]] = {}
        self.segments: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- seeding ---------------------------------------------------------------------
    def add_dataset(self, name: str, dataset_id: str | None = None) -> str:
        """A new empty dataset; returns its id."""
        ds_id = dataset_id or str(uuid.uuid4())
        now = int(time.time())
        self.datasets[ds_id] = {
            "id": ds_id, "name": name, "description": None, "provider": "vendor", "permission": "only_me",
            "data_source_type": "upload_file", "indexing_technique": "high_quality", "app_count": 0,
            "document_count": 0, "word_count": 0, "created_by": "test", "created_at": now,
            "updated_by": "test", "updated_at": now,
        }
        self.documents[ds_id] = {}
        return ds_id

    def add_document(self, dataset_id: str, name: str, segments: list[str]) -> str:
        """A completed document with the given segment texts; returns its id."""
        doc_id = str(uuid.uuid4())
        now = int(time.time())
        self.documents[dataset_id][doc_id] = {
            "id": doc_id, "position": len(self.documents[dataset_id]) + 1, "data_source_type": "upload_file",
            "data_source_info": {"upload_file_id": str(uuid.uuid4())}, "dataset_process_rule_id": None,
            "name": name, "created_from": "api", "created_by": "test", "created_at": now, "updated_at": now,
            "tokens": 0, "indexing_status": "completed", "error": None, "enabled": True, "disabled_at": None,
            "disabled_by": None, "archived": False, "display_status": "available", "word_count": 0, "hit_count": 0,
            "doc_form": "text_model",
        }
        self._set_segments(dataset_id, doc_id, segments)
        return doc_id

    def edit_document(self, dataset_id: str, doc_id: str, segments: list[str]) -> None:
        """Replace a document's segments (bumps updated_at and word_count like a re-index)."""
        self._set_segments(dataset_id, doc_id, segments)
        doc = self.documents[dataset_id][doc_id]
        doc["updated_at"] = max(int(time.time()), int(doc["updated_at"]) + 1)

    def _set_segments(self, dataset_id: str, doc_id: str, texts: list[str]) -> None:
        self.segments[doc_id] = [
            {"id": str(uuid.uuid4()), "position": i + 1, "document_id": doc_id, "content": text, "answer": None,
             "word_count": len(text), "tokens": max(1, len(text) // 4), "keywords": [], "index_node_id": "",
             "index_node_hash": "", "hit_count": 0, "enabled": True, "disabled_at": None, "disabled_by": None,
             "status": "completed", "created_by": "test", "created_at": int(time.time()),
             "indexing_at": None, "completed_at": None, "error": None, "stopped_at": None}
            for i, text in enumerate(texts)
        ]
        self.documents[dataset_id][doc_id]["word_count"] = sum(len(t) for t in texts)
        ds = self.datasets[dataset_id]
        ds["document_count"] = len(self.documents[dataset_id])
        ds["word_count"] = sum(d["word_count"] for d in self.documents[dataset_id].values())

    # -- server ----------------------------------------------------------------------

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, obj: Any) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
        self._send(h, status, {"code": code, "message": message, "status": status})

    @staticmethod
    def _page(items: list[Any], params: dict[str, str]) -> dict[str, Any]:
        page = max(1, int(params.get("page", 1) or 1))
        limit = max(1, min(100, int(params.get("limit", 20) or 20)))
        chunk = items[(page - 1) * limit: page * limit]
        return {"data": chunk, "has_more": page * limit < len(items), "limit": limit, "total": len(items), "page": page}

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = dict(parse_qsl(parts.query))
        self.requests.append(h.path)
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] != self.api_key:
            self._error(h, 401, "unauthorized", "Access token is invalid")
            return
        segs = [unquote(s) for s in parts.path.strip("/").split("/")]
        if segs[:1] != ["v1"] or len(segs) < 2 or segs[1] != "datasets":
            self._error(h, 404, "not_found", "The requested URL was not found on the server.")
            return
        segs = segs[2:]
        with self._lock:
            if not segs:
                self._send(h, 200, self._page(list(self.datasets.values()), params))
                return
            ds_id = segs[0]
            if ds_id not in self.datasets:
                self._error(h, 404, "not_found", "Dataset not found.")
                return
            docs = self.documents[ds_id]
            if segs[1:] == ["documents"]:
                self._send(h, 200, self._page(list(docs.values()), params))
                return
            if len(segs) == 4 and segs[1] == "documents" and segs[2] in docs:
                doc = docs[segs[2]]
                if segs[3] == "segments":
                    self._send(h, 200, {**self._page(self.segments[doc["id"]], params), "doc_form": "text_model"})
                    return
                if segs[3] == "upload-file":
                    size = sum(len(s["content"].encode()) for s in self.segments[doc["id"]])
                    ext = doc["name"].rsplit(".", 1)[-1] if "." in doc["name"] else ""
                    self._send(h, 200, {
                        "id": doc["data_source_info"]["upload_file_id"], "name": doc["name"], "size": size,
                        "extension": ext, "url": f"/files/{doc['id']}/preview", "download_url": f"/files/{doc['id']}",
                        "mime_type": "text/plain", "created_by": "test", "created_at": doc["created_at"]})
                    return
            self._error(h, 404, "not_found", "Document not found.")
