"""The ingestflow command line (``ingestflow …``): ``app`` is the Typer app, ``main`` the console script."""

from ingestflow.cli.main import app, main

__all__ = ["app", "main"]
