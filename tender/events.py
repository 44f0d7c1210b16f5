"""Socket.IO namespace `/opening`: a room per project. Connections are authenticated by the
Flask session (refused otherwise; the Origin is checked in core.security), authorised per room, and
every state-changing event carries the page's CSRF token; every action goes through the
same service function as HTTP, and every emit happens after the commit.

Emits carry no data but what changed; each client then fetches its own view from
`GET /api/v1/tender/projects/<id>/hall`, so what a viewer sees is decided in `hall.state_for`.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from core.auth import may_connect
from core.db import db
from core.errors import DomainError, settle_refusal
from core.extensions import socketio

NAMESPACE = "/opening"
log = logging.getLogger(__name__)


def room(project_id: int) -> str:
    return f"project:{project_id}"


def announce(project_id: int, what: str) -> None:
    """Tell a project's hall that something changed (call after commit)."""
    try:
        socketio.emit("changed", {"project_id": project_id, "what": what}, to=room(project_id),
                      namespace=NAMESPACE)
    except Exception:  # a missing message queue must never undo a committed change
        log.exception("could not announce %s for project %s", what, project_id)


def _run(project_id, action, what: str) -> dict:
    """Run a hall action for the current user, commit, then announce; errors come back as acks."""
    try:
        action()
        db.session.commit()
    except DomainError as exc:
        settle_refusal(exc)
        return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
    if project_id is not None:
        announce(project_id, what)
    return {"ok": True}


def _csrf_refusal(data) -> dict | None:
    """State-changing events carry the page's CSRF token (`csrf_token`), as every unsafe HTTP request does:
    the socket's cookie alone proves nothing about which page sent the event."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf((data or {}).get("csrf_token") if isinstance(data, dict) else None)
    except ValidationError:
        return {"ok": False, "error": {"code": "csrf_failed",
                                       "message": "页面已过期或请求来源无效，请刷新页面后重试。"}}
    return None


def _project_id(data) -> int | None:
    try:
        return int((data or {}).get("project_id"))
    except (TypeError, ValueError):
        return None


def register_handlers() -> None:
    from tender import hall
    from tender.service import get_project

    # Called by every create_app(): once Flask-SocketIO has a server, `socketio.on` registers on
    # that server only, so each app's server needs its own handlers.
    @socketio.on("connect", namespace=NAMESPACE)
    def on_connect(auth=None):
        if not may_connect():
            raise ConnectionRefusedError("unauthorized")
        return True

    @socketio.on("join", namespace=NAMESPACE)
    def on_join(data):
        pid = _project_id(data)
        try:
            project = get_project(pid) if pid else None
        except DomainError:
            project = None
        if project is None or not hall.can_enter(current_user, project):
            return {"ok": False, "error": {"code": "hall_forbidden", "message": "您无权进入本项目的开标大厅。"}}
        join_room(room(pid), sid=request.sid, namespace=NAMESPACE)
        return {"ok": True, "state": hall.state_for(current_user, project)}

    @socketio.on("checkin", namespace=NAMESPACE)
    def on_checkin(data):
        if refused := _csrf_refusal(data):
            return refused
        pid = _project_id(data)
        return _run(pid, lambda: hall.checkin(current_user, pid), "checkin")

    @socketio.on("confirm", namespace=NAMESPACE)
    def on_confirm(data):
        if refused := _csrf_refusal(data):
            return refused
        pid = _project_id(data)
        return _run(pid, lambda: hall.confirm_record(current_user, pid), "confirm")

    @socketio.on("object", namespace=NAMESPACE)
    def on_object(data):
        if refused := _csrf_refusal(data):
            return refused
        pid = _project_id(data)
        return _run(pid, lambda: hall.raise_objection(current_user, pid, (data or {}).get("text", "")), "objection")

    @socketio.on("answer", namespace=NAMESPACE)
    def on_answer(data):
        if refused := _csrf_refusal(data):
            return refused
        try:
            oid = int((data or {}).get("objection_id"))
        except (TypeError, ValueError):
            return {"ok": False, "error": {"code": "bad_request", "message": "缺少异议编号。"}}
        holder: dict = {}

        def answer():
            holder["row"] = hall.answer_objection(current_user, oid, (data or {}).get("answer", ""))

        reply = _run(None, answer, "answer")
        if reply["ok"]:
            announce(holder["row"].project_id, "answer")  # the objection's own room, whatever the client said
        return reply
