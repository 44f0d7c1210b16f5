"""`flask demo seed`: each feature adds its own demo data through `seeder`.

Seeders run in registration order (features are registered in dependency order), inside
one transaction, so a failed seed leaves an empty database rather than half a demo.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

SEEDERS: list[tuple[str, Callable[[dict], None]]] = []
AFTER: dict[str, str] = {}  # seeder name -> the seeder it must run after (a later feature's data it uses)
demo_cli = AppGroup("demo", help="Demonstration data.")


def seeder(name: str, after: str | None = None) -> Callable[[Callable[[dict], None]], Callable[[dict], None]]:
    """Register `fn(context)`; the context dict carries what earlier seeders made. `after` names a seeder
    of a feature registered later whose data this one uses (credit bars a supplier of the evaluation demo)."""

    def decorator(fn: Callable[[dict], None]) -> Callable[[dict], None]:
        if all(n != name for n, _ in SEEDERS):
            SEEDERS.append((name, fn))
            if after:
                AFTER[name] = after
        return fn

    return decorator


def seed_order() -> list[tuple[str, Callable[[dict], None]]]:
    """The seeders in registration order, each one declared `after` another moved just behind it."""
    order = [entry for entry in SEEDERS if entry[0] not in AFTER]
    for name, fn in SEEDERS:
        if name in AFTER:
            names = [n for n, _ in order]
            at = names.index(AFTER[name]) + 1 if AFTER[name] in names else len(order)
            order.insert(at, (name, fn))
    return order


def is_seeded() -> bool:
    from sqlalchemy import func, select

    from accounts.models import User
    from core.db import db

    return (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0


def run_seed() -> dict:
    from core.db import db

    context: dict = {"logins": []}
    try:
        for _name, fn in seed_order():
            fn(context)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return context


def print_logins(context: dict) -> None:
    click.echo("\n演示账号 Demo logins (password / TOTP secret):")
    for row in context["logins"]:
        totp = row.get("totp") or "-"
        click.echo(f"  {row['role']:<18} {row['username']:<16} {row['password']:<16} TOTP {totp}  {row['name']}")
    click.echo("  (TOTP: add the secret to any authenticator app, or run `flask demo totp USERNAME`.)")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
def seed_command(if_empty: bool) -> None:
    """Load the demo region, organisations, users and one tender in each stage."""
    if is_seeded():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。Database not empty: demo data not loaded.")
            return
        raise click.ClickException("Database is not empty; demo data is only loaded into an empty database.")
    context = run_seed()
    if if_empty:  # `make run` prints the logins on every start anyway
        click.echo("演示数据已载入。Demo data loaded.")
    else:
        print_logins(context)


@demo_cli.command("totp")
@click.argument("username")
def totp_command(username: str) -> None:
    """Print the current TOTP code of a demo user (demo installs only)."""
    import pyotp
    from sqlalchemy import select

    from accounts.models import User
    from accounts.service import TOTP_PURPOSE
    from core import clock, secretbox
    from core.db import db

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or user.totp_secret is None:
        raise click.ClickException(f"{username}: no such user with TOTP")
    secret = secretbox.unseal(user.totp_secret, TOTP_PURPOSE).decode()
    click.echo(pyotp.TOTP(secret).at(clock.now()))


LOGIN_PROVIDERS: list[Callable[[], list[dict]]] = []


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo accounts (they are fixed, so this works on every start)."""
    rows: list[dict] = []
    for provider in LOGIN_PROVIDERS:
        rows.extend(provider())
    print_logins({"logins": rows})
