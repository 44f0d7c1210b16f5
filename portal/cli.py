"""`flask portal remind`: the reminder sweep once now (what Celery beat runs every few minutes)."""

from __future__ import annotations

import click
from flask import g
from flask.cli import AppGroup

from core.db import db

portal_cli = AppGroup("portal", help="Dashboard and reminders.")


@portal_cli.command("remind")
def remind_command() -> None:
    """Send the reminders due now (in-browser message through the message queue, SMS, e-mail)."""
    from portal import reminders

    g.audit_actor = "system:portal.remind"
    due = reminders.send_due_reminders()
    db.session.commit()
    reminders.deliver(due, external=True)
    click.echo(f"reminders sent: {len(due)}")
