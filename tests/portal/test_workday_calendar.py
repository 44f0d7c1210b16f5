"""Issue 12, the working-day calendar: a supervisor adds next year from the State Council's notice on a
page (checked, compared with a second source, audited, never overwriting a year), every process counts
with it, and from 1 October the supervisors are asked for the missing year."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select

from core import workdays

HOLIDAYS_2027 = "2027-01-01..2027-01-03\n2027-02-06..2027-02-12\n2027-04-05"
SOURCE = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"


@pytest.fixture(autouse=True)
def _packaged_calendar_after(app):
    """Years a test stored are gone with its rows; the process calendar must forget them too."""
    yield
    from core.db import db
    from portal import workday_calendar

    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(workday_calendar.WorkdayYear))
        db.session.commit()
        workday_calendar.refresh(force=True)


def _post(client, **form):
    data = {"year": "2027", "holidays": HOLIDAYS_2027, "workdays": "2027-02-14", "source": SOURCE, **form}
    return client.post("/supervision/calendar", data=data)


def test_a_supervisor_adds_next_year_and_every_period_counts_with_it(app, client, login_as, clock):
    from audit.models import AuditEvent
    from core.db import db
    from portal.workday_calendar import WorkdayYear

    login_as("supervisor")
    page = client.get("/supervision/calendar").get_data(as_text=True)
    assert 'id="calendar-missing"' in page and "2027" in page
    assert "添加 2027 年的法定节假日安排" in client.get("/dashboard").get_data(as_text=True)
    assert not workdays.get_calendar().covers(date(2027, 2, 8))

    preview = _post(client).get_data(as_text=True)
    assert 'id="calendar-preview"' in preview and 'id="second-source-none"' in preview
    assert "2027-02-09" in preview  # the break's days are spelled out for checking
    with app.app_context():
        assert db.session.scalar(select(WorkdayYear)) is None  # a preview stores nothing

    saved = _post(client, confirm="1")
    assert saved.status_code == 302
    cal = workdays.get_calendar()
    assert cal.covers(date(2027, 2, 8)) and not cal.is_workday(date(2027, 2, 8))  # Monday in the break
    assert cal.is_workday(date(2027, 2, 14))  # Sunday worked in exchange
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 14)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.year_added"))
        assert json.loads(event.payload)["holidays"][:3] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    page = client.get("/supervision/calendar").get_data(as_text=True)
    assert 'id="calendar-missing"' not in page and SOURCE in page
    assert "添加 2027 年的法定节假日安排" not in client.get("/dashboard").get_data(as_text=True)

    again = _post(client, confirm="1").get_data(as_text=True)  # a year is never overwritten
    assert "不能覆盖" in again
    with app.app_context():
        assert len(db.session.scalars(select(WorkdayYear)).all()) == 1


@pytest.mark.parametrize(("form", "words"), [
    ({"workdays": "2027-02-15"}, "调休上班日只能是周六或周日"),        # a Monday
    ({"holidays": "2028-01-01"}, "不在 2027 年内"),
    ({"holidays": "2027-02-30"}, "不是日期"),
    ({"holidays": "2027-02-12..2027-02-06"}, "不是日期"),
    ({"holidays": "2027-01-01\n2027-01-01"}, "写了两次"),
    ({"holidays": "2027-02-06", "workdays": "2027-02-06"}, "既是放假日又是调休上班日"),
    ({"holidays": ""}, "请填写 2027 年的法定节假日"),
    ({"year": "27"}, "年份应为四位数字"),
    ({"year": "2026", "holidays": "2026-01-01", "workdays": ""}, "已有 2026 年"),  # in the packaged file
    ({"source": " ", "confirm": "1"}, "请写明依据的通知"),
])
def test_a_wrong_year_is_refused_in_words_and_nothing_is_stored(app, client, login_as, clock, form, words):
    from core.db import db
    from portal.workday_calendar import WorkdayYear

    login_as("supervisor")
    page = _post(client, **form)
    assert page.status_code == 200
    assert words in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(WorkdayYear)) is None
    assert not workdays.get_calendar().covers(date(2027, 1, 1))


def test_only_supervisors_add_years(client, login_as, clock):
    login_as("agency_staff")
    assert client.get("/supervision/calendar").status_code == 403
    assert _post(client, confirm="1").status_code == 403
    assert not workdays.get_calendar().covers(date(2027, 1, 1))


def test_the_second_source_names_each_day_that_differs():
    from portal.workday_calendar import second_source

    cal = workdays.get_calendar()
    holidays = sorted(d for d in cal.holidays if d.year == 2026)
    makeup = sorted(d for d in cal.makeup_workdays if d.year == 2026)
    assert second_source(2026, holidays, makeup) == {"missing_holidays": [], "extra_holidays": [],
                                                      "missing_workdays": [], "extra_workdays": []}
    dropped = next(d for d in holidays if d.weekday() < 5)
    differs = second_source(2026, [d for d in holidays if d != dropped], [*makeup[1:], date(2026, 3, 7)])
    assert differs["missing_holidays"] == [dropped]
    assert differs["missing_workdays"] == [makeup[0]] and differs["extra_workdays"] == [date(2026, 3, 7)]
    assert second_source(2031, [date(2031, 1, 1)], []) is None  # a year it does not know


def test_the_missing_year_is_asked_for_from_the_first_of_october(app, clock):
    from portal.workday_calendar import missing_next_year

    with app.app_context():
        assert missing_next_year(date(2026, 9, 30)) is None
        assert missing_next_year(date(2026, 10, 1)) == 2027
        assert missing_next_year(date(2025, 10, 1)) is None  # 2026 is in the packaged file
        clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 Beijing time
        assert missing_next_year() == 2027


def test_a_year_stored_by_another_process_is_counted_here_and_in_tasks(app, make_user, clock):
    """The web process that saved the year refreshes at once; the others within WORKDAY_RELOAD_SECONDS,
    a worker before each task."""
    from core.db import db
    from core.tasks import send_message
    from portal import workday_calendar
    from portal.workday_calendar import WorkdayYear

    user = make_user("supervisor")
    with app.app_context():
        workday_calendar.refresh(force=True)
        db.session.add(WorkdayYear(year=2027, holidays=json.dumps(["2027-01-01"]), workdays="[]", source=SOURCE,
                                   note="", added_by_id=user.id, added_at=clock.now()))
        db.session.commit()
        assert not workdays.get_calendar().covers(date(2027, 1, 1))  # this process checked a moment ago
        app.config["WORKDAY_RELOAD_SECONDS"] = 0  # as if the reload interval had passed
        try:
            send_message.delay({"title": "x", "body": "y", "level": "info"}, user_ids=[user.id])
        finally:
            app.config.pop("WORKDAY_RELOAD_SECONDS")
        assert workdays.get_calendar().covers(date(2027, 1, 1))
