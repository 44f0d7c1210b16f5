"""Celery tasks: the tender sweep (one run of the chronograph's `tender-sweep`, tender/timed.py) and an
opening step after a share arrives. Both are idempotent and take ids; the hall is told only after the commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task

from core import chronograph
from core.after_commit import after_commit
from core.db import db
from tender import events, opening
from tender.timed import SWEEP


@contextmanager
def sweep_lock() -> Iterator[bool]:
    """The tender sweep's lock (the chronograph's, by the sweep's name)."""
    with chronograph.sweep_lock(SWEEP.name) as mine:
        yield mine


@shared_task(name="tender.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    """Open bidding, close submission at deadlines, progress openings, remove replaced bids' files."""
    return chronograph.run_sweep(SWEEP.name)


@shared_task(name="tender.tasks.progress", ignore_result=True)
def progress(project_id: int) -> bool:
    """Open whatever bids of one project can be opened now (after a custodian's shares came in)."""
    try:
        changed = opening.progress_opening(project_id, after_each=db.session.commit)
        if changed:
            after_commit(events.announce, project_id, "progressed")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed
