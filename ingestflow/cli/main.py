"""The ``ingestflow`` command line.

    ingestflow load | search | status            the local data dir (cli/local.py)
    ingestflow up | api                          run the stack or only the API
    ingestflow connectors | tasks | volumes | documents | query    a running API (cli/remote.py)
    ingestflow secrets new-key | rotate          the key of connector secrets at rest (cli/secrets.py)
"""

from __future__ import annotations

import typer
from rich.console import Console

from ingestflow.settings import prepare_environment

app = typer.Typer(help="ingestflow: load documents into Milvus through Prefect flows, and search them.",
                  no_args_is_help=True, add_completion=False)
console = Console()


@app.command()
def up(
    port: int = typer.Option(8000, "--port", help="API port."),
    prefect_port: int = typer.Option(4200, "--prefect-port", help="Prefect server port."),
    milvus_port: int = typer.Option(19530, "--milvus-port", help="Milvus Lite server port (unused with INGESTFLOW_MILVUS_URI)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Prefect workers to start."),
) -> None:
    """Start Prefect server, Milvus Lite, Prefect worker(s) and the API on 127.0.0.1 (Ctrl-C stops all)."""
    from ingestflow.orchestration.stack import up as run_stack

    raise typer.Exit(code=run_stack(port, prefect_port, milvus_port, workers=workers, echo=console.print))


@app.command()
def api(
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address."),
    port: int = typer.Option(8000, "--port", help="API port."),
) -> None:
    """Serve only the HTTP API (Prefect server/worker and Milvus must be reachable)."""
    import uvicorn

    prepare_environment()
    uvicorn.run("ingestflow.api.main:create_app", factory=True, host=host, port=port)


def _add_commands() -> None:
    """The local commands, and the groups that drive a running API through the client."""
    from ingestflow.cli import local, remote, secrets

    local.register(app)
    remote.register(app)
    secrets.register(app)


_add_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
