"""`flask serve`'s Celery worker (with its embedded beat), supervised (issue 10).

The worker runs `celery worker --beat`: beat is a child process of the worker, in the worker's own
process group. When the worker dies (killed, out of memory), that beat used to stay behind as an orphan
and keep scheduling the sweep; a worker started again next to it made two beats. The supervisor
therefore treats the process group as one unit:

- it starts the worker in a new session (its pid is the group id), records the group in a pid file
  under the instance folder, and asks the kernel to send the worker SIGTERM if `flask serve` itself dies;
- `check()` (called every second by `flask serve`) notices a dead worker, stops every process left in
  its group (SIGTERM, then SIGKILL) and waits until the group is empty before it starts a new worker,
  so there is never a second beat;
- at start-up a group left by an earlier `flask serve` that was killed outright (its pid file) is
  stopped first — only processes of that group that run Celery, so a reused group id is left alone.

Linux only (process groups are read from /proc), as the embedded default is.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def group_members(pgid: int, marker: str = "celery") -> list[int]:
    """Pids of the live (not zombie) processes of group `pgid` whose command line contains `marker`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        # an exiting process has already dropped its command line: still a member until it is gone
        if fields[0] != "Z" and int(fields[2]) == pgid and (marker in cmdline or not cmdline.strip()):
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, timeout: float = 10.0, marker: str = "celery") -> bool:
    """SIGTERM every Celery process of the group, SIGKILL what is left after `timeout`; True once empty."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        pids = group_members(pgid, marker)
        if not pids:
            return True
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not group_members(pgid, marker):  # a zombie (our dead worker, not yet polled) does not count
                return True
            time.sleep(0.05)
    return not group_members(pgid, marker)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the worker when `flask serve` dies (celery then stops its beat)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class WorkerSupervisor:
    """Start, watch, restart and stop one Celery worker process group."""

    def __init__(self, argv: Sequence[str], pid_file: str | os.PathLike[str], *, env: dict | None = None,
                 max_restarts: int = 20) -> None:
        self.argv, self.pid_file, self.env = list(argv), Path(pid_file), env
        self.process: subprocess.Popen | None = None
        self.restarts, self.max_restarts = 0, max_restarts

    def start(self) -> subprocess.Popen:
        """Stop a group an earlier serve left behind, then start the worker."""
        self._stop_leftover()
        self.process = subprocess.Popen(self.argv, start_new_session=True, preexec_fn=_die_with_parent,
                                        env=self.env)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{self.process.pid}\n")
        return self.process

    def _stop_leftover(self) -> None:
        try:
            pgid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if group_members(pgid):
            log.warning("stopping the Celery worker group %s left by an earlier flask serve", pgid)
            stop_group(pgid)
        self.pid_file.unlink(missing_ok=True)

    def check(self) -> bool:
        """If the worker died: empty its group (no orphaned beat), then start a new one. True if restarted."""
        if self.process is None or self.process.poll() is None:
            return False
        pgid = self.process.pid
        log.warning("Celery worker %s exited with %s; stopping what is left of its group", pgid,
                    self.process.returncode)
        if not stop_group(pgid):
            log.error("processes of Celery group %s survive SIGKILL: not starting another worker", pgid)
            self.process = None
            return False
        self.pid_file.unlink(missing_ok=True)
        if self.restarts >= self.max_restarts:
            log.error("Celery worker restarted %s times: giving up", self.restarts)
            self.process = None
            return False
        self.restarts += 1
        self.start()
        return True

    def stop(self) -> None:
        """Stop the worker's whole group (flask serve is exiting)."""
        if self.process is not None:
            stop_group(self.process.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=1)
            self.process = None
        self.pid_file.unlink(missing_ok=True)
