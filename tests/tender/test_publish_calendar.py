"""Issue 12, the working-day calendar at publication: a project whose periods fall in a year the calendar
lacks says so on its page and is published only with the agency's confirmation naming the year, unless
a supervisor has added that year in the meantime."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete
from tests_helpers import login


@pytest.fixture
def project_in_2027(world, make_project, clock):
    # 2026-11-27 + 40 days: the deadline is 2027-01-06, a year the packaged calendar does not cover
    return make_project(publish=False, deadline=(clock.now() + timedelta(days=40)).isoformat(),
                        confirm_uncovered_year=2027)


@pytest.fixture
def stored_years_forgotten(app):
    yield
    from core.db import db
    from portal import workday_calendar

    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(workday_calendar.WorkdayYear))
        db.session.commit()
        workday_calendar.refresh(force=True)


def test_publishing_into_an_uncovered_year_needs_the_year_confirmed(app, client, world, project_in_2027):
    from core.db import db
    from tender.models import Project

    login(client, world.agency)
    url = f"/tender/{project_in_2027.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="uncovered-years"' in page and "2027" in page and 'name="confirm_uncovered_year"' in page
    assert 'data-confirm-title="发布采购项目"' in page  # publishing is confirmed before it is sent

    refused = client.post(f"{url}/publish", data={"confirm_uncovered_year": "2028"}, follow_redirects=True)
    assert "工作日历尚未载入 2027 年" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Project, project_in_2027.id).status.value == "draft"

    client.post(f"{url}/publish", data={"confirm_uncovered_year": "2027"})
    with app.app_context():
        assert db.session.get(Project, project_in_2027.id).status.value != "draft"


def test_once_a_supervisor_adds_the_year_no_confirmation_is_asked(app, client, world, project_in_2027,
                                                                  stored_years_forgotten):
    from core.db import db
    from portal import workday_calendar
    from tender.models import Project

    supervisor = world.custodians[0][0]
    with app.test_request_context():
        workday_calendar.add_year(db.session.merge(supervisor), 2027, [date(2027, 1, 1)], [],
                                  source="国务院办公厅关于2027年部分节假日安排的通知（测试用）")
        db.session.commit()
        workday_calendar.refresh(force=True)
    login(client, world.agency)
    url = f"/tender/{project_in_2027.id}"
    assert 'id="uncovered-years"' not in client.get(url).get_data(as_text=True)
    client.post(f"{url}/publish")
    with app.app_context():
        assert db.session.get(Project, project_in_2027.id).status.value != "draft"
