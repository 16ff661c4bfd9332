"""``ingestflow secrets``: the key that encrypts connector secrets in the catalog (``ingestflow/crypto.py``).

    ingestflow secrets new-key     print a fresh Fernet key (for INGESTFLOW_SECRET_KEY)
    ingestflow secrets rotate      re-encrypt every connector with the newest key (the first one)
"""

from __future__ import annotations

import typer

secrets_app = typer.Typer(help="The key that encrypts connector secrets at rest.", no_args_is_help=True)


@secrets_app.command("new-key")
def new_key() -> None:
    """Print a fresh key; put it first in INGESTFLOW_SECRET_KEY (comma-separated, old keys after it)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode("ascii"))


@secrets_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored connector config with the first key of INGESTFLOW_SECRET_KEY."""
    from ingestflow.catalog import catalog
    from ingestflow.settings import prepare_environment

    prepare_environment()
    with catalog() as c:
        n = c.connectors.rotate_secrets()
    typer.echo(f"{n} connector(s) re-encrypted with the newest key; older keys may now be removed")


def register(app: typer.Typer) -> None:
    """Add the ``secrets`` group to the CLI."""
    app.add_typer(secrets_app, name="secrets")
