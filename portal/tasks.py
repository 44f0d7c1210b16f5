"""Celery: the reminder sweep (`portal.reminders`) under its old task name, one run of the chronograph's
`portal-remind` (portal/timed.py), which the beat schedules every REMINDER_SWEEP_SECONDS (default 300)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="portal.tasks.remind", ignore_result=True)
def remind() -> int:
    """Record and send the reminders due now, one user per transaction; returns how many were sent."""
    from core import chronograph

    return chronograph.run_sweep("portal-remind").get("reminded", 0)  # 0 too while another run holds the lock
