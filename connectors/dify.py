"""``dify``: documents of Dify knowledge bases, through the Dify Knowledge (dataset) API.

uri = ``dify://{dataset_id}/{document_id}``; the content is the document's segments joined
with blank lines (UTF-8). version = ``{updated_at or created_at}-{word_count}``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field

from ingestflow.connectors.base import (
    ConnectorConfig, Endpoint, HeaderSecret, SdkConnector, normalise_file_types, wanted_type,
)
from ingestflow.connectors.errors import Source, import_sdk
from ingestflow.connectors.registry import register
from ingestflow.errors import NotFound, ProviderError, ValidationFailed
from ingestflow.records import FileType, SourceItem, SourceType, file_type_for

PAGE_LIMIT = 100


class DifyConfig(ConnectorConfig):
    """Config of a Dify source (field names as in the seed)."""

    api_url: Endpoint = Field(..., min_length=1, description="e.g. http://127.0.0.1:5001/v1 (the /v1 is optional).")
    api_key: HeaderSecret = Field(..., description="A Dify knowledge API key (dataset-…).")
    dataset_ids: list[str] | None = Field(None, description="Only these datasets (default all).")


class DifyConnector(SdkConnector):
    """Dify knowledge-base documents as a source."""

    kind: ClassVar[str] = "dify"
    config: DifyConfig

    def __repr__(self) -> str:
        return f"DifyConnector(api_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The API url, always ending in ``/v1``."""
        url = self.config.api_url.strip().rstrip("/")
        if "://" not in url:
            url = f"http://{url}"
        return url if url.endswith("/v1") else f"{url}/v1"

    @property
    def source(self) -> Source:
        """Errors name the API url; the credential is the API key."""
        return Source("Dify", self.base_url, secret_field=self.field("api_key"))

    def _make_client(self) -> Any:
        """The httpx client (Bearer auth, 10 s timeout)."""
        httpx = import_sdk("httpx", "httpx", self.kind)
        return httpx.Client(base_url=self.base_url, timeout=10.0,
                            headers={"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"})

    def close(self) -> None:
        """Close the pooled HTTP connections (also done when the connector is collected)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _get(self, path: str, what: str, **params: Any) -> dict[str, Any]:
        """GET a JSON object; transport errors and HTTP error statuses are mapped like any SDK error."""
        resp = self._call(what, self.client.get, path, params=params or None)
        self._call(what, resp.raise_for_status)
        try:
            return resp.json()
        except ValueError:
            raise ProviderError(f"Dify answered non-JSON for {what}") from None

    def _pages(self, path: str, what: str) -> Iterator[dict[str, Any]]:
        """Every ``data`` entry of a paged endpoint (page/limit, following ``has_more``)."""
        page = 1
        while True:
            body = self._get(path, what, page=page, limit=PAGE_LIMIT)
            yield from body.get("data") or []
            if not body.get("has_more"):
                return
            page += 1

    def validate(self) -> None:
        """The API key must be accepted and the configured datasets must exist."""
        self._get("/datasets", "the dataset list", page=1, limit=1)
        for ds in self.config.dataset_ids or []:
            self._get(f"/datasets/{_seg(ds)}/documents", f"dataset {ds!r}", page=1, limit=1)

    def _datasets(self) -> Iterator[str]:
        if self.config.dataset_ids:
            yield from self.config.dataset_ids
        else:
            for ds in self._pages("/datasets", "the dataset list"):
                yield str(ds["id"])

    def _item(self, dataset_id: str, doc: dict[str, Any]) -> SourceItem:
        name = str(doc.get("name") or doc["id"])
        stamp = doc.get("updated_at") or doc.get("created_at") or 0
        words = int(doc.get("word_count") or 0)
        ftype = file_type_for(name)
        uri = f"dify://{dataset_id}/{doc['id']}"
        content = self._content(uri)  # the exact bytes open() returns, so size and version match them
        return SourceItem(
            uri=uri,
            name=name,
            size=len(content),
            file_type=ftype if ftype != FileType.NIL else FileType.TXT,
            version=f"{stamp}-{words}-{hashlib.sha256(content).hexdigest()[:16]}",
            modified_at=float(stamp) if isinstance(stamp, (int, float)) and stamp else None,
            extra={"dataset_id": dataset_id, "indexing_status": doc.get("indexing_status"),
                   "enabled": doc.get("enabled")},
        )

    def _parse(self, uri: str) -> tuple[str, str | None]:
        rest = uri[len("dify://"):] if uri.startswith("dify://") else uri
        parts = [p for p in rest.split("/") if p]
        if not parts or len(parts) > 2:
            raise ValidationFailed(f"{uri!r} is not a dify://dataset[/document] uri")
        return parts[0], (parts[1] if len(parts) == 2 else None)

    def _documents(self, dataset_id: str) -> Iterator[SourceItem]:
        path = f"/datasets/{_seg(dataset_id)}/documents"
        for doc in self._pages(path, f"dataset {dataset_id!r}"):
            yield self._item(dataset_id, doc)

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Documents of the given datasets/documents (``dify://ds`` or ``dify://ds/doc``), or of all."""
        types = normalise_file_types(file_types)
        for uri in list(uris or []) or [None]:
            if uri is None:
                items = (item for ds in self._datasets() for item in self._documents(ds))
            else:
                ds, doc = self._parse(uri)
                items = iter([self.stat(uri)]) if doc else self._documents(ds)
            for item in items:
                if wanted_type(item, types):
                    yield item

    def _segments(self, uri: str) -> Iterator[str]:
        ds, doc = self._parse(uri)
        if not doc:
            raise ValidationFailed(f"{uri!r} names a dataset, not a document")
        for seg in self._pages(f"/datasets/{_seg(ds)}/documents/{_seg(doc)}/segments", f"document {uri!r}"):
            if seg.get("enabled", True) and seg.get("content"):
                yield str(seg["content"])

    def _content(self, uri: str) -> bytes:
        return "\n\n".join(self._segments(uri)).encode("utf-8")

    def open(self, uri: str) -> BinaryIO:
        """The document's segments, joined with blank lines, as UTF-8."""
        return io.BytesIO(self._content(uri))

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one document (found through its dataset's document list)."""
        ds, doc = self._parse(uri)
        if not doc:
            raise ValidationFailed(f"{uri!r} names a dataset, not a document")
        for item in self._documents(ds):
            if item.uri == f"dify://{ds}/{doc}":
                return item
        raise NotFound(f"document {uri!r} does not exist in Dify")


def _seg(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


register("dify", SourceType.DIFY, DifyConfig, DifyConnector)
