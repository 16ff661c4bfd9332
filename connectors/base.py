"""The connector Protocol every source implements, and the base of connector configs.

A connector is built from a validated config (pydantic; secrets are ``SecretStr``) and
offers four operations:

- ``validate()``: really connect and read; raise SourceCredentialsRejected / NotFound / ProviderError.
- ``list(uris, file_types)``: stream ``SourceItem``s (never hold a whole listing).
- ``open(uri)``: a binary stream of the content (chunked; never the whole file in memory).
- ``stat(uri)``: one ``SourceItem``.

``SdkConnector`` is the scaffolding the SDK-backed kinds share: the config, one lazily built
client, a repr of names only, and every SDK call through the one error mapping (``errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, BinaryIO, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr

from ingestflow.connectors.errors import Source, call, guarded
from ingestflow.records import FileType, SourceItem

T = TypeVar("T")


def check_endpoint(value: str) -> str:
    """An endpoint the SDKs can use later: ``host[:port]`` or an http(s) URL with a host and a valid port.

    Checked when the config is created, so a URL the SDK would only reject at list time (``http://[``)
    is a 400 naming the field, not a 5xx later. Empty stays empty (the provider's default)."""
    from urllib.parse import urlsplit

    text = value.strip()
    if not text:
        return value
    url = text if "://" in text else f"http://{text}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError("must be host:port or an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise ValueError("must be host:port or an http(s) URL") from None
    return value


def check_header_secret(value: SecretStr) -> SecretStr:
    """A secret sent in an HTTP header (a Bearer key): printable ASCII only — httpx cannot encode anything
    else, and its error would carry the whole header (the key) into logs. The value is never echoed."""
    text = value.get_secret_value()
    if not text or not all(33 <= ord(c) <= 126 for c in text):
        raise ValueError("must be printable ASCII without spaces (it is sent in an HTTP header)")
    return value


def check_header_value(value: str) -> str:
    """A plain value sent in an HTTP header (an access key id): printable ASCII only."""
    if not all(33 <= ord(c) <= 126 for c in value):
        raise ValueError("must be printable ASCII without spaces (it is sent in an HTTP header)")
    return value


Endpoint = Annotated[str, AfterValidator(check_endpoint)]
HeaderSecret = Annotated[SecretStr, AfterValidator(check_header_secret)]
HeaderValue = Annotated[str, AfterValidator(check_header_value)]


class ConnectorConfig(BaseModel):
    """Base of connector configs: unknown fields are rejected, secrets are SecretStr."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def model_post_init(self, context: Any, /) -> None:
        """Every secret of a config is known to the scrubber from the moment the config exists."""
        from ingestflow.scrub import remember

        remember(*(v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)))


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


class SdkConnector:
    """Base of the connectors over a source SDK (s3, minio, oss, hdfs, mo, dify).

    Subclasses set ``kind``, implement ``source`` (the names errors may use) and, when they keep
    a client, ``_make_client``. ``field_name`` turns a config field into the name a user fixes
    (default ``<kind's body field>.<field>``; the upload store names its settings instead).
    """

    kind: ClassVar[str]
    repr_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Any, *, field_name: Callable[[str], str] | None = None) -> None:
        self.config = config
        self._client: Any = None
        self._field_name = field_name

    def __repr__(self) -> str:  # names only: configs hold secrets
        shown = ", ".join(f"{name}={getattr(self.config, name)!r}" for name in self.repr_fields)
        return f"{type(self).__name__}({shown})"

    def field(self, name: str) -> str:
        """The user-facing name of a config field (``s3.access_key_secret``)."""
        if self._field_name is not None:
            return self._field_name(name)
        from ingestflow.connectors.registry import CONNECTOR_REGISTRY  # registry imports this module

        entry = CONNECTOR_REGISTRY.get(self.kind)
        return f"{entry.config_field if entry else self.kind}.{name}"

    @property
    def source(self) -> Source:
        """What this connector's error messages may name."""
        raise NotImplementedError

    def _make_client(self) -> Any:
        raise NotImplementedError

    @property
    def client(self) -> Any:
        """The SDK client, built on first use (construction errors are mapped too)."""
        if self._client is None:
            self._client = self._call("the connection settings", self._make_client)
        return self._client

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One SDK call, its errors mapped to the error tree (``what`` names the target)."""
        return call(self.source, what, fn, *args, **kwargs)

    def _guard(self, what: str, items: Iterable[T]) -> Iterator[T]:
        """An SDK iterator (pages, chunks) with its errors mapped."""
        return guarded(self.source, what, items)


def wanted_type(item: SourceItem, file_types: set[int] | None) -> bool:
    """True when an item passes the seed's ``file_types`` filter (directories always pass type 10)."""
    return not file_types or int(item.file_type) in file_types


def normalise_file_types(file_types: Iterable[int] | None) -> set[int] | None:
    """The ``file_types`` filter as a set of valid seed file types, or None for no filter."""
    if not file_types:
        return None
    return {int(FileType(int(t))) for t in file_types}
