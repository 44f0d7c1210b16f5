"""Celery tasks of the evaluation: the award and complaint deadline sweeps (beat, hourly; idempotent)."""

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


@shared_task(name="evaluation.tasks.sweep_complaints")
def sweep_complaints() -> dict:
    """Remind finance of a complaint to accept or decide soon; warn it once overdue (after the commit)."""
    from evaluation import complaints, notices

    found = complaints.sweep_complaint_deadlines()
    db.session.commit()
    for complaint_id in found["remind"]:
        notices.complaint_due(complaint_id, overdue=False)
    for complaint_id in found["overdue"]:
        notices.complaint_due(complaint_id, overdue=True)
    return found
