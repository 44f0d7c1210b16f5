"""Tamper-evident audit log: every state change is a leaf of an RFC 6962-style Merkle tree.

The pure parts know nothing of Flask or the database: `canonical` (an event's bytes), `merkle` (the
tree, its proofs), `checkpoint` (signed tree heads), `statements` (other signed statements: the bid
receipt) and `verifier` (the standalone `python -m audit.verifier`). On top of them: `models` (the
append-only events, the tree head, checkpoints), `service` (`record` writes an event in the
caller's transaction; reading and checking the log), `tasks` (the periodic checkpoint), `views`
(the public key, page and API) and `cli` (`flask audit …`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the standalone verifier imports this package without Flask installed
    from flask import Flask


def register(app: Flask) -> None:
    from audit import cli, models, views  # noqa: F401  (models register their tables)
    from core.extensions import api as rest_api

    app.register_blueprint(views.bp)
    rest_api.register_blueprint(views.blp)
    app.context_processor(views.fingerprint_context)
    app.cli.add_command(cli.audit_cli)
    schedule = app.config.setdefault("CELERY_BEAT_SCHEDULE", {})
    schedule.setdefault("audit-checkpoint", {"task": "audit.tasks.checkpoint", "schedule": 60.0})
    from audit import tasks  # noqa: F401
