"""Real-time rooms: one Socket.IO namespace base that every live page subclasses (`/opening`, `/evaluation`).

A `Room` namespace has a room per subject (a project, a committee, later an auction). It
authenticates each connection with the Flask session of the handshake (the Origin is checked in
`core.security`), authorises each `join` with the package's `can_enter`, keeps who is connected
(`presence`, shared by every web process through the database and refreshed by the page's `here`
heartbeat), runs state-changing events through the package's service functions with the page's
CSRF token and one commit, and after the commit `announce`s the change.

An announcement pushes the new state itself, not "something changed, refetch": each watcher's
connection sits in an audience of the room (`audience(user, subject)`: the viewers that see exactly
the same state, e.g. the staff of the project, one supplier's people, and the same language), and
the state is rendered once per audience present, so N watchers cost one render per audience, not N
requests. A package defines:

    class HallRoom(Room):
        prefix, subject_field, refusal = "project", "project_id", ("hall_forbidden", "…")
        def load(self, subject_id): …             # the subject, or None
        def can_enter(self, user, subject): …      # may this user watch
        def state_for(self, user, subject): …      # everything this viewer sees
        def audience(self, user, subject): …       # viewers with this key see the same state_for

and registers it with `socketio.on_namespace(HallRoom("/opening"))` in its `register`; its services'
callers then `announce("/opening", project_id, "checkin")` after their commit, in a web process or a
worker (through the Socket.IO message queue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, request
from flask_babel import force_locale, get_locale
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room, leave_room, rooms
from flask_wtf.csrf import validate_csrf
from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import ValidationError

from core import after_commit
from core.auth import may_connect
from core.db import db
from core.errors import DomainError, settle_refusal
from core.extensions import socketio

log = logging.getLogger(__name__)

EVENT = "changed"  # what an announcement is called on the wire
PRESENCE_TTL = timedelta(seconds=75)  # three missed heartbeats (the pages send `here` every 25 s)
STALE_AFTER = timedelta(hours=1)  # a row this old belongs to a process that died: deleted at the next join


def wall_now() -> datetime:
    """Real time, for connections' liveness only: heartbeats come every 25 real seconds whatever the
    platform clock does (frozen in the tests, sped up in a demo), so this is not `clock.now()`."""
    return datetime.now(UTC)

_rooms: dict[str, Room] = {}  # namespace → the Room that serves it in this process (the latest app's)


class RoomConnection(db.Model):
    """One open connection (Socket.IO sid) to a room, shared by every web process and the workers: which
    audiences a room has now is read from here when a change is announced. A connection not seen for
    `PRESENCE_TTL` of real time (its process died without saying goodbye) no longer counts. Ephemeral: not
    audited."""

    __tablename__ = "room_connection"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(index=True)


def announce(namespace: str, subject_id: int, what: str) -> None:
    """Push a room's new state to its watchers (call after the commit). Never raises: a lost message
    queue must not undo a committed change."""
    room = _rooms.get(namespace)
    if room is None:
        log.warning("no room registered for %s", namespace)
        return
    room.announce(subject_id, what)


def refusal(code: str, message: str) -> dict:
    """The acknowledgement of a refused event."""
    return {"ok": False, "error": {"code": code, "message": message}}


class Room(Namespace):
    """A Socket.IO namespace with a room per subject; see the module's docstring."""

    prefix = "subject"  # rooms are named f"{prefix}:{subject id}"
    subject_field = "id"  # the key of the events' payload that names the subject
    refusal = ("room_forbidden", "您无权进入。")

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        _rooms[namespace] = self

    # ------------------------------------------------------------ what a package defines

    def load(self, subject_id: int) -> Any:
        """The subject, or None when there is none."""
        raise NotImplementedError

    def can_enter(self, user, subject) -> bool:
        raise NotImplementedError

    def state_for(self, user, subject) -> dict:
        """Everything the room shows this viewer (what `join` answers and announcements push)."""
        raise NotImplementedError

    def audience(self, user, subject) -> str:
        """A key shared by the viewers whose `state_for` is the same; the safe default is one per user."""
        return f"user:{user.id}"

    def keeps(self, user, subject) -> bool:
        """Whether this viewer's connection is kept in the presence (announcements reach only those)."""
        return True

    def presence_changed(self, subject_id: int) -> None:
        """Called after a kept connection came or went (a room that shows who is present tells it here)."""

    # ------------------------------------------------------------ names

    def room(self, subject_id: int) -> str:
        return f"{self.prefix}:{subject_id}"

    def audience_room(self, subject_id: int, audience: str, locale: str) -> str:
        return f"{self.room(subject_id)}|{locale}|{audience}"

    def subject_id(self, data) -> int | None:
        try:
            return int((data or {}).get(self.subject_field))
        except (TypeError, ValueError, AttributeError):
            return None

    # ------------------------------------------------------------ presence (the shared table)

    def remember(self, sid: str, subject_id: int, user, audience: str, locale: str) -> None:
        # connections of processes that died without saying goodbye go when someone else arrives
        db.session.execute(delete(RoomConnection).where(RoomConnection.namespace == self.namespace,
                                                        RoomConnection.seen_at < wall_now() - STALE_AFTER))
        db.session.merge(RoomConnection(sid=sid, namespace=self.namespace, subject_id=subject_id, user_id=user.id,
                                        audience=audience, locale=locale, seen_at=wall_now()))
        db.session.commit()

    def refresh(self, sid: str, subject_id: int) -> None:
        db.session.execute(update(RoomConnection).where(
            RoomConnection.sid == sid, RoomConnection.namespace == self.namespace,
            RoomConnection.subject_id == subject_id).values(seen_at=wall_now()))
        db.session.commit()

    def forget(self, sid: str, only: int | None = None) -> list[int]:
        """The connection left one room (`only`) or all of them; returns the subjects it left."""
        where = [RoomConnection.sid == sid, RoomConnection.namespace == self.namespace]
        if only is not None:
            where.append(RoomConnection.subject_id == only)
        gone = list(db.session.scalars(select(RoomConnection.subject_id).where(*where)))
        db.session.execute(delete(RoomConnection).where(*where))
        db.session.commit()
        return gone

    def watchers(self, subject_id: int) -> list[tuple[str, str, int]]:
        """(audience, locale, one of its users) for each audience connected now."""
        rows = db.session.execute(select(RoomConnection.audience, RoomConnection.locale, RoomConnection.user_id)
                                  .where(RoomConnection.namespace == self.namespace,
                                         RoomConnection.subject_id == subject_id,
                                         RoomConnection.seen_at >= wall_now() - PRESENCE_TTL)
                                  .order_by(RoomConnection.audience, RoomConnection.locale, RoomConnection.user_id))
        found: dict[tuple[str, str], int] = {}
        for audience, locale, user_id in rows:
            found.setdefault((audience, locale), user_id)
        return [(audience, locale, user_id) for (audience, locale), user_id in found.items()]

    # ------------------------------------------------------------ announcing

    def message(self, subject_id: int, what: str, state: dict) -> dict:
        return {self.subject_field: subject_id, "what": what, "state": state}

    def announce(self, subject_id: int, what: str) -> None:
        """Render the new state once per audience connected and push it to that audience (after the commit)."""
        from accounts.models import User

        try:
            subject = self.load(subject_id)
            for audience, locale, user_id in self.watchers(subject_id) if subject is not None else []:
                user = db.session.get(User, user_id)
                if user is None or not self.can_enter(user, subject):
                    continue
                with force_locale(locale):
                    state = self.state_for(user, subject)
                socketio.emit(EVENT, self.message(subject_id, what, state),
                              to=self.audience_room(subject_id, audience, locale), namespace=self.namespace)
        except Exception:  # a missing message queue must never undo a committed change
            log.exception("could not announce %s in %s for %s", what, self.namespace, subject_id)
        finally:
            db.session.rollback()  # end the read transaction

    # ------------------------------------------------------------ state-changing events

    def csrf_refusal(self, data) -> dict | None:
        """State-changing events carry the page's CSRF token (`csrf_token`), as every unsafe HTTP request
        does: the socket's cookie alone proves nothing about which page sent the event."""
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        try:
            validate_csrf((data or {}).get("csrf_token") if isinstance(data, dict) else None)
        except ValidationError:
            return refusal("csrf_failed", "页面已过期或请求来源无效，请刷新页面后重试。")
        return None

    def act(self, data, action: Callable[[], int | None], what: str) -> dict:
        """Run a state-changing event for the current user: CSRF checked, the service function run, one
        commit, then the announcement to the subject `action` returns (None: nothing to announce)."""
        if refused := self.csrf_refusal(data):
            return refused
        try:
            subject_id = action()
            after_commit.commit()  # a socket event is neither a request nor a task: its own commit point
        except DomainError as exc:
            settle_refusal(exc)
            return refusal(exc.code, exc.message)
        if subject_id is not None:
            self.announce(subject_id, what)
        return {"ok": True}

    # ------------------------------------------------------------ the handlers

    def on_connect(self, auth=None):
        if not may_connect():
            raise ConnectionRefusedError("unauthorized")
        return True

    def on_join(self, data):
        subject_id = self.subject_id(data)
        try:
            subject = self.load(subject_id) if subject_id is not None else None
            allowed = subject is not None and self.can_enter(current_user, subject)
        except DomainError:
            allowed = False
        if not allowed:
            db.session.rollback()
            return refusal(*self.refusal)
        audience, locale = self.audience(current_user, subject), str(get_locale())
        join_room(self.room(subject_id), sid=request.sid, namespace=self.namespace)
        join_room(self.audience_room(subject_id, audience, locale), sid=request.sid, namespace=self.namespace)
        kept = self.keeps(current_user, subject)
        if kept:
            self.remember(request.sid, subject_id, current_user, audience, locale)
        state = self.state_for(current_user, subject)
        db.session.rollback()
        if kept:
            self.presence_changed(subject_id)
        return {"ok": True, "state": state}

    def on_here(self, data):
        """The page's heartbeat: this connection is still in the room."""
        subject_id = self.subject_id(data)
        if subject_id is None:
            return {"ok": False}
        self.refresh(request.sid, subject_id)
        return {"ok": True}

    def on_leave(self, data):
        subject_id = self.subject_id(data)
        if subject_id is None:
            return {"ok": False}
        room = self.room(subject_id)
        for name in rooms(request.sid, self.namespace):
            if name == room or name.startswith(f"{room}|"):
                leave_room(name, sid=request.sid, namespace=self.namespace)
        self._forget(request.sid, only=subject_id)
        return {"ok": True}

    def on_disconnect(self, *_args):
        self._forget(request.sid)

    def _forget(self, sid: str, only: int | None = None) -> None:
        try:
            gone = self.forget(sid, only)
        except Exception:
            db.session.rollback()
            log.exception("could not forget connection %s", sid)
            return
        for subject_id in gone:
            self.presence_changed(subject_id)
