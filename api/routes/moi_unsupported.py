"""MOI SDK calls this server does not implement answer 501 ``ErrNotSupported`` in the envelope, not a bare 404.

Catalogs, databases and tables, users, roles and privileges, NL2SQL and its knowledge, GenAI
pipelines and workflows, data asking, audit logs and the LLM proxy are MOI platform features outside
ingestion and search. Left out of OpenAPI: they are not part of this API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from ingestflow.errors import NotSupported

router = APIRouter(include_in_schema=False)

FAMILIES = {
    "/catalog/database": "databases", "/catalog/table": "tables", "/catalog/nl2sql_knowledge": "NL2SQL knowledge",
    "/catalog/nl2sql": "NL2SQL", "/user": "users", "/role": "roles", "/rbac": "privileges", "/log": "audit logs",
    "/v1/genai": "GenAI pipelines", "/byoa": "workflows and data asking", "/llm-proxy": "the LLM proxy",
}
CATALOG_OPS = ("create", "delete", "update", "info", "list", "tree", "ref_list")
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _refuse(request: Request, family: str) -> None:
    raise NotSupported(f"MOI's {family} API ({request.method} {request.url.path}) is not supported by this server: "
                       f"it serves volumes, files, folders, uploads, load tasks and search (README: 'MOI SDK')")


def _family_route(prefix: str, family: str) -> None:
    async def refuse(request: Request, rest: str = "") -> None:
        _refuse(request, family)

    router.add_api_route(prefix + "/{rest:path}", refuse, methods=METHODS)


for _prefix, _family in FAMILIES.items():
    _family_route(_prefix, _family)


def _catalog_route(op: str) -> None:
    async def refuse(request: Request) -> None:
        _refuse(request, "catalogs")

    router.add_api_route(f"/catalog/{op}", refuse, methods=METHODS)


for _op in CATALOG_OPS:
    _catalog_route(_op)
