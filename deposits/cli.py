"""`flask deposits reconcile [--day YYYY-MM-DD] [--bank CODE]`: the day's reconciliation as JSON, for the
agency's finance staff and the bank's own matching."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

deposits_cli = AppGroup("deposits", help="Bid deposits and guarantees.")


@deposits_cli.command("reconcile")
@click.option("--day", default=None, help="local date, YYYY-MM-DD (default: today)")
@click.option("--bank", default=None, help="the bank's sender code (default: every bank)")
def reconcile(day: str | None, bank: str | None) -> None:
    """Print the day's reconciliation report."""
    from core import exchange
    from deposits import bank as bank_module
    from deposits.api import parse_day

    sender = exchange.sender_by_code(bank) if bank else None
    if bank and sender is None:
        raise click.ClickException(f"unknown bank {bank}")
    click.echo(json.dumps(bank_module.reconciliation(parse_day(day), sender), ensure_ascii=False, indent=2))
