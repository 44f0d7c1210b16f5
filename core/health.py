"""/healthz: the state of the database, the Celery broker and the Socket.IO message queue."""

from __future__ import annotations

import os

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from core.db import db


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:  # report, never raise: this is the health page
        return {"ok": False, "error": type(exc).__name__}


def check_broker() -> dict:
    celery_app = current_app.extensions["celery"]
    if celery_app.conf.task_always_eager:
        return {"ok": True, "transport": "eager"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return {"ok": True, "transport": conn.transport_cls if isinstance(conn.transport_cls, str)
                    else conn.transport.driver_type}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_message_queue() -> dict:
    from core import socketio_queue

    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return {"ok": True, "mode": "single-process"}
    if socketio_queue.is_embedded(current_app.config):
        folder = current_app.config["SOCKETIO_QUEUE_FOLDER"]
        return {"ok": os.access(folder, os.W_OK), "mode": "embedded-folder"}
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()
        return {"ok": True, "mode": "redis"}
    except Exception as exc:
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}


def register(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        checks = {"database": check_database(), "broker": check_broker(),
                  "message_queue": check_message_queue()}
        ok = all(c["ok"] for c in checks.values())
        return jsonify({"ok": ok, **checks}), 200 if ok else 503
