"""Reminders before each deadline of a need (`portal.needs`), on the channels the platform has: the
in-browser message (`core.tasks.send_message`, Socket.IO), and SMS / e-mail through the configured gateways of
`expert_draw.notify.channels` (EXPERT_DRAW_CHANNELS, the same ones that tell drawn experts).

`REMINDER_LEADS_MINUTES` (default 1440 and 120: a day and two hours before) are the lead times; a need
due within a lead time is reminded once for that lead (a `ReminderSent` row, audited), with the time
left. The sweep runs under Celery beat every few minutes and is idempotent: run twice, it sends nothing
new. It is the chronograph's `portal-remind` sweep (`portal.timed`): each active user who holds a role is
one transaction (`remind_user`), whose reminders are delivered after its commit; each needs source is a
handful of indexed queries.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select

from accounts.models import User
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from portal.models import ReminderSent
from portal.needs import Need, needs_for, time_left

DEFAULT_LEADS_MINUTES = (1440, 120)


def leads() -> list[int]:
    raw = current_app.config.get("REMINDER_LEADS_MINUTES") or DEFAULT_LEADS_MINUTES
    if isinstance(raw, str):
        raw = [int(x) for x in raw.split(",") if x.strip()]
    return sorted({int(x) for x in raw}, reverse=True)


def reminder_text(need: Need) -> str:
    """The reminder's words, in the locale in force: what, about what, the deadline, the time left."""
    return gettext("【标云】提醒：%(action)s：%(title)s。截止 %(at)s（北京时间），%(left)s。", action=need.action,
                   title=need.title, at=clock.format_local(need.due_at), left=time_left(need.due_at))


def due_reminders(user: User) -> list[tuple[Need, int]]:
    """(need, lead) pairs of this user to send now: due within the lead, not past, not sent yet."""
    now = clock.now()
    out = []
    sent = {(r.need_key, r.lead_minutes, r.due_at) for r in db.session.scalars(
        select(ReminderSent).where(ReminderSent.user_id == user.id))}
    for need in needs_for(user):
        if need.due_at is None or need.due_at <= now:
            continue
        # Only the shortest lead already reached: a need found 1 h before its deadline gets one reminder.
        reached = [lead for lead in leads() if need.due_at - now <= timedelta(minutes=lead)]
        if reached and (need.key, min(reached), need.due_at) not in sent:
            out.append((need, min(reached)))
    return out


def send_due_reminders() -> list[dict]:
    """Record every reminder due now (one transaction with its audit events); returns what to send after
    the commit: [{"user_id", "phone", "email", "message"}]. The caller commits, then `deliver`s."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    return [r for user in users for r in record_due_reminders(user)]


def remind_user(user: User) -> int | None:
    """The chronograph's step for one user: record the reminders due now (audited) and deliver them once
    this user's transaction has committed. Returns how many (None: nothing was due)."""
    due = record_due_reminders(user)
    if not due:
        return None
    after_commit(deliver, due)
    return len(due)


def record_due_reminders(user: User) -> list[dict]:
    """Record this user's reminders due now with their audit events; returns what to deliver after the commit."""
    if not user.roles:
        return []
    out = []
    # Links are built with url_for, which needs a request even in a Celery worker.
    with current_app.test_request_context(), force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        due = [(need, lead, reminder_text(need)) for need, lead in due_reminders(user)]
    for need, lead, text in due:
        row = ReminderSent(user_id=user.id, need_key=need.key, lead_minutes=lead, due_at=need.due_at,
                           sent_at=clock.now())
        db.session.add(row)
        db.session.flush()
        record("portal.reminder_sent", row, {"user": user.id, "need": need.key, "lead_minutes": lead,
                                              "due_at": need.due_at.isoformat()})
        out.append({"user_id": user.id, "phone": user.phone or "", "email": None,  # users hold no e-mail yet
                    "message": {"title": need.action, "body": text,
                               "level": "warning", "url": need.url}})
    return out


def deliver(reminders: list[dict], *, external: bool = False) -> int:
    """After the commit: the in-browser message, then each configured SMS / e-mail channel. `external`
    (a command run outside the web process) publishes the message on the Socket.IO message queue itself."""
    from core.links import absolute
    from core.messages import emit_message
    from core.tasks import send_message
    from expert_draw.notify import Message, send_everywhere

    sent = 0
    for r in reminders:
        if external:
            emit_message(r["message"], [r["user_id"]], external=True)
        else:
            send_message.delay(r["message"], user_ids=[r["user_id"]])
        url = r["message"].get("url")
        text = f'{r["message"]["body"]} {absolute(url)}' if url else r["message"]["body"]
        message = Message(phone=r["phone"], email=r["email"], subject=r["message"]["title"], text=text)
        sent += send_everywhere(message, current_app.config, "reminder")
    return sent
