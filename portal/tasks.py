"""Celery beat: the reminder sweep (`portal.reminders`), every REMINDER_SWEEP_SECONDS (default 300)."""

from __future__ import annotations

from celery import shared_task
from flask import g

from core.db import db


@shared_task(name="portal.tasks.remind", ignore_result=True)
def remind() -> int:
    """Record the reminders due now in one commit, then send them (message, SMS, e-mail)."""
    from portal import reminders

    g.audit_actor = "system:portal.remind"
    due = reminders.send_due_reminders()
    db.session.commit()
    reminders.deliver(due)
    return len(due)
