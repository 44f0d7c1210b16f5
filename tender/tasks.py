"""Celery tasks: the chronograph sweep (beat, every ~10 s) and an opening step after a share
arrives. Both are idempotent and take ids; the hall is told only after the commit."""

from __future__ import annotations

from celery import shared_task

from core.db import db
from tender import events, opening


@shared_task(name="tender.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    """Open bidding, close submission at deadlines, progress openings (each project committed alone)."""
    done = opening.sweep()
    for key, ids in done.items():
        for project_id in ids:
            events.announce(project_id, key)
    return done


@shared_task(name="tender.tasks.progress", ignore_result=True)
def progress(project_id: int) -> bool:
    """Open whatever bids of one project can be opened now (after a custodian's shares came in)."""
    try:
        changed = opening.progress_opening(project_id, after_each=db.session.commit)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if changed:
        events.announce(project_id, "progressed")
    return changed
