"""The portal's timed step (the chronograph's `portal-remind`, every REMINDER_SWEEP_SECONDS, default
300): each active user's reminders due now are recorded in that user's own transaction and delivered
after its commit (`portal.reminders.remind_user`). `portal-statistics` rebuilds the rollup of each month a
change made stale (`portal.statistics.refresh_stale`); until then that month is read live."""

from __future__ import annotations

from accounts.models import User
from core.chronograph import Outcomes, Sweep, TimedStep
from portal.models import StatStale

SWEEP_SECONDS = 300.0


def _remind(user: User) -> int | None:
    from portal.reminders import remind_user

    return remind_user(user)


def _report(outcomes: dict[str, Outcomes]) -> dict:
    return {"reminded": sum(outcomes[REMIND.name].values())}


REMIND = TimedStep("portal.remind", User, _remind, where=lambda _now: User.active.is_(True), key="reminded",
                   lock=False)  # a reminder leaves the user alone: no row lock held while its needs are read
SWEEP = Sweep("portal-remind", SWEEP_SECONDS, (REMIND,), actor="system:portal.remind", report=_report)


def _refresh(row):
    from portal.statistics import refresh_stale

    return refresh_stale(row)


def _refresh_report(outcomes: dict[str, Outcomes]) -> dict:
    return {"refreshed": len(outcomes[REFRESH.name])}


STATISTICS_SECONDS = 300.0
REFRESH = TimedStep("portal.statistics_refresh", StatStale, _refresh, due=StatStale.marked_at, key="refreshed")
STATISTICS_SWEEP = Sweep("portal-statistics", STATISTICS_SECONDS, (REFRESH,), actor="system:portal.statistics",
                         report=_refresh_report)
