"""CLI groups that drive a running API through the Python client.

    ingestflow connectors list|create|validate|delete|files|upload
    ingestflow tasks      list|create|get|pause|resume|retry|delete|files|runs|run
    ingestflow volumes    list|create|get|delete
    ingestflow documents  list|get|enable|disable|delete
    ingestflow query      QUERY --volume …          (search through the API)

Every command takes ``--api-url`` ($INGESTFLOW_API_URL, default http://127.0.0.1:8000),
``--api-key`` ($INGESTFLOW_API_KEY, default the dev key) and ``--json``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from ingestflow.client import IngestflowClient, IngestflowError
from ingestflow.client._core import DEFAULT_API_KEY, DEFAULT_API_URL
from ingestflow.client.errors import IngestflowAPIError, NotFoundError
from ingestflow.connectors.registry import CONNECTOR_REGISTRY

console = Console()
TASK_STATUS = {0: "unknown", 1: "running", 2: "pausing", 3: "paused", 4: "completed"}
FILE_STATUS = {0: "unknown", 1: "waiting", 2: "processing", 3: "paused", 4: "failed", 5: "success", 6: "retrying"}

ApiUrl = Annotated[str, typer.Option("--api-url", envvar="INGESTFLOW_API_URL", help="API base URL.")]
ApiKey = Annotated[str, typer.Option("--api-key", envvar="INGESTFLOW_API_KEY", help="moi-key.", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

CONNECTOR_KINDS = [kind for kind, entry in CONNECTOR_REGISTRY.items() if entry.creatable]
"""Kinds ``connectors create/validate --kind`` accept (from the registry; upload is the server's own)."""
LISTED_KINDS = list(CONNECTOR_REGISTRY)
"""Kinds ``connectors list --kind`` filters by."""


def _kind_check(kinds: list[str]) -> Callable[[str | None], str | None]:
    """A --kind callback: one of ``kinds`` or a source_type number, refused before any request."""
    numbers = {str(int(CONNECTOR_REGISTRY[k].source_type)) for k in kinds}

    def check(value: str | None) -> str | None:
        if value is None or value.lower() in kinds or value in numbers:
            return value
        raise typer.BadParameter(f"use one of {', '.join(kinds)} (or its source_type number)")

    return check


def _kind_option(kinds: list[str], default: Any = None) -> Any:
    return typer.Option(default, help=f"{', '.join(kinds)} or a source_type.", callback=_kind_check(kinds))


connectors_app = typer.Typer(help="Connectors of a running API.", no_args_is_help=True)
volumes_app = typer.Typer(help="Volumes of a running API.", no_args_is_help=True)
documents_app = typer.Typer(help="Documents of a volume (seed 003) on a running API.", no_args_is_help=True)


@contextlib.contextmanager
def _api(api_url: str, api_key: str) -> Iterator[IngestflowClient]:
    """A client; any client error becomes 'error (code): message' and exit code 2."""
    try:
        with IngestflowClient(api_url, api_key=api_key) as client:
            yield client
    except IngestflowAPIError as exc:
        console.print(f"[red]error[/red] ({exc.status_code} {exc.code}): {exc.msg}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    except IngestflowError as exc:
        console.print(f"[red]error[/red]: {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None


def _plain(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, (list, tuple)):
        return [_plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _emit(obj: Any, as_json: bool, title: str = "", columns: Sequence[str] = (),
          rows: Callable[[], list[Sequence[Any]]] | None = None) -> None:
    """JSON with --json; else a rich table (``rows``) or the object's fields."""
    if as_json:
        print(json.dumps(_plain(obj), ensure_ascii=False))
        return
    table = Table(title=title)
    if rows is None:
        table.add_column("field")
        table.add_column("value")
        for key, value in _plain(obj).items():
            table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value))
    else:
        for col in columns:
            table.add_column(col)
        for row in rows():
            table.add_row(*(str(c) for c in row))
    console.print(table)


def _done(as_json: bool, **data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False)) if as_json else console.print(
        " ".join(f"{k}={v}" for k, v in data.items()))


def _volume_id(api: IngestflowClient, ref: str) -> str:
    """A volume id, or the id of the volume with that exact name."""
    if ref.isdigit():
        return ref
    match = [v for v in api.list_volumes(keyword=ref, page_size=1000).items if v.name == ref]
    if not match:
        raise NotFoundError(404, "ErrNotFound", f"volume {ref!r} does not exist")
    return match[0].id


# --- connectors ------------------------------------------------------------------------------

@connectors_app.command("list")
def connectors_list(keyword: str = typer.Option("", help="Name contains."),
                    kind: str = _kind_option(LISTED_KINDS),
                    page: int = 1, page_size: int = 50,
                    api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """List connectors (secrets are masked by the server)."""
    with _api(api_url, api_key) as api:
        page_ = api.list_connectors(keyword=keyword, kind=kind, page=page, page_size=page_size)
    _emit(page_, as_json, f"connectors ({page_.total})", ("id", "name", "type", "status", "tasks"),
          lambda: [(c.id, c.name, c.source_type, c.status, ",".join(c.related_task_ids)) for c in page_.items])


@connectors_app.command("create")
def connectors_create(name: str, kind: str = _kind_option(CONNECTOR_KINDS, ...),
                      config: str = typer.Option("{}", help="The kind's config as JSON."),
                      root: str = typer.Option(None, help="Shortcut for a local connector's root directory."),
                      api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Create a connector; prints its id."""
    cfg = _json_option(config, "--config")
    if root:
        cfg["root"] = root
    with _api(api_url, api_key) as api:
        cid = api.create_connector(name, kind, cfg)
    _done(as_json, id=cid)


def _json_option(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        console.print(f"[red]error[/red]: {name} is not valid JSON: {exc}")
        raise typer.Exit(code=2) from None
    if not isinstance(value, dict):
        console.print(f"[red]error[/red]: {name} must be a JSON object")
        raise typer.Exit(code=2)
    return value


@connectors_app.command("validate")
def connectors_validate(connector_id: int = typer.Argument(None, help="A stored connector; or --kind/--config."),
                        kind: str = _kind_option(CONNECTOR_KINDS), config: str = typer.Option("{}"),
                        api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                        as_json: AsJson = False) -> None:
    """Really connect: valid, or why not (exit code 1 when not valid)."""
    with _api(api_url, api_key) as api:
        result = api.validate_connector(connector_id=connector_id, kind=kind, config=_json_option(config, "--config"))
    _emit(result, as_json, "validation")
    if not result.valid:
        raise typer.Exit(code=1)


@connectors_app.command("delete")
def connectors_delete(connector_id: int, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                      as_json: AsJson = False) -> None:
    """Delete a connector (refused while a task uses it)."""
    with _api(api_url, api_key) as api:
        api.delete_connector(connector_id)
    _done(as_json, deleted=connector_id)


@connectors_app.command("files")
def connectors_files(connector_id: int, file_type: list[int] = typer.Option(None, "--type", help="Seed file type."),
                     api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """List the files of a connector's source."""
    with _api(api_url, api_key) as api:
        files = api.list_source_files(connector_id, file_types=file_type or None)
    _emit(files, as_json, f"files of connector {connector_id} ({len(files)})", ("uri", "size", "type"),
          lambda: [(f.uri, f.size, f.type) for f in files])


@connectors_app.command("upload")
def connectors_upload(files: list[str], volume: str = typer.Option(None, help="Load into this volume (id or name)."),
                      api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Upload files; with --volume they are loaded into it (prints the task id)."""
    with _api(api_url, api_key) as api:
        result = api.upload(files, volume_id=_volume_id(api, volume) if volume else None)
    _emit(result, as_json, "upload")


# --- volumes ---------------------------------------------------------------------------------

@volumes_app.command("list")
def volumes_list(keyword: str = "", page: int = 1, page_size: int = 50, api_url: ApiUrl = DEFAULT_API_URL,
                 api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """List volumes."""
    with _api(api_url, api_key) as api:
        page_ = api.list_volumes(keyword=keyword, page=page, page_size=page_size)
    _emit(page_, as_json, f"volumes ({page_.total})", ("id", "name", "model", "dim", "collection"),
          lambda: [(v.id, v.name, v.embedding_model, v.embedding_dim, v.collection) for v in page_.items])


@volumes_app.command("create")
def volumes_create(name: str, description: str = "", model: str = typer.Option(None, help="Embedding model."),
                   api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Create a volume (the server's default embedding model unless --model)."""
    with _api(api_url, api_key) as api:
        volume = api.create_volume(name, description=description, embedding_model=model)
    _emit(volume, as_json, f"volume {volume.name}")


@volumes_app.command("get")
def volumes_get(volume: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                as_json: AsJson = False) -> None:
    """One volume."""
    with _api(api_url, api_key) as api:
        found = api.get_volume(_volume_id(api, volume))
    _emit(found, as_json, f"volume {found.name}")


@volumes_app.command("delete")
def volumes_delete(volume: str, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                   as_json: AsJson = False) -> None:
    """Delete a volume and its Milvus collection."""
    with _api(api_url, api_key) as api:
        vid = _volume_id(api, volume)
        api.delete_volume(vid)
    _done(as_json, deleted=vid)


# --- documents and search --------------------------------------------------------------------

@documents_app.command("list")
def documents_list(volume: str, search: str = typer.Option("", help="Name contains."), page: int = 1,
                   page_size: int = 20, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY,
                   as_json: AsJson = False) -> None:
    """List a volume's documents."""
    with _api(api_url, api_key) as api:
        docs = api.list_documents(_volume_id(api, volume), search_word=search, current_page=page, page_size=page_size)
    _emit(docs, as_json, f"documents ({docs.paginator.total_record})", ("id", "name", "status", "enabled", "hits"),
          lambda: [(d.id, d.name, d.status, d.enabled, d.hit_count) for d in docs.items])


@documents_app.command("get")
def documents_get(volume: str, document_id: str, api_url: ApiUrl = DEFAULT_API_URL,
                  api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """One document with its status and counts."""
    with _api(api_url, api_key) as api:
        doc = api.get_document(_volume_id(api, volume), document_id)
    _emit(doc, as_json, f"document {doc.name}")


def _set_enabled(volume: str, document_id: str, enabled: bool, api_url: str, api_key: str, as_json: bool) -> None:
    with _api(api_url, api_key) as api:
        api.set_document_enabled(_volume_id(api, volume), document_id, enabled)
    _done(as_json, document_id=document_id, enabled=enabled)


@documents_app.command("enable")
def documents_enable(volume: str, document_id: str, api_url: ApiUrl = DEFAULT_API_URL,
                     api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Enable a document."""
    _set_enabled(volume, document_id, True, api_url, api_key, as_json)


@documents_app.command("disable")
def documents_disable(volume: str, document_id: str, api_url: ApiUrl = DEFAULT_API_URL,
                      api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Disable a document: it no longer appears in search results."""
    _set_enabled(volume, document_id, False, api_url, api_key, as_json)


@documents_app.command("delete")
def documents_delete(volume: str, document_id: str, api_url: ApiUrl = DEFAULT_API_URL,
                     api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Delete a document and its chunks."""
    with _api(api_url, api_key) as api:
        api.delete_document(_volume_id(api, volume), document_id)
    _done(as_json, deleted=document_id)


def query(text: str = typer.Argument(..., help="What to look for."),
          volume: list[str] = typer.Option(..., "--volume", "-v", help="Volume id or name (repeatable)."),
          mode: str = typer.Option("hybrid", "--mode", "-m", help="semantic | full_text | hybrid"),
          k: int = typer.Option(10, "--k", "-k"), score: float = typer.Option(None, help="Minimum score."),
          api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = DEFAULT_API_KEY, as_json: AsJson = False) -> None:
    """Search volumes through the API (``ingestflow search`` searches the local data dir)."""
    with _api(api_url, api_key) as api:
        ids = [_volume_id(api, v) for v in volume]
        result = api.search(text, volume_ids=ids, retrieval_strategy=mode, k=k, score=score)
    _emit(result, as_json, f"{result.retrieval_strategy or mode} search: {text}",
          ("#", "score", "document", "page", "content"),
          lambda: [(i, f"{h.score:.4f}", h.document.uri or h.document.name if h.document else "", h.page or "",
                    h.content[:160].replace("\n", " ")) for i, h in enumerate(result.results, 1)])


def register(app: typer.Typer) -> None:
    """Add the remote groups and ``query`` to the main app."""
    from ingestflow.cli.tasks import tasks_app as tasks

    app.add_typer(connectors_app, name="connectors")
    app.add_typer(tasks, name="tasks")
    app.add_typer(volumes_app, name="volumes")
    app.add_typer(documents_app, name="documents")
    app.command("query")(query)
