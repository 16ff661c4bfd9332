"""Errors raised by the ingestflow client.

    IngestflowError                   base of everything the client raises
    ├── IngestflowConnectionError     the server could not be reached / the request timed out
    ├── IngestflowTimeoutError        a wait (``wait_for_run``) ran past its timeout
    └── IngestflowAPIError            the server answered with an error envelope
        ├── BadRequestError           400 / 422: a field is wrong (``msg`` names it)
        ├── AuthenticationError       401: missing or invalid ``moi-key``
        │   └── PermissionDeniedError 403: a tenant-bound key on an admin route
        ├── NotFoundError             404: unknown id (or endpoint)
        ├── ConflictError             409: clashes with current state
        ├── PayloadTooLargeError      413: upload over the server's limit
        └── ServerError               5xx

``IngestflowAPIError`` carries the server's ``status_code``, ``code`` and ``msg``.
"""

from __future__ import annotations


class IngestflowError(Exception):
    """Base of every error the client raises."""


class IngestflowConnectionError(IngestflowError):
    """The server could not be reached, or did not answer in time."""


class IngestflowTimeoutError(IngestflowError):
    """Waiting for a load run took longer than allowed."""


class IngestflowAPIError(IngestflowError):
    """The server answered with an error: its HTTP status, envelope ``code`` and ``msg``."""

    def __init__(self, status_code: int, code: str, msg: str, *, method: str = "", path: str = "") -> None:
        self.status_code = status_code
        self.code = code
        self.msg = msg
        self.method = method
        self.path = path
        where = f" ({method} {path})" if method else ""
        super().__init__(f"{status_code} {code}: {msg}{where}")


class BadRequestError(IngestflowAPIError):
    """400/422: bad input."""


class AuthenticationError(IngestflowAPIError):
    """401: missing or invalid API key."""


class PermissionDeniedError(AuthenticationError):
    """403: a valid key that may not use this route."""


class NotFoundError(IngestflowAPIError):
    """404: unknown id or endpoint."""


class ConflictError(IngestflowAPIError):
    """409: the request clashes with the current state."""


class PayloadTooLargeError(IngestflowAPIError):
    """413: the upload exceeds the server's limit."""


class ServerError(IngestflowAPIError):
    """5xx: the server or a source/sink behind it failed."""


_BY_STATUS = {400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 409: ConflictError,
              413: PayloadTooLargeError, 422: BadRequestError}


def api_error(status_code: int, code: str, msg: str, *, method: str = "", path: str = "") -> IngestflowAPIError:
    """The exception class matching an HTTP status, filled with the server's code and message."""
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else IngestflowAPIError)
    return cls(status_code, code, msg, method=method, path=path)
