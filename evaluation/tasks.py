"""Celery tasks of the evaluation: the award, contract and complaint deadline sweeps (beat, hourly; idempotent)."""

from __future__ import annotations

from celery import shared_task

from core.db import db


@shared_task(name="evaluation.tasks.sweep_awards")
def sweep_awards() -> dict:
    """Remind purchasers of a confirmation due soon, and both parties of a contract to sign within the
    30 days; warn finance of either overdue (notices after the commit)."""
    from evaluation import contracts, notices, service

    found = service.sweep_award_deadlines()
    signing = contracts.sweep_contract_deadlines()
    db.session.commit()
    for award_id in found["remind"]:
        notices.award_due(award_id, overdue=False)
    for award_id in found["overdue"]:
        notices.award_due(award_id, overdue=True)
    for award_id in found["deemed"]:
        notices.award_deemed(award_id)
    for award_id in signing["remind"]:
        notices.contract_due(award_id, overdue=False)
    for award_id in signing["overdue"]:
        notices.contract_due(award_id, overdue=True)
    return {**found, "contract_remind": signing["remind"], "contract_overdue": signing["overdue"]}


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
