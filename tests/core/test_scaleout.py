"""Scale-out, proven: two web processes on one PostgreSQL with Redis as the Socket.IO message
queue and the Celery broker, plus a Celery worker. A notice enqueued with the broker and
emitted by the worker reaches a Socket.IO client connected to either web process.

One web process is `flask serve --no-worker` (Werkzeug, threads), the other gunicorn with
threads (`-k gthread -w 1 --threads 50`), the production arrangement; both run the same code
and settings. CI's second run (PostgreSQL + Redis) runs this test; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
from tests_helpers import PASSWORD

from core.config import ROOT

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DATABASE_URL.startswith("postgres") and REDIS_URL),
                       reason="the scale-out test needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), "
                              "as in CI's second run"),
]

STARTUP_S = 60
DELIVERY_S = 30
SECRET_KEY = "test-secret-key"  # the test app's: users made here have TOTP seeds sealed with it
CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process in its own process group, its output in a log file, stopped for sure."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(self.popen.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.popen.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.popen.wait(timeout=10)


def wait_healthy(proc: Proc, base_url: str) -> None:
    """Poll /healthz until the process answers with every service up (Redis queue included)."""
    import requests

    deadline = time.monotonic() + STARTUP_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            pytest.fail(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        try:
            response = requests.get(f"{base_url}/healthz", timeout=2)
            body = response.json()
            if response.status_code == 200 and body["message_queue"].get("mode") == "redis":
                assert body["database"]["backend"] == "postgresql"
                return
            last = f"{response.status_code} {body}"
        except (requests.RequestException, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    pytest.fail(f"{proc.name} not healthy after {STARTUP_S}s ({last}):\n{proc.log_tail()}")


def login_over_http(base_url: str, user, password: str) -> str:
    """Log in through the real pages (CSRF on, as in production); return the session cookie."""
    import pyotp
    import requests

    with requests.Session() as http:
        page = http.get(f"{base_url}/login", timeout=10)
        token = CSRF_FIELD.search(page.text)
        assert token, page.text[:500]
        response = http.post(f"{base_url}/login", timeout=10, allow_redirects=False,
                             data={"csrf_token": token[1], "username": user.username, "password": password})
        assert response.status_code == 302, response.text[:500]
        if user.totp_seed:
            page = http.get(f"{base_url}/login/totp", timeout=10)
            token = CSRF_FIELD.search(page.text)
            code = pyotp.TOTP(user.totp_seed).now()  # the servers run on the real clock
            response = http.post(f"{base_url}/login/totp", timeout=10, allow_redirects=False,
                                 data={"csrf_token": token[1], "code": code})
            assert response.status_code == 302, response.text[:500]
        assert http.get(f"{base_url}/dashboard", timeout=10, allow_redirects=False).status_code == 200
        return http.cookies["session"]


class Listener:
    """A python-socketio client on /messages that records the notices it receives."""

    def __init__(self, base_url: str, cookie: str, transports: list[str] | None = None):
        import socketio

        self.received: list[dict] = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("new_message", self._on_notice, namespace="/messages")
        self.sio.connect(base_url, namespaces=["/messages"], headers={"Cookie": f"session={cookie}"},
                         transports=transports, wait_timeout=15)

    def _on_notice(self, data: dict) -> None:
        with self.arrived:
            self.received.append(data)
            self.arrived.notify_all()

    def wait_for(self, notice_id: str, timeout: float) -> dict | None:
        with self.arrived:
            self.arrived.wait_for(lambda: any(n["id"] == notice_id for n in self.received), timeout)
            return next((n for n in self.received if n["id"] == notice_id), None)

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def cluster(app, tmp_path):
    """Two web processes and a Celery worker sharing the test database and Redis; yields their URLs."""
    instance = tmp_path / "instance"
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET_KEY,
           "BIAOYUN_INSTANCE_PATH": str(instance), "FILE_STORE": str(instance / "files"),
           "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem"), "FLASK_APP": "wsgi",
           "PYTHONUNBUFFERED": "1"}
    env.pop("BIAOYUN_CELERY_ALWAYS_EAGER", None)
    ports = [free_port(), free_port()]
    commands = {
        "web-flask": [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-worker",
                      "--port", str(ports[0])],
        "web-gunicorn": [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1", "--threads", "50",
                         "--graceful-timeout", "3", "-b", f"127.0.0.1:{ports[1]}", "wsgi:app"],
        "worker": [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--pool=solo",
                   "--loglevel=info", "--without-heartbeat", "--without-gossip", "--without-mingle"],
    }
    with ExitStack() as stack:
        procs = {}
        for name, args in commands.items():
            procs[name] = proc = Proc(name, args, env, tmp_path)
            stack.callback(proc.stop)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        wait_healthy(procs["web-flask"], urls[0])
        wait_healthy(procs["web-gunicorn"], urls[1])
        yield {"urls": urls, "procs": procs}


def test_notice_from_a_worker_reaches_clients_of_both_web_processes(cluster, make_user):
    from celery import Celery

    from core.tasks import send_message

    staff = make_user("agency_staff", org_kind="central_agency")  # TOTP-bound: password, then code
    supplier = make_user("supplier", org_kind="supplier")
    listeners = []
    try:
        # staff on the flask-serve process (polling, then upgrade), supplier on gunicorn (websocket only)
        for user, url, transports in ((staff, cluster["urls"][0], None),
                                      (supplier, cluster["urls"][1], ["websocket"])):
            listeners.append(Listener(url, login_over_http(url, user, PASSWORD), transports))
        # Enqueue through the Redis broker, as `send_message.delay(...)` does in a web process.
        notice_id = f"scaleout-{uuid.uuid4().hex}"
        with Celery(broker=REDIS_URL, set_as_current=False) as broker:
            message = {"id": notice_id, "title": "横向扩展", "body": "两个进程都收到"}
            broker.send_task(send_message.name, args=(message,),
                             kwargs={"user_ids": [staff.id], "org_ids": [supplier.org_id]})
        got = [listener.wait_for(notice_id, DELIVERY_S) for listener in listeners]
        logs = "\n".join(f"--- {n}:\n{p.log_tail()}" for n, p in cluster["procs"].items())
        assert got[0] is not None, f"no notice on the flask-serve process\n{logs}"
        assert got[1] is not None, f"no notice on the gunicorn process\n{logs}"
        assert got[0]["body"] == got[1]["body"] == "两个进程都收到"
    finally:
        for listener in listeners:
            listener.close()
