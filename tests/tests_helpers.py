"""Helpers shared by tests (plain functions; fixtures live in conftest.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
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


def free_port() -> int:
    """A free loopback port (each demo server's local time-lock beacon gets its own)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(env: dict, log_path, startup_s: float = 60) -> Iterator[str]:
    """`flask serve --no-worker` on a free port in its own process group; yields its base URL once
    /healthz answers 200, and stops it (SIGTERM, then SIGKILL) however the block ends."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import pytest
    import requests

    from core.config import ROOT

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-worker", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{tail()}")
            try:
                if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy after {startup_s}s:\n{tail()}")
            time.sleep(0.2)
        yield base_url
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
