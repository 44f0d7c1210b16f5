"""Celery tasks of the evaluation: the award, contract and complaint deadline sweeps, each one run of a
chronograph sweep declared in evaluation/timed.py (beat, hourly; idempotent, messages after each commit)."""

from __future__ import annotations

from celery import shared_task

from core import chronograph


@shared_task(name="evaluation.tasks.sweep_awards")
def sweep_awards() -> dict:
    """Remind purchasers of a confirmation due soon, and both parties of a contract to sign within the
    30 days; warn finance of either overdue; deem confirmed what is past its period."""
    from evaluation.timed import AWARD_SWEEP

    return chronograph.run_sweep(AWARD_SWEEP.name)


@shared_task(name="evaluation.tasks.sweep_complaints")
def sweep_complaints() -> dict:
    """Remind finance of a complaint to accept or decide soon; warn it once overdue."""
    from evaluation.timed import COMPLAINT_SWEEP

    return chronograph.run_sweep(COMPLAINT_SWEEP.name)
