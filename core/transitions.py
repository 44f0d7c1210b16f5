"""The one way to change a status: each lifecycle's table, and `move()`, which checks and audits.

Each aggregate with a lifecycle (project, lot, bid, committee, award, draw, invitation, expert…)
declares its table once, with `lifecycle(StatusEnum, pairs, code=..., event=...)`: the allowed
(from, to) pairs, the stable error code of a refused move and the audit action every move writes.
`move(obj, to)` looks the table up by the status's type, refuses any other pair with that code,
sets the status and declares the audit event ({"from", "to"} and the caller's payload), which is
appended to the log as the caller's transaction commits (a plain object that is no mapped row is
only checked and moved). Kept free
of Flask at import time so pure modules can declare and test their tables.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

Pair = tuple[enum.Enum, enum.Enum]


@dataclass(frozen=True)
class Lifecycle:
    """One status enum's transition table."""

    status: type[enum.Enum]
    pairs: frozenset[Pair]
    code: str | Callable[[Any], str]  # the error code of a refused move ("bid_transition_refused"), or its
    # function of the object
    event: str  # the audit action of every move: "tender.status.bid"
    allows: Callable[[Any, enum.Enum, enum.Enum], bool] | None = None  # a further condition on the object
    applies: Callable[[Any, enum.Enum, enum.Enum], None] | None = None  # what else a move sets on it

    def can_move(self, current: enum.Enum, to: enum.Enum) -> bool:
        return (current, to) in self.pairs

    def refusal_code(self, obj: Any) -> str:
        return self.code(obj) if callable(self.code) else self.code


_LIFECYCLES: dict[type[enum.Enum], Lifecycle] = {}


def lifecycle(status: type[enum.Enum], pairs: Collection[Pair], *, code: str | Callable[[Any], str], event: str,
              allows: Callable[[Any, enum.Enum, enum.Enum], bool] | None = None,
              applies: Callable[[Any, enum.Enum, enum.Enum], None] | None = None) -> Lifecycle:
    """Declare the transition table of `status` (once, where the enum is defined)."""
    table = Lifecycle(status, frozenset(pairs), code, event, allows, applies)
    for current, to in table.pairs:
        if not (isinstance(current, status) and isinstance(to, status)):
            raise TypeError(f"{event}: ({current!r}, {to!r}) is not a pair of {status.__name__}")
    _LIFECYCLES[status] = table
    return table


def lifecycle_of(status: type[enum.Enum]) -> Lifecycle:
    return _LIFECYCLES[status]


def can_move(current: enum.Enum, to: enum.Enum) -> bool:
    """Whether the table of `to`'s lifecycle allows (current, to)."""
    return lifecycle_of(type(to)).can_move(current, to)


def refuse(current: enum.Enum, to: enum.Enum, code: str) -> Exception:
    """The Conflict a refused move raises (its message names both statuses)."""
    from core.errors import Conflict

    return Conflict(f"当前状态（{current.value}）不允许变为 {to.value}。", code=code,
                    details={"from": current.value, "to": to.value})


def move(obj: Any, to: enum.Enum, *, actor: str | None = None, payload: dict | None = None) -> enum.Enum:
    """Set `obj.status = to` if its table allows it and declare the move's audit event; return the status
    it had. Any other pair raises Conflict with the table's code.

    The event is appended when the transaction commits (before it, in it): a caller sets the fields
    that go with the new status after the move (a signed report's time), and a CHECK constraint tying
    them together must not see the row flushed half-way by the audit log's own writes."""
    table = lifecycle_of(type(to))
    current = obj.status
    if not table.can_move(current, to) or (table.allows is not None and not table.allows(obj, current, to)):
        raise refuse(current, to, table.refusal_code(obj))
    if table.applies is not None:
        table.applies(obj, current, to)
    obj.status = to
    if hasattr(obj, "__table__"):  # a plain object (a pure rule's test, a preview) is only checked and moved
        _declare_event(obj, table.event, {"from": current.value, "to": to.value, **(payload or {})}, actor)
    return current


_MOVES = "transitions.moves"


def _declare_event(obj: Any, action: str, payload: dict, actor: str | None) -> None:
    from audit.service import current_actor
    from core.db import db

    _listen(db)
    with db.session.no_autoflush:  # naming the signed-in user may load it: the moved row is not complete yet
        actor = actor or current_actor()
    db.session.info.setdefault(_MOVES, []).append((obj, action, payload, actor))


def _write_events(session) -> None:
    moves = session.info.pop(_MOVES, None)
    if not moves:
        return
    from audit.service import record

    session.flush()  # every moved row has its id
    for obj, action, payload, actor in moves:
        record(action, obj, payload, actor=actor)


def _drop_events(session, previous_transaction) -> None:
    if not previous_transaction.nested and previous_transaction.parent is None:
        session.info.pop(_MOVES, None)


def _listen(db) -> None:
    from sqlalchemy import event

    if not event.contains(db.session, "before_commit", _write_events):
        event.listen(db.session, "before_commit", _write_events)
        event.listen(db.session, "after_soft_rollback", _drop_events)
