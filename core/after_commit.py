"""After-commit actions: a service declares its follow-ups, the commit point runs them.

A write (a service function) never commits; it changes rows, writes its audit event and declares
what must happen once the change is durable — a Socket.IO emit, a real-time message, an e-mail
or SMS, a `task.delay()` — with `after_commit(fn, *args)`, and what must be undone if it is not —
a file written outside the database — with `on_rollback(fn, *args)`. The request (or the task, or
one step of the chronograph) is the one commit point: once its transaction commits the follow-ups
run, in the order declared; on a rollback they are dropped and the clean-ups run instead. So a
page and the API calling the same service can never drift apart in what they send.

The queue lives on the SQLAlchemy session (`session.info`): SQLAlchemy's own `after_commit` event
moves what was declared to "ready" (it cannot run them: no SQL may be emitted inside that event),
and `run_followups()` — called after each request, at the end of each Celery task and by
`commit()` — runs what is ready. A follow-up that fails is logged and never stops the others: the
change it follows is already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event

from core.db import db

log = logging.getLogger(__name__)

PENDING = "after_commit.pending"
READY = "after_commit.ready"
CLEANUPS = "after_commit.on_rollback"

Action = tuple[Callable[..., Any], tuple, dict]


def after_commit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `fn(*args, **kwargs)` once the current transaction has committed; never if it rolls back."""
    db.session.info.setdefault(PENDING, []).append((fn, args, kwargs))


def on_rollback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `fn(*args, **kwargs)` if the current transaction rolls back (e.g. remove a file just written)."""
    db.session.info.setdefault(CLEANUPS, []).append((fn, args, kwargs))


def commit() -> None:
    """The commit point of code that is neither a request nor a task: commit, then run the follow-ups."""
    db.session.commit()
    run_followups()


def run_followups() -> int:
    """Run every follow-up of the transactions committed so far (each once); returns how many ran."""
    session = db.session()
    ran = 0
    while session.info.get(READY):
        fn, args, kwargs = session.info[READY].pop(0)
        _run(fn, args, kwargs, "follow-up")
        ran += 1
    return ran


def pending() -> list[Action]:
    """What the current transaction has declared so far (for tests and the chronograph's report)."""
    return list(db.session.info.get(PENDING, ()))


def _run(fn: Callable[..., Any], args: tuple, kwargs: dict, what: str) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # the change is committed (or gone): one failing action must not stop the rest
        log.exception("%s %s failed", what, getattr(fn, "__qualname__", fn))


def _committed(session) -> None:
    session.info.setdefault(READY, []).extend(session.info.pop(PENDING, ()))
    session.info.pop(CLEANUPS, None)


def _rolled_back(session, previous_transaction) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit what was declared before it
    session.info.pop(PENDING, None)
    for fn, args, kwargs in session.info.pop(CLEANUPS, ()):
        _run(fn, args, kwargs, "clean-up")


def _listen() -> None:
    if not event.contains(db.session, "after_commit", _committed):
        event.listen(db.session, "after_commit", _committed)
        event.listen(db.session, "after_soft_rollback", _rolled_back)


def register(app: Flask) -> None:
    """Run the follow-ups of a request's commits after it (also when a view committed by hand)."""
    _listen()

    @app.after_request
    def _after_request(response):
        run_followups()
        return response

    @app.teardown_request
    def _uncommitted(_exc=None):
        if db.session.info.get(CLEANUPS):  # the request ended without committing what it wrote to disk
            db.session.rollback()
