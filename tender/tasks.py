"""Celery tasks: the chronograph sweep (beat, every ~10 s) and an opening step after a share
arrives. Both are idempotent and take ids; the hall is told only after the commit."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import shared_task
from flask import current_app
from sqlalchemy import text

from core.db import db
from tender import events, opening

SWEEP_LOCK_KEY = 0x7E4D5E  # PostgreSQL advisory lock id of the tender sweep


@contextmanager
def sweep_lock() -> Iterator[bool]:
    """Yield True if this process may sweep now: one sweep at a time (a PostgreSQL advisory lock
    across machines, a file lock on the embedded SQLite install). The sweep is idempotent anyway;
    the lock only keeps two slow runs from doing the same work twice."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SWEEP_LOCK_KEY}).scalar()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SWEEP_LOCK_KEY})
                    conn.commit()
        return
    path = Path(current_app.instance_path) / "tender-sweep.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@shared_task(name="tender.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    """Open bidding, close submission at deadlines, progress openings (each project committed alone)."""
    with sweep_lock() as mine:
        if not mine:
            return {"skipped": True}
        done = opening.sweep()
        from tender.bids import sweep_superseded_files

        cleaned = sweep_superseded_files()  # after the opening: replaced bids' files, where the rules allow
    for key, ids in done.items():
        for project_id in ids:
            events.announce(project_id, key)
    return {**done, "superseded_files_removed": cleaned}


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
