"""Socket.IO namespace `/evaluation`: a room per lot's committee, on the kit's `core.rooms.Room`.

Connections are authenticated by the Flask session (refused otherwise) and authorised per room
(`service.can_enter`); every state change goes through an HTTP endpoint that commits, then calls
`announce` — emits happen after the commit.

An announcement pushes the new state itself: what every room member may see (the stage, who is
present, who finished which stage; never a score), one `snapshot` for the whole room however many
watch it. The page updates from it and reloads only when the stage changes; what each viewer sees on
entering is decided in `service.state_for` (and through it `evaluation.visibility`).

Presence is shared by every web process: a member's connection to a room is a row of
`evaluation_presence` (sid, committee, user, last seen), written on join, refreshed by the page's
heartbeat (`here`, every 25 s) and deleted on leave or disconnect; a row not seen for `PRESENCE_TTL`
(its process died) no longer counts. So members connected to different processes (several gunicorn
workers behind a load balancer, each client sticky to one of them) see each other. Only members'
connections are kept: observers change nothing anyone is shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, update

from core import clock, rooms
from core.db import db
from core.extensions import socketio

NAMESPACE = "/evaluation"
log = logging.getLogger(__name__)

PRESENCE_TTL = rooms.PRESENCE_TTL  # three missed heartbeats
_lock = threading.Lock()
_turns: dict[int, threading.Lock] = {}  # committee → its writers' turn (see `turn`)


def room(committee_id: int) -> str:
    return f"committee:{committee_id}"


def present_users(committee_id: int) -> set[int]:
    """The users with a live connection to the room, on any web process."""
    from evaluation.models import RoomPresence

    return set(db.session.scalars(select(RoomPresence.user_id).where(
        RoomPresence.committee_id == committee_id, RoomPresence.seen_at >= clock.now() - PRESENCE_TTL)))


def snapshot(committee) -> dict:
    """What a `changed` event carries: the stage, who of the members is present, who finished which stage
    (never a score). Called after the commit, or — by a writer holding the committee's row lock — just
    before it, when it is already the state the commit makes."""
    from evaluation import service

    members = {m.user_id for m in committee.members}
    return {"committee_id": committee.id, "status": committee.status.value,
            "status_text": service.STATUS_ZH[committee.status.value],
            "progress": service.progress(committee), "present": sorted(present_users(committee.id) & members)}


def announce(committee_id: int, what: str, state: dict | None = None) -> None:
    """Tell a committee's room that something changed (call after commit). `state` is a `snapshot` the
    caller took under its lock before committing; without it the room is read afresh."""
    try:
        if state is None:
            from evaluation import service

            state = snapshot(service.get_committee(committee_id))
            db.session.rollback()  # end the read transaction the snapshot opened
        socketio.emit("changed", {**state, "what": what}, to=room(committee_id), namespace=NAMESPACE)
    except Exception:  # a missing message queue must never undo a committed change
        log.exception("could not announce %s for committee %s", what, committee_id)


@contextmanager
def turn(committee_id: int) -> Iterator[None]:
    """The writers of one room take turns in this process (seven members submit their sheets at once).
    They serialise on the committee's row lock anyway; but on SQLite a writer waiting for the database
    lock polls for it with growing sleeps (tens of milliseconds by the fifth waiter), while a lock in this
    process is handed on at once. Correctness still rests on the row lock (other processes, PostgreSQL)."""
    with _lock:
        lock = _turns.setdefault(committee_id, threading.Lock())
    with lock:
        yield


def _presence(committee_id: int) -> None:
    """Tell the room who of its members is present (after a member came or went)."""
    from evaluation import service

    try:
        members = {m.user_id for m in service.get_committee(committee_id).members}
        present = sorted(present_users(committee_id) & members)
        db.session.rollback()
        socketio.emit("presence", {"committee_id": committee_id, "present": present},
                      to=room(committee_id), namespace=NAMESPACE)
    except Exception:
        db.session.rollback()
        log.exception("could not send presence for committee %s", committee_id)


class CommitteeRoom(rooms.Room):
    prefix, subject_field = "committee", "committee_id"
    refusal = ("room_forbidden", "您无权进入本评审室。")

    def load(self, subject_id: int):
        from evaluation import service

        return service.get_committee(subject_id)

    def can_enter(self, user, subject) -> bool:
        from evaluation import service

        return service.can_enter(user, subject)

    def state_for(self, user, subject) -> dict:
        from evaluation import service

        return service.state_for(user, subject, present_users(subject.id))

    def audience(self, user, subject) -> str:
        return "all"  # announcements carry the snapshot, the same for everyone in the room

    def keeps(self, user, subject) -> bool:
        return any(m.user_id == user.id for m in subject.members)

    def presence_changed(self, subject_id: int) -> None:
        _presence(subject_id)

    def announce(self, subject_id: int, what: str) -> None:
        announce(subject_id, what)

    # presence: members only, in evaluation_presence (the room shows it and `state_for` reads it)

    def remember(self, sid: str, subject_id: int, user, audience: str, locale: str) -> None:
        from evaluation.models import RoomPresence

        db.session.merge(RoomPresence(sid=sid, committee_id=subject_id, user_id=user.id, seen_at=clock.now()))
        db.session.commit()

    def refresh(self, sid: str, subject_id: int) -> None:
        from evaluation.models import RoomPresence

        db.session.execute(update(RoomPresence).where(RoomPresence.sid == sid, RoomPresence.committee_id == subject_id)
                           .values(seen_at=clock.now()))
        db.session.commit()

    def forget(self, sid: str, only: int | None = None) -> list[int]:
        from evaluation.models import RoomPresence

        where = [RoomPresence.sid == sid] + ([RoomPresence.committee_id == only] if only is not None else [])
        gone = list(db.session.scalars(select(RoomPresence.committee_id).where(*where)))
        db.session.execute(delete(RoomPresence).where(*where))
        db.session.commit()
        return gone


def register_handlers() -> None:
    # Called by every create_app(): each app's Socket.IO server needs its own namespace object.
    socketio.on_namespace(CommitteeRoom(NAMESPACE))
