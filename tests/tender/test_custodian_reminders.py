"""Issue 13 §1: a key custodian of any role sees a custodian card and "需要您处理" with the time left, and is
reminded before the opening on the platform's channels, once per lead time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tests_helpers import login


def test_a_supervisor_custodian_sees_the_card_and_the_need(world, make_project, client, clock):
    project = make_project()
    keeper = world.custodians[0][0]  # a supervisor (caijian in the demo), not agency staff
    login(client, keeper)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "密钥保管" in page and project.title in page  # the card, which only agency staff had
    assert "需要您处理" in page and "开标时提交密钥份额" in page
    assert "还剩 21 天" in page  # the deadline is 21 days away (tender_helpers.project_data)


def test_the_need_goes_once_the_opening_is_over(app, world, make_project, clock):
    from portal.needs import needs_for
    from tender.transitions import ProjectStatus

    project = make_project()
    keeper = world.custodians[0][0]
    def tender_needs() -> list[str]:  # a supervisor also has needs of other kinds (next year's calendar)
        return [n.key for n in needs_for(keeper) if n.key.startswith("tender.")]

    with app.test_request_context():
        assert tender_needs() == [f"tender.custody:{project.id}"]
        project.status = ProjectStatus.OPENED
        assert tender_needs() == []


def test_reminders_before_the_opening_once_per_lead_with_the_time_left(app, world, make_project, clock):
    from core.db import db
    from expert_draw.notify import LogChannel
    from portal import reminders
    from portal.models import ReminderSent
    from portal.tasks import remind

    project = make_project()
    keeper = world.custodians[0][0]
    LogChannel.sent.clear()
    assert remind.apply().get() == 0  # 21 days before: nothing yet
    clock.set(project.deadline - timedelta(hours=23))
    assert remind.apply().get() == 2  # both custodians, the one-day lead
    texts = [m.text for m in LogChannel.sent]
    assert any(project.title in t and "还剩 23 小时" in t and "开标时提交密钥份额" in t for t in texts), texts
    assert remind.apply().get() == 0  # idempotent: the same lead is not repeated
    clock.set(project.deadline - timedelta(minutes=90))
    assert remind.apply().get() == 2  # the two-hour lead
    assert "还剩 1 小时 30 分钟" in LogChannel.sent[-1].text
    rows = db.session.scalars(select(ReminderSent).where(ReminderSent.user_id == keeper.id)).all()
    assert sorted(r.lead_minutes for r in rows) == [120, 1440]
    clock.set(project.deadline + timedelta(minutes=1))
    assert reminders.send_due_reminders() == []  # past the deadline: no reminder, the need says so itself


def test_the_reminders_are_a_chronograph_step_delivered_after_each_users_commit(app, world, make_project, clock):
    """Issue 14: `portal-remind` is a declared sweep; a user's reminders go out only once their rows commit."""
    from core import after_commit, chronograph
    from core.db import db
    from expert_draw.notify import LogChannel
    from portal import reminders

    assert app.config["CELERY_BEAT_SCHEDULE"]["portal-remind"]["task"] == "core.chronograph"
    project = make_project()
    after_commit.run_followups()  # what the set-up's commits declared
    keeper = world.custodians[0][0]
    clock.set(project.deadline - timedelta(hours=23))
    LogChannel.sent.clear()
    assert reminders.remind_user(keeper) == 1 and LogChannel.sent == []
    db.session.rollback()  # dropped: neither recorded nor sent
    assert after_commit.run_followups() == 0 and LogChannel.sent == []
    assert chronograph.run_sweep("portal-remind") == {"reminded": 2}  # both custodians, each its own commit
    assert len([m for m in LogChannel.sent if project.title in m.text]) == 2
