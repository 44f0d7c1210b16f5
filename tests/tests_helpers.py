"""Helpers shared by tests (plain functions; fixtures live in conftest.py)."""

from datetime import datetime

import pyotp

PASSWORD = "correct-horse-9"


def totp_code(user, at: datetime | None = None) -> str:
    from core import clock as clock_module

    return pyotp.TOTP(user.totp_seed).at(at or clock_module.now())


def login(client, user, password: str = PASSWORD):
    """Log in through the real pages: password, then TOTP when the account has it."""
    response = client.post("/login", data={"username": user.username, "password": password})
    if user.totp_seed:
        response = client.post("/login/totp", data={"code": totp_code(user)})
    return response


def make_test_app(tmp_path, **overrides):
    """A second app for tests of the factory itself. No message queue: Flask-SocketIO keeps one
    server per process, and the session app's test client must not inherit a Redis queue."""
    from core.app import create_app

    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite'}",
              "FILE_STORE": str(tmp_path / "f"), "AUDIT_KEY_PATH": str(tmp_path / "k" / "a.pem"),
              "REDIS_URL": None, "SOCKETIO_MESSAGE_QUEUE": "", "CELERY_BROKER_URL": "memory://"}
    config.update(overrides)
    return create_app(config)
