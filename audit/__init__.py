"""Tamper-evident audit log: every state change is a leaf of an RFC 6962-style Merkle tree.

The pure parts (hashing, proofs, signed checkpoints, the standalone verifier) know nothing of
Flask or the database; `service.py` stores events and `cli.py` exposes `flask audit …`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the standalone verifier imports this package without Flask installed
    from flask import Flask


def register(app: Flask) -> None:
    from audit import cli, models  # noqa: F401  (models register their tables)

    app.cli.add_command(cli.audit_cli)
    schedule = app.config.setdefault("CELERY_BEAT_SCHEDULE", {})
    schedule.setdefault("audit-checkpoint", {"task": "audit.tasks.checkpoint", "schedule": 60.0})
    from audit import tasks  # noqa: F401
