"""The portal's timed step (the chronograph's `portal-remind`, every REMINDER_SWEEP_SECONDS, default
300): each active user's reminders due now are recorded in that user's own transaction and delivered
after its commit (`portal.reminders.remind_user`)."""

from __future__ import annotations

from accounts.models import User
from core.chronograph import Outcomes, Sweep, TimedStep

SWEEP_SECONDS = 300.0


def _remind(user: User) -> int | None:
    from portal.reminders import remind_user

    return remind_user(user)


def _report(outcomes: dict[str, Outcomes]) -> dict:
    return {"reminded": sum(outcomes[REMIND.name].values())}


REMIND = TimedStep("portal.remind", User, _remind, where=lambda _now: User.active.is_(True), key="reminded",
                   lock=False)  # a reminder leaves the user alone: no row lock held while its needs are read
SWEEP = Sweep("portal-remind", SWEEP_SECONDS, (REMIND,), actor="system:portal.remind", report=_report)
