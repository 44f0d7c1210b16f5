"""Celery tasks of the evaluation: the award deadline sweep (beat, hourly; idempotent)."""

from __future__ import annotations

from celery import shared_task

from core.db import db


@shared_task(name="evaluation.tasks.sweep_awards")
def sweep_awards() -> dict:
    """Remind purchasers of a confirmation due soon; warn finance of one overdue (after the commit)."""
    from evaluation import notices, service

    found = service.sweep_award_deadlines()
    db.session.commit()
    for award_id in found["remind"]:
        notices.award_due(award_id, overdue=False)
    for award_id in found["overdue"]:
        notices.award_due(award_id, overdue=True)
    return found
