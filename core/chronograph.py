"""The chronograph: every timed step of every package, run by one locked periodic task.

Deadlines, openings and reminders move without anyone clicking (Prozorro's chronograph). Each
package declares its timed transitions as data — a `TimedStep`: the model, the status it leaves
(`from_state`) and the one it reaches (`to_state`), the due column (due once `due <= now`) or a
`where` condition given the time, and the handler that makes the move — grouped in a `Sweep`
(its name, its cadence, its report). `declare(app, sweep)` adds it to the beat schedule as
`core.chronograph(<sweep name>)`: one task for every sweep, each sweep under its own lock.

Running a step: the ids of the due objects are read, then each object is re-read under a row lock
with the same conditions (so a step is idempotent: an object already moved is skipped) and handed
to the handler in its own transaction. The handler changes the state, writes its audit event and
returns an outcome (None or False: nothing was due after all); the step's `then(id, outcome)` and
whatever the handler declared with `core.after_commit` run only after that object's commit. An
object whose handler fails is rolled back, logged and audited (`chronograph.step_failed`) and the
sweep carries on with the next one.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import select, text

from core import clock
from core.after_commit import after_commit, commit
from core.db import db

log = logging.getLogger(__name__)

TASK = "core.chronograph"
Outcomes = dict[int, Any]  # object id -> what its handler returned, for the objects it moved


@dataclass(frozen=True)
class TimedStep:
    """One timed transition of one model: which objects are due, and the handler that moves each."""

    name: str  # "tender.close_submission": logs and the failure's audit event name it
    model: type
    handler: Callable[[Any], Any]  # given the object (locked unless lock=False); None/False: nothing done
    from_state: enum.Enum | tuple[enum.Enum, ...] | None = None
    to_state: enum.Enum | None = None  # None: a reminder or a clean-up that leaves the status alone
    due: Any = None  # a column: the object is due once its value <= now
    where: Callable[[datetime], Any] | None = None  # any further condition, given now
    then: Callable[[int, Any], None] | None = None  # after the object's commit: (id, outcome)
    key: str = ""  # its entry in the sweep's report
    lock: bool = True  # False: the handler takes its own locks (a long opening must not hold the row)

    def conditions(self, now: datetime) -> list[Any]:
        """The SQL conditions that make an object due now."""
        out = []
        if self.from_state is not None:
            states = self.from_state if isinstance(self.from_state, tuple) else (self.from_state,)
            out.append(self.model.status.in_(states))
        if self.due is not None:
            out.append(self.due <= now)
        if self.where is not None:
            out.append(self.where(now))
        return out


def default_report(steps: tuple[TimedStep, ...], outcomes: dict[str, Outcomes]) -> dict:
    """Each step's key and the ids of the objects it moved, in id order."""
    return {step.key or step.name: sorted(outcomes[step.name]) for step in steps}


@dataclass(frozen=True)
class Sweep:
    """A package's timed steps, run in order every `every` seconds under one lock."""

    name: str  # the beat schedule's entry, the lock's name and the report's name
    every: float
    steps: tuple[TimedStep, ...]
    actor: str | None = None  # the audit actor of what the handlers record without naming one
    report: Callable[[dict[str, Outcomes]], dict] | None = None

    def summarise(self, outcomes: dict[str, Outcomes]) -> dict:
        return self.report(outcomes) if self.report else default_report(self.steps, outcomes)


def declare(app: Flask, sweep: Sweep) -> None:
    """Register a package's sweep and put it on the beat schedule (the one chronograph task)."""
    app.extensions.setdefault("chronograph", {})[sweep.name] = sweep
    schedule = app.config.setdefault("CELERY_BEAT_SCHEDULE", {})
    schedule.setdefault(sweep.name, {"task": TASK, "schedule": float(sweep.every), "args": (sweep.name,)})


def sweeps() -> dict[str, Sweep]:
    return current_app.extensions.get("chronograph", {})


