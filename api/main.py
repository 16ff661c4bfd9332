"""The FastAPI app: routers, auth, and the one mapping of IngestError to HTTP.

Run: ``uvicorn ingestflow.api.main:create_app --factory`` (or ``ingestflow api`` / ``ingestflow up``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingestflow.api.deps import require_api_key, require_caller
from ingestflow.api import seed003, seed004
from ingestflow.api.body_limits import BodyLimits
from ingestflow.api.envelope import error
from ingestflow.api.routes import connectors, documents, health, search, tasks, volumes
from ingestflow.api.routes import chat_uploads, connector_files, datasets, links, moi_catalog, moi_unsupported
from ingestflow.api.routes import upload_files, vector_db
from ingestflow.errors import IngestError
from ingestflow.scrub import scrub
from ingestflow.settings import prepare_environment

log = logging.getLogger("ingestflow.api")

HTTP_CODES = {400: "ErrBadRequest", 401: "ErrAuth", 403: "ErrForbidden", 404: "ErrNotFound",
              405: "ErrMethodNotAllowed", 409: "ErrConflict", 413: "ErrPayloadTooLarge", 415: "ErrUnsupportedMedia"}


def _field(loc: tuple) -> str:
    # only the first element names the location: a field may itself be called "query" (seed 004's is)
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "form") else loc)]
    return ".".join(parts) or "body"


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        if err.get("type") == "json_invalid":
            problems.append(f"malformed JSON body: {err.get('ctx', {}).get('error', 'cannot parse')}")
            continue
        if err.get("type") == "missing":
            problems.append(f"{_field(err.get('loc', ()))}: field required")
            continue
        problems.append(f"{_field(err.get('loc', ()))}: {err.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def _document_errors_as_400(app: FastAPI) -> None:
    """OpenAPI as served: request-validation errors are 400 with the envelope (FastAPI would say 422)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    if "422" in responses:
                        responses.pop("422")
                        responses.setdefault("400", {"description": "Bad input (the field is named)",
                                                     "content": {"application/json": {"schema": {
                                                         "$ref": "#/components/schemas/ErrorEnvelope"}}}})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _family(request: Request) -> str | None:
    return getattr(request.state, "family", None)


def _in_seed003(request: Request) -> bool:
    return _family(request) == seed003.NAME


def _in_seed004(request: Request) -> bool:
    return _family(request) == seed004.NAME


def _seed003_path(request: Request) -> bool:
    """No route matched (404/405 before any dependency ran): the family is known by the path."""
    return _in_seed003(request) or request.url.path.startswith(seed003.PREFIXES)


@asynccontextmanager
async def _reaper_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves, a background thread closes dead runs (expired run leases)."""
    from ingestflow.orchestration.reaper import Reaper

    app.state.reaper = Reaper().start()
    try:
        yield
    finally:
        app.state.reaper.stop()


def create_app() -> FastAPI:
    """The API app (factory: settings are read when the app is built)."""
    prepare_environment()
    app = FastAPI(title="ingestflow", version="0.1.0", lifespan=_reaper_lifespan,
                  description="ingestflow: seed 002 (MOI data ingestion, moi-key), seed 003 (knowledge bases, Bearer), seed 004 (vector-db service) — each family in its own envelope; loads run by Prefect.")

    @app.exception_handler(IngestError)
    async def _ingest_error(request: Request, exc: IngestError) -> JSONResponse:
        message = scrub(exc.message)  # the net under "messages never contain secrets"
        if exc.http_status >= 500:
            log.warning("%s: %s", exc.code, message)
        if _in_seed003(request):
            return JSONResponse(seed003.error(exc.http_status, message), status_code=exc.http_status)
        if _in_seed004(request):
            return JSONResponse(seed004.error(exc.http_status, message), status_code=exc.http_status)
        return JSONResponse(error(exc.code, message), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _in_seed003(request):
            return JSONResponse(seed003.error(400, _validation_message(exc)), status_code=400)
        if _in_seed004(request):
            return JSONResponse(seed004.error(400, _validation_message(exc)), status_code=400)
        return JSONResponse(error("ErrValidation", _validation_message(exc)), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404 and exc.detail == "Not Found":
            msg = f"no such endpoint: {request.method} {request.url.path}"
        else:
            msg = str(exc.detail)
        if _seed003_path(request):
            return JSONResponse(seed003.error(exc.status_code, msg), status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        if _in_seed004(request):
            return JSONResponse(seed004.error(exc.status_code, msg), status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return JSONResponse(error(HTTP_CODES.get(exc.status_code, "ErrHTTP"), msg), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        if _in_seed003(request):
            return JSONResponse(seed003.error(500, f"internal error: {type(exc).__name__}"), status_code=500)
        if _in_seed004(request):
            return JSONResponse(seed004.error(500, f"internal error: {type(exc).__name__}"), status_code=500)
        return JSONResponse(error("ErrInternal", f"internal error: {type(exc).__name__}"), status_code=500)

    _document_errors_as_400(app)
    app.add_middleware(BodyLimits)  # key and size checked before any body byte is read
    app.include_router(health.router)
    secured = [Depends(require_api_key)]
    app.include_router(connectors.router, dependencies=secured)
    app.include_router(volumes.router, dependencies=secured)
    app.include_router(tasks.router, dependencies=secured)
    # search and document views also take tenant-bound keys (filtered to their tenant)
    app.include_router(search.router, dependencies=[Depends(require_caller)])
    app.include_router(moi_catalog.router, dependencies=secured)
    app.include_router(connector_files.router, dependencies=secured)
    app.include_router(moi_unsupported.router, dependencies=secured)
    app.include_router(datasets.router, dependencies=seed003.FAMILY)
    app.include_router(documents.router, dependencies=seed003.FAMILY)
    app.include_router(upload_files.router, dependencies=seed003.FAMILY)
    app.include_router(upload_files.public, dependencies=seed003.MARK)  # image URLs: the random key is the credential
    app.include_router(vector_db.router, dependencies=seed004.FAMILY)
    app.include_router(chat_uploads.router, dependencies=seed004.FAMILY)
    app.include_router(links.router)  # signed links: the signature is the credential
    return app
