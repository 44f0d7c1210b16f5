"""`flask serve` supervises its Celery worker (issue 10): when the worker dies, the beat it runs as a
child does not stay behind, and a restart never makes a second beat; a group left by a serve that was
killed outright is stopped before a new worker starts.

Real processes: the real `celery worker --beat` command of `flask serve` (core.cli.worker_argv) on an
SQLite broker in a temp instance. The waits are for conditions (a process appearing or going), with a
generous bound, never sleeps standing in for an ordering.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.config import ROOT
from core.supervise import WorkerSupervisor, group_members

BOUND = 90.0


def _wait_for(condition, what: str):
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def worker_env(tmp_path):
    """A migrated SQLite instance the worker can start on (its schema is checked at start-up)."""
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "FILE_STORE") and not k.startswith("BIAOYUN_")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "SECRET_KEY": secrets.token_hex(16),
                "BIAOYUN_INSTANCE_PATH": str(instance), "FILE_STORE": str(instance / "files"),
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit.pem"), "FLASK_APP": "wsgi",
                "BIAOYUN_CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"})
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return env, instance


def _argv(instance) -> list[str]:
    """flask serve's own worker command line (core.cli.worker_argv), made quicker to start."""
    from core.cli import worker_argv

    argv = worker_argv(SimpleNamespace(instance_path=str(instance)))
    assert "--beat" in argv
    return [*argv, "--without-heartbeat", "--without-gossip", "--without-mingle"]


def _beat_of(pgid: int) -> int:
    """The embedded beat: the group's other Celery process, a child of the worker."""
    others = [pid for pid in group_members(pgid) if pid != pgid]
    return others[0] if others else 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_dead_worker_leaves_no_beat_and_the_restart_makes_only_one(worker_env):
    env, instance = worker_env
    supervisor = WorkerSupervisor(_argv(instance), instance / "celery-worker.pid", env=env)
    first = supervisor.start()
    try:
        beat = _wait_for(lambda: _beat_of(first.pid), "the embedded beat of the first worker")
        os.kill(first.pid, signal.SIGKILL)  # the worker dies (OOM killer, kill -9)
        first.wait(timeout=BOUND)
        assert _alive(beat)  # without supervision this beat would keep scheduling, orphaned
        assert supervisor.check() is True
        assert not _alive(beat)
        assert group_members(first.pid) == []
        second = supervisor.process
        assert second is not None and second.pid != first.pid
        _wait_for(lambda: _beat_of(second.pid), "the beat of the restarted worker")
        beats = [pid for pid in _celery_pids(instance) if pid != second.pid]
        assert len(beats) == 1  # exactly one beat runs: the new worker's
        assert supervisor.check() is False  # a live worker is left alone
    finally:
        supervisor.stop()
    assert _celery_pids(instance) == []


def test_a_group_left_by_a_killed_serve_is_stopped_before_a_new_worker(worker_env):
    env, instance = worker_env
    pid_file = instance / "celery-worker.pid"
    crashed = WorkerSupervisor(_argv(instance), pid_file, env=env)
    old = crashed.start()  # this serve is then killed outright: it never stops its worker
    old_beat = _wait_for(lambda: _beat_of(old.pid), "the first worker's beat")
    fresh = WorkerSupervisor(_argv(instance), pid_file, env=env)
    try:
        new = fresh.start()
        assert not _alive(old.pid) and not _alive(old_beat)
        _wait_for(lambda: _beat_of(new.pid), "the new worker's beat")
        assert set(_celery_pids(instance)) == set(group_members(new.pid))
    finally:
        fresh.stop()
        crashed.stop()
    assert _celery_pids(instance) == []


def _celery_pids(instance) -> list[int]:
    """Live Celery processes started for this instance (its schedule file is on their command line)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "celery" in cmd and str(instance / "celerybeat-schedule") in cmd and _alive(int(entry)):
            out.append(int(entry))
    return out