def step(name: str) -> TimedStep:
    """A declared step by its name. A stage module that also runs its own step in the caller's transaction
    looks it up here, so it never imports the module declaring it (which imports the stage's handlers)."""
    for sweep in sweeps().values():
        for found in sweep.steps:
            if found.name == name:
                return found
    raise KeyError(f"no timed step {name} is declared")


def due_ids(step: TimedStep, now: datetime | None = None) -> list[int]:
    """The ids of the objects due for this step now, in id order."""
    model = step.model
    return list(db.session.scalars(select(model.id).where(*step.conditions(now or clock.now())).order_by(model.id)))


def due_objects(step: TimedStep, now: datetime | None = None) -> list[Any]:
    """The objects due for this step now, locked (for code that moves them all in one transaction)."""
    stmt = select(step.model).where(*step.conditions(now or clock.now())).order_by(step.model.id)
    return list(db.session.scalars(stmt.with_for_update() if step.lock else stmt))


def run_step(step: TimedStep) -> Outcomes:
    """Run one step over every due object, each in its own transaction; returns what each moved."""
    done: Outcomes = {}
    for object_id in due_ids(step):
        try:
            outcome = _run_one(step, object_id)
        except Exception as exc:
            db.session.rollback()
            _record_failure(step, object_id, exc)
            continue
        if outcome is not None and outcome is not False:
            done[object_id] = outcome
    return done


def _run_one(step: TimedStep, object_id: int) -> Any:
    model = step.model
    stmt = select(model).where(model.id == object_id, *step.conditions(clock.now()))
    obj = db.session.scalar(stmt.with_for_update() if step.lock else stmt)
    if obj is None:  # moved meanwhile (another request, an earlier step): nothing to do
        db.session.rollback()
        return None
    outcome = step.handler(obj)
    if step.then is not None and outcome is not None and outcome is not False:
        after_commit(step.then, object_id, outcome)
    commit()
    return outcome


def _record_failure(step: TimedStep, object_id: int, exc: Exception) -> None:
    log.exception("timed step %s failed for %s %s", step.name, step.model.__name__, object_id)
    from audit.service import record

    try:
        record("chronograph.step_failed", None, {"step": step.name, "error": type(exc).__name__},
               actor="system:chronograph", object_type=getattr(step.model, "__tablename__", step.model.__name__),
               object_id=object_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not audit the failure of %s for %s", step.name, object_id)


def run_steps(sweep: Sweep) -> dict:
    """Run a sweep's steps in order, without the lock (the sweep's report)."""
    previous = g.get("audit_actor")
    if sweep.actor:
        g.audit_actor = sweep.actor
    try:
        return sweep.summarise({step.name: run_step(step) for step in sweep.steps})
    finally:
        if sweep.actor:
            g.audit_actor = previous


def run_sweep(name: str) -> dict:
    """One run of a declared sweep under its lock; {"skipped": True} while another run holds it."""
    sweep = sweeps()[name]
    with sweep_lock(name) as mine:
        if not mine:
            return {"skipped": True}
        return run_steps(sweep)


def run_all() -> dict[str, dict]:
    """Every declared sweep once (`flask chronograph`, tests): {sweep name: its report}."""
    return {name: run_sweep(name) for name in sweeps()}


def lock_key(name: str) -> int:
    """A stable PostgreSQL advisory lock id for a sweep (63 bits of the SHA-256 of its name)."""
    return int.from_bytes(hashlib.sha256(f"chronograph:{name}".encode()).digest()[:8], "big") >> 1


@contextmanager
def sweep_lock(name: str) -> Iterator[bool]:
    """Yield True if this process may run the sweep now: one run at a time (a PostgreSQL advisory
    lock across machines, a file lock on the embedded SQLite install). Sweeps are idempotent
    anyway; the lock only keeps two slow runs from doing the same work twice."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)}).scalar()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                    conn.commit()
        return
    path = Path(current_app.instance_path) / f"chronograph-{name}.lock"
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
