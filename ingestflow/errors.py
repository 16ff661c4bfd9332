"""The one error tree of ingestflow, mapped once to HTTP codes by the API.

    IngestError                      500  base; ``code`` goes into the response envelope
    ├── UserError                    400  bad input from a caller
    │   ├── ValidationFailed         400  a request field is wrong
    │   ├── Conflict                 409  the request clashes with current state
    │   └── PayloadTooLarge          413  an upload exceeds the size limit
    ├── AuthError                    401  missing/invalid API key or source credentials
    │   └── Forbidden                403  a valid key without the right (tenant key on admin routes)
    ├── NotFound                     404  unknown id, path, bucket, table …
    ├── ProviderError                502  a source or sink failed (retryable or not)
    │   └── ProviderUnavailable      503  unreachable / timed out: retryable
    ├── UnsupportedFile              422  a file type with no parser (e.g. audio)
    ├── ParseError                   422  a file that could not be parsed (corrupt, empty)
    └── ModelNotAvailable            500  embedding model not installed / not loadable

Messages never contain secrets: build them from names, never from credentials.
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


class Conflict(UserError):
    """The request clashes with the current state."""

    http_status = 409
    code = "ErrConflict"


class PayloadTooLarge(UserError):
    """An upload exceeds the configured size limit."""

    http_status = 413
    code = "ErrPayloadTooLarge"


class AuthError(IngestError):
    """Missing or invalid API key, or a source rejected its credentials."""

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


class ProviderUnavailable(ProviderError):
    """A source or sink is unreachable or timed out; worth retrying."""

    http_status = 503
    code = "ErrProviderUnavailable"
    retryable = True


class UnsupportedFile(IngestError):
    """A file type ingestflow has no parser for."""

    http_status = 422
    code = "ErrUnsupportedFile"


class ParseError(IngestError):
    """A file could not be parsed (corrupt, encrypted, empty)."""

    http_status = 422
    code = "ErrParse"


class ModelNotAvailable(IngestError):
    """The embedding model is not installed or cannot be loaded."""

    code = "ErrModelNotAvailable"
