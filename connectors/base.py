"""The connector Protocol every source implements, and the base of connector configs.

A connector is built from a validated config (pydantic; secrets are ``SecretStr``) and
offers four operations:

- ``validate()``: really connect and read; raise AuthError / NotFound / ProviderError.
- ``list(uris, file_types)``: stream ``SourceItem``s (never hold a whole listing).
- ``open(uri)``: a binary stream of the content (chunked; never the whole file in memory).
- ``stat(uri)``: one ``SourceItem``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from ingestflow.records import FileType, SourceItem


class ConnectorConfig(BaseModel):
    """Base of connector configs: unknown fields are rejected, secrets are SecretStr."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@runtime_checkable
class Connector(Protocol):
    """What the load flow and the API need from a source."""

    kind: ClassVar[str]

    def validate(self) -> None:
        """Connect and read; raise an IngestError subclass that says what is wrong."""

    def list(
        self, uris: Iterable[str] | None = None, file_types: Iterable[int] | None = None
    ) -> Iterator[SourceItem]:
        """Stream the items under ``uris`` (all when empty), optionally filtered by seed type."""

    def open(self, uri: str) -> BinaryIO:
        """A readable binary stream of one item's content (close it when done)."""

    def stat(self, uri: str) -> SourceItem:
        """Metadata of one item; NotFound when it does not exist."""


def wanted_type(item: SourceItem, file_types: set[int] | None) -> bool:
    """True when an item passes the seed's ``file_types`` filter (directories always pass type 10)."""
    return not file_types or int(item.file_type) in file_types


def normalise_file_types(file_types: Iterable[int] | None) -> set[int] | None:
    """The ``file_types`` filter as a set of valid seed file types, or None for no filter."""
    if not file_types:
        return None
    return {int(FileType(int(t))) for t in file_types}
