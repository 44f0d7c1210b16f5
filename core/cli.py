"""Commands: `flask serve` (web + Celery worker + beat in one foreground command, the worker supervised:
core/supervise.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from core.demo import demo_cli
from core.supervise import WorkerSupervisor


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not start the Celery worker and beat.")
@with_appcontext
def serve_command(host: str, port: int, no_worker: bool) -> None:
    """Run the web server with Socket.IO, plus a Celery worker with beat, until Ctrl-C."""
    from core.extensions import socketio

    app = current_app._get_current_object()
    from core import socketio_queue
    from core.schema import SchemaBehind, ensure_schema_current

    try:
        ensure_schema_current(app)
    except SchemaBehind as exc:
        raise click.ClickException(str(exc)) from exc

    socketio_queue.reset_embedded_queue(app.config)
    supervisor = None
    beacon = _start_local_beacon(app)
    if not no_worker:
        supervisor = WorkerSupervisor(worker_argv(app), Path(app.instance_path) / "celery-worker.pid")
        supervisor.start()
        watching = threading.Event()

        def watch() -> None:  # a dead worker's group is emptied (no orphaned beat) before a new one starts
            while not watching.wait(1.0):
                supervisor.check()

        threading.Thread(target=watch, name="worker-supervisor", daemon=True).start()
    # Under `flask …` Flask turns app.run() into a no-op (FLASK_RUN_FROM_CLI); this command is the server.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    click.echo(f"\n标云 Biaoyun 已启动: http://{host}:{port}/   (Ctrl-C 停止 / to stop)\n")
    # A service manager stops us with SIGTERM: unwind the same way as Ctrl-C, so the worker goes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)
    finally:
        if beacon is not None and beacon.poll() is None:
            beacon.terminate()
        if supervisor is not None:
            watching.set()
            supervisor.stop()


def worker_argv(app: Flask) -> list[str]:
    """The Celery worker with its embedded beat, as `flask serve` runs it."""
    schedule = os.path.join(app.instance_path, "celerybeat-schedule")
    return [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--beat", "--pool=solo",
            "--loglevel=warning", "--schedule", schedule]


def _start_local_beacon(app: Flask) -> subprocess.Popen | None:
    """The embedded default's time-lock beacon (`flask beacon serve`), when the app uses the local chain
    at its default loopback address; a deployment pointing BEACON_URLS elsewhere runs its own."""
    from beacon import current_chain

    chain = current_chain()
    if chain.name != "local" or app.config.get("BEACON_URLS"):
        return None
    click.echo(f"本地时间锁信标 / local time-lock beacon: {chain.urls[0]}")
    # In our process group (a signal to the server's group stops it too), and it exits by itself if we die.
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "beacon", "serve", "--exit-with-parent",
                             "--port", str(app.config.get("BEACON_PORT") or 8089)])


@click.command("check-calendar")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_calendar_command(path: str) -> None:
    """Validate a holiday calendar file before pointing WORKDAY_CALENDAR at it."""
    from core.workdays import CalendarDataError, WorkdayCalendar

    try:
        calendar = WorkdayCalendar.load(path)
    except CalendarDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"OK: years {', '.join(str(y) for y in sorted(calendar.years))}; "
               f"{len(calendar.holidays)} holidays, {len(calendar.makeup_workdays)} make-up working days")


def register(app: Flask) -> None:
    app.cli.add_command(serve_command)
    app.cli.add_command(check_calendar_command)
    app.cli.add_command(demo_cli)
