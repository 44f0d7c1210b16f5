"""Celery tasks of the core: `send_message` sends a real-time message (消息) to users and organisations;
`chronograph` runs the packages' timed steps (core/chronograph.py), one sweep per beat entry."""

from __future__ import annotations

from celery import shared_task

from core.messages import emit_message


@shared_task(bind=True, name="core.tasks.send_message")
def send_message(self, message: dict, user_ids: list[int] | None = None, org_ids: list[int] | None = None):
    """Show `message` ({"title", "body", "level", "url"}) to these users and organisations now.

    Call it after the commit: `send_message.delay(message, user_ids=[...], org_ids=[...])`. In a
    worker the message goes through the Socket.IO message queue to every web process; run eagerly
    it is emitted by this process. A re-delivered task repeats the message's id, and the browser
    shows each id once.
    """
    if not message.get("id"):
        message = {**message, "id": self.request.id or None}
    sent = emit_message(message, user_ids or (), org_ids or (), external=not self.request.is_eager)
    return sent["id"] if sent else None


@shared_task(name="core.chronograph", ignore_result=True)
def chronograph(sweep: str | None = None) -> dict:
    """Run one declared sweep under its lock (the beat passes its name), or every sweep once."""
    from core import chronograph as kit

    return kit.run_sweep(sweep) if sweep else kit.run_all()
