"""Socket.IO namespace `/evaluation`: a room per lot's committee. Connections are authenticated by the
Flask session (refused otherwise) and authorised per room (`service.can_enter`); every state change
goes through an HTTP endpoint that commits, then calls `announce` — emits happen after the commit.

Emits carry only what every room member may see (the stage, who is present, who finished which stage);
each client then fetches its own view from `GET /api/v1/evaluation/committees/<id>/state`, so what a
viewer sees is decided in `service.state_for` (and through it `evaluation.visibility`).

Presence is kept in this process (one web process per room under Flask-SocketIO's threading mode;
with several processes behind a load balancer use sticky sessions, as Socket.IO requires anyway).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from core.auth import may_connect
from core.db import db
from core.errors import DomainError
from core.extensions import socketio

NAMESPACE = "/evaluation"
log = logging.getLogger(__name__)

_lock = threading.Lock()
_present: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))  # committee → user → sids
_joined: dict[str, set[int]] = defaultdict(set)  # sid → committees
_members: dict[int, set[int]] = {}  # committee → its members' user ids, as of the last join
_turns: dict[int, threading.Lock] = {}  # committee → its writers' turn (see `turn`)


def room(committee_id: int) -> str:
    return f"committee:{committee_id}"


def present_users(committee_id: int) -> set[int]:
    with _lock:
        return {uid for uid, sids in _present.get(committee_id, {}).items() if sids}


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


def _presence(committee_id: int, members: set[int]) -> None:
    """Who of the committee's members is in the room (observers coming and going change nothing)."""
    try:
        socketio.emit("presence", {"committee_id": committee_id,
                                   "present": sorted(present_users(committee_id) & members)},
                      to=room(committee_id), namespace=NAMESPACE)
    except Exception:
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
        with _lock:
            _present[cid][current_user.id].add(request.sid)
            _joined[request.sid].add(cid)
        state = service.state_for(current_user, committee, present_users(cid))
        members = {m.user_id for m in committee.members}
        with _lock:
            _members[cid] = members
        db.session.rollback()
        if current_user.id in members:
            _presence(cid, members)
        return {"ok": True, "state": state}

    @socketio.on("leave", namespace=NAMESPACE)
    def on_leave(data):
        cid = _committee_id(data)
        if cid is None:
            return {"ok": False}
        leave_room(room(cid), sid=request.sid, namespace=NAMESPACE)
        _forget(request.sid, current_user.id if current_user.is_authenticated else None, only=cid)
        return {"ok": True}

    @socketio.on("disconnect", namespace=NAMESPACE)
    def on_disconnect(*_args):
        _forget(request.sid, current_user.id if current_user.is_authenticated else None)


def _forget(sid: str, user_id: int | None, only: int | None = None) -> None:
    with _lock:
        committees = [only] if only is not None else list(_joined.pop(sid, set()))
        if only is not None:
            _joined.get(sid, set()).discard(only)
        for cid in committees:
            users = _present.get(cid, {})
            for uid in ([user_id] if user_id is not None else list(users)):
                users.get(uid, set()).discard(sid)
    for cid in committees:
        members = _members.get(cid, set())
        if user_id is None or user_id in members:
            _presence(cid, members)
