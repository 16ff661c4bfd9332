"""The one error tree of ingestflow. Each API family maps it once to its envelope and status.

    IngestError                      500  base; ``code`` goes into the response envelope
    ├── UserError                    400  bad input from a caller
    │   ├── ValidationFailed         400  a request field is wrong
    │   ├── SourceCredentialsRejected 400 a source rejected the connector's credentials (names the field)
    │   ├── Conflict                 409  the request clashes with current state
    │   └── PayloadTooLarge          413  an upload or a body exceeds its size limit
    ├── AuthError                    401  missing or invalid API key (our API's own auth, never a source's)
    │   └── Forbidden                403  a valid key without the right (tenant key on admin routes)
    ├── NotFound                     404  unknown id, path, bucket, table …
    ├── ProviderError                502  a source or sink failed
    │   ├── EmbedTimeout             502  an embedding batch ran past its time limit (not retried)
    │   └── ProviderUnavailable      503  unreachable / timed out: retryable
    ├── NotSupported                 501  an API this server does not implement (MOI tables, users, NL2SQL …)
    ├── FileError                    422  one file's own failure: it fails alone, the load goes on
    │   ├── UnsupportedFile          422  a file type with no parser (e.g. audio)
    │   └── ParseError               422  a file that could not be parsed (corrupt, empty)
    │       ├── ParseTimeout         422  fetch + parse ran past its time limit; the worker was killed
    │       ├── ParserCrashed        422  the parse worker died on the file (segfault, out of memory)
    │       └── FileTooLarge         422  over an input limit (inflated size, image pixels, parse memory)
    │           └── ParseMemoryExceeded 422  parsing hit the parse worker's memory ceiling
    ├── ModelNotAvailable            500  embedding model not installed / not loadable
    └── SecretKeyError               500  stored connector secrets do not decrypt with the configured key(s)

``retryable`` says whether trying again later may succeed (an outage), as opposed to a failure
that will repeat (a corrupt file, a bad config). Messages never contain secrets: build them
from names, never from credentials.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of all ingestflow errors."""

    http_status = 500
    code = "ErrInternal"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class UserError(IngestError):
    """Bad input from a caller."""

    http_status = 400
    code = "ErrBadRequest"


class ValidationFailed(UserError):
    """A request field is missing or wrong."""

    code = "ErrValidation"


class SourceCredentialsRejected(UserError):
    """A source (S3, OSS, HDFS, MO, Dify …) rejected the connector's credentials.

    A 4xx about the connector's config, never our API's 401: ``fields`` names the config fields
    to fix (e.g. ``s3.access_key_id``, ``s3.access_key_secret``).
    """

    code = "ErrSourceCredentials"

    def __init__(self, message: str, *, fields: tuple[str, ...] = (), code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.fields = tuple(fields)


class Conflict(UserError):
    """The request clashes with the current state."""

    http_status = 409
    code = "ErrConflict"


class PayloadTooLarge(UserError):
    """An upload or a request body exceeds the configured size limit."""

    http_status = 413
    code = "ErrPayloadTooLarge"


class AuthError(IngestError):
    """Missing or invalid API key (our API's own authentication only)."""

    http_status = 401
    code = "ErrAuth"


class Forbidden(AuthError):
    """A valid key that may not use this route (a tenant-bound key on an admin route)."""

    http_status = 403
    code = "ErrForbidden"


class NotFound(IngestError):
    """Unknown id, or a source path/bucket/table that does not exist."""

    http_status = 404
    code = "ErrNotFound"


class ProviderError(IngestError):
    """A source or sink failed."""

    http_status = 502
    code = "ErrProvider"


class EmbedTimeout(ProviderError):
    """An embedding batch ran past its time limit (not retried: the embedder thread may be stuck)."""

    code = "ErrEmbedTimeout"


class ProviderUnavailable(ProviderError):
    """A source or sink is unreachable or timed out; worth retrying."""

    http_status = 503
    code = "ErrProviderUnavailable"
    retryable = True


class NotSupported(IngestError):
    """A request for something this server does not do (MOI's table, database, user or NL2SQL APIs …)."""

    http_status = 501
    code = "ErrNotSupported"


class FileError(IngestError):
    """One file's own failure (its content or type): it fails alone and is not retried."""

    http_status = 422
    code = "ErrFile"


class UnsupportedFile(FileError):
    """A file type ingestflow has no parser for."""

    code = "ErrUnsupportedFile"


class ParseError(FileError):
    """A file could not be parsed (corrupt, encrypted, empty)."""

    code = "ErrParse"


class ParseTimeout(ParseError):
    """A file's fetch + parse ran past its time limit (the worker was killed; not retried)."""

    code = "ErrParseTimeout"


class ParserCrashed(ParseError):
    """The parse worker died on a file (segfault, out of memory)."""

    code = "ErrParserCrashed"


class FileTooLarge(ParseError):
    """A file over an input limit: zip parts inflating past their limit, an image over its pixel limit."""

    code = "ErrFileTooLarge"


class ParseMemoryExceeded(FileTooLarge):
    """Parsing a file needed more memory than the parse worker's ceiling (the worker is replaced)."""

    code = "ErrParseMemoryExceeded"


class ModelNotAvailable(IngestError):
    """The embedding model is not installed or cannot be loaded."""

    code = "ErrModelNotAvailable"


class SecretKeyError(IngestError):
    """The stored connector secrets cannot be decrypted with the configured key(s) (``INGESTFLOW_SECRET_KEY``)."""

    code = "ErrSecretKey"
