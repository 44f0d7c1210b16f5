"""Socket.IO namespace `/evaluation`: a room per lot's committee. Connections are authenticated by the
Flask session (refused otherwise) and authorised per room (`service.can_enter`); every state change
goes through an HTTP endpoint that commits, then calls `announce` — emits happen after the commit.

Emits carry only what every room member may see (the stage, who is present, who finished which stage);
each client then fetches its own view from `GET /api/v1/evaluation/committees/<id>/state`, so what a
viewer sees is decided in `service.state_for` (and through it `evaluation.visibility`).

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
from datetime import timedelta

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from sqlalchemy import delete, select, update

from core import clock
from core.auth import may_connect
from core.db import db
from core.errors import DomainError
from core.extensions import socketio

NAMESPACE = "/evaluation"
log = logging.getLogger(__name__)

PRESENCE_TTL = timedelta(seconds=75)  # three missed heartbeats
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


def _committee_id(data) -> int | None:
    try:
        return int((data or {}).get("committee_id"))
    except (TypeError, ValueError):
        return None


def register_handlers() -> None:
    from evaluation import service

    # Called by every create_app(): once Flask-SocketIO has a server, `socketio.on` registers on
    # that server only, so each app's server needs its own handlers.
    @socketio.on("connect", namespace=NAMESPACE)
    def on_connect(auth=None):
        if not may_connect():
            raise ConnectionRefusedError("unauthorized")
        return True

    @socketio.on("join", namespace=NAMESPACE)
    def on_join(data):
        cid = _committee_id(data)
        try:
            committee = service.get_committee(cid)
            allowed = service.can_enter(current_user, committee)
        except DomainError:
            allowed = False
        if not allowed:
            db.session.rollback()
            return {"ok": False, "error": {"code": "room_forbidden", "message": "您无权进入本评审室。"}}
        join_room(room(cid), sid=request.sid, namespace=NAMESPACE)
        is_member = any(m.user_id == current_user.id for m in committee.members)
        if is_member:
            _remember(request.sid, cid, current_user.id)
        state = service.state_for(current_user, committee, present_users(cid))
        db.session.rollback()
        if is_member:
            _presence(cid)
        return {"ok": True, "state": state}

    @socketio.on("here", namespace=NAMESPACE)
    def on_here(data):
        """The page's heartbeat: this connection is still in the room."""
        from evaluation.models import RoomPresence

        cid = _committee_id(data)
        if cid is None:
            return {"ok": False}
        db.session.execute(update(RoomPresence).where(RoomPresence.sid == request.sid,
                                                      RoomPresence.committee_id == cid).values(seen_at=clock.now()))
        db.session.commit()
        return {"ok": True}

    @socketio.on("leave", namespace=NAMESPACE)
    def on_leave(data):
        cid = _committee_id(data)
        if cid is None:
            return {"ok": False}
        leave_room(room(cid), sid=request.sid, namespace=NAMESPACE)
        _forget(request.sid, only=cid)
        return {"ok": True}

    @socketio.on("disconnect", namespace=NAMESPACE)
    def on_disconnect(*_args):
        _forget(request.sid)


def _remember(sid: str, committee_id: int, user_id: int) -> None:
    from evaluation.models import RoomPresence

    db.session.merge(RoomPresence(sid=sid, committee_id=committee_id, user_id=user_id, seen_at=clock.now()))
    db.session.commit()


def _forget(sid: str, only: int | None = None) -> None:
    """The connection left one room (`only`) or all of them: its rows go, its rooms hear who is left."""
    from evaluation.models import RoomPresence

    where = [RoomPresence.sid == sid] + ([RoomPresence.committee_id == only] if only is not None else [])
    try:
        gone = list(db.session.scalars(select(RoomPresence.committee_id).where(*where)))
        db.session.execute(delete(RoomPresence).where(*where))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not forget connection %s", sid)
        return
    for cid in gone:
        _presence(cid)
