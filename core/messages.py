"""Real-time messages (消息) to signed-in users: Socket.IO namespace `/messages`, one room per user and
one per organisation. A message is a courtesy shown in the browser now; a public announcement is a
notice (公告, `notices/`), which is something else.

A page loaded by a signed-in user (static/js/messages.js) connects to `/messages`; the connection
authenticates with the Flask session cookie of the handshake and joins `user:<id>` and, when
the user belongs to an organisation, `org:<org_id>`. Anonymous connections are refused.

Other packages send a message after their transaction commits, through the Celery task:

    from core.tasks import send_message
    send_message.delay({"title": "投标文件已接收", "body": "…", "level": "success"}, user_ids=[user.id])

The task runs in a worker process and reaches the browsers through the Socket.IO message
queue (Redis), whichever web process they are connected to; run eagerly (tests, or in the web
process) it emits directly. Messages are ephemeral: a user who is not connected misses them,
so anything that matters must also be visible on a page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from flask import Flask, current_app
from flask_login import current_user
from flask_socketio import Namespace, SocketIO, join_room

from core import clock
from core.auth import may_connect
from core.extensions import socketio

NAMESPACE = "/messages"
EVENT = "new_message"  # not "message": Socket.IO keeps that name for send()
LEVELS = ("info", "success", "warning", "danger")
MAX_TEXT = 500

log = logging.getLogger(__name__)
_external_emitters: dict[str, SocketIO] = {}


def user_room(user_id: int) -> str:
    return f"user:{int(user_id)}"


def org_room(org_id: int) -> str:
    return f"org:{int(org_id)}"


class MessagesNamespace(Namespace):
    """Connections of signed-in users; they only listen, they send nothing."""

    def on_connect(self, auth=None):
        if not may_connect():
            return False
        join_room(user_room(current_user.id))
        if current_user.org_id is not None:
            join_room(org_room(current_user.org_id))
        return True


def build_message(message: dict) -> dict:
    """Check and normalise a message: plain text only, a known level, a same-site link."""
    if not isinstance(message, dict):
        raise TypeError("a message is a dict")
    title = str(message.get("title") or "").strip()[:MAX_TEXT]
    body = str(message.get("body") or "").strip()[:MAX_TEXT]
    if not title and not body:
        raise ValueError("a message needs a title or a body")
    level = message.get("level") or "info"
    if level not in LEVELS:
        raise ValueError(f"unknown message level {level!r}")
    url = message.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("/") or url.startswith("//")):
        raise ValueError("a message links only to a page of this site")
    return {"id": str(message.get("id") or uuid.uuid4().hex), "title": title, "body": body,
            "level": level, "url": url, "at": clock.now().isoformat()}


def rooms_for(user_ids: Iterable[int] = (), org_ids: Iterable[int] = ()) -> list[str]:
    rooms = [user_room(u) for u in user_ids or ()] + [org_room(o) for o in org_ids or ()]
    return list(dict.fromkeys(rooms))


def external_emitter(url: str) -> SocketIO:
    """A write-only Socket.IO client of the message queue, for processes that serve no clients."""
    emitter = _external_emitters.get(url)
    if emitter is None:
        from core import socketio_queue

        if url == socketio_queue.EMBEDDED_URL:
            manager = socketio_queue.client_manager(current_app.config, write_only=True)
            emitter = SocketIO(message_queue=url, client_manager=manager)
        else:
            emitter = SocketIO(message_queue=url)
        _external_emitters[url] = emitter
    return emitter


def emit_message(message: dict, user_ids: Iterable[int] = (), org_ids: Iterable[int] = (),
                 *, external: bool = False) -> dict | None:
    """Emit the message (event `new_message`) to the rooms of these users and organisations; returns what was sent.

    `external=True` (a Celery worker) publishes on the message queue only; without a queue a
    worker cannot reach any browser, and the message is dropped with a warning. A user in several
    of the rooms receives the message once.
    """
    rooms = rooms_for(user_ids, org_ids)
    if not rooms:
        return None
    built = build_message(message)
    if external:
        url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
        if not url:
            log.warning("message %s dropped: no Socket.IO message queue (set REDIS_URL)", built["id"])
            return None
        external_emitter(url).emit(EVENT, built, to=rooms, namespace=NAMESPACE)
    else:
        socketio.emit(EVENT, built, to=rooms, namespace=NAMESPACE)
    return built


def register(app: Flask) -> None:
    # A fresh namespace object for each app: create_app builds a new Socket.IO server each time.
    socketio.on_namespace(MessagesNamespace(NAMESPACE))
