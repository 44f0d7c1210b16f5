"""`flask tender sweep`: run the chronograph once now (what Celery beat does every 10 s)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

tender_cli = AppGroup("tender", help="Tenders: timed steps.")


@tender_cli.command("sweep")
def sweep_command() -> None:
    """Open bidding, close submission at deadlines and progress openings, once."""
    from tender import opening

    click.echo(json.dumps(opening.sweep()))  # the hall is told after each project's commit


@tender_cli.command("encrypt-vault-key")
def encrypt_vault_key_command() -> None:
    """Encrypt a plaintext time vault key under the configured passphrase (TIME_VAULT_PASSPHRASE[_FILE])."""
    from tender import vault

    try:
        changed = vault.encrypt_existing()
    except (vault.VaultConfigError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{vault.key_path()}: " + ("encrypted" if changed else "already encrypted"))
