"""`flask audit verify | prove N | checkpoint | export`."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from audit import service
from core.db import db

audit_cli = AppGroup("audit", help="Check and prove the tamper-evident audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute the whole log; print size and root, or the first event that does not match."""
    result = service.verify_log()
    if result.ok:
        click.echo(f"OK size={result.size} root={result.root.hex()}")
        return
    click.echo(f"MISMATCH {result.problem}", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the current tree head now and print the note."""
    checkpoint = service.create_checkpoint()
    db.session.commit()
    click.echo(checkpoint.note, nl=False)


@audit_cli.command("prove")
@click.argument("seq", type=int)
def prove_command(seq: int) -> None:
    """Print an inclusion proof of event SEQ; check it with `python -m audit.verifier proof`."""
    try:
        proof = service.prove(seq)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()  # keep a checkpoint signed for the proof
    click.echo(json.dumps(proof, ensure_ascii=False, indent=2))


@audit_cli.command("export")
@click.option("--checkpoint", "checkpoint_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write the newest signed checkpoint to this file.")
def export_command(checkpoint_path: str | None) -> None:
    """Print every event as JSON, for the standalone verifier."""
    if checkpoint_path:
        checkpoint = service.create_checkpoint()
        db.session.commit()
        with open(checkpoint_path, "w", encoding="utf-8") as fh:
            fh.write(checkpoint.note)
        click.echo(service.verifier_key(), err=True)
    click.echo(json.dumps(service.export_events(), ensure_ascii=False))
