"""The agency registry: online sign-up through the pages, listing by completeness, the public list, changes
updated within the region's working days (the overdue warning by moving the frozen clock), the
supervisor's marks, bad input leaving nothing behind, and the API's stable codes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select
from tests_helpers import login

PASSWORD = "agency-pass-2026"


def uscc(n: int) -> str:
    from accounts.service import uscc_check_char

    body = f"91330329MA2{n:06d}"[:17]
    return body + uscc_check_char(body)


def sign_up_through_pages(client, n: int = 500, username: str = "xinda") -> None:
    """A new agency as a new user: the sign-up page, then TOTP enrolment (agency staff must)."""
    response = client.post("/agencies/signup", data={
        "org_name": "温州信达招标咨询有限公司", "uscc": uscc(n), "region_code": "330329", "username": username,
        "name": "陈信达", "phone": "13800000001", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/totp")
    assert client.get("/account/totp").status_code == 200
    with client.session_transaction() as session:
        secret = session["totp_pending_secret"]
    from core import clock

    response = client.post("/account/totp", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302 and response.headers["Location"].endswith("/agencies/mine")


def fill_in(client, staff: int = 5) -> None:
    response = client.post("/agencies/mine/particulars", data={
        "legal_rep": "陈信达", "address": "温州市鹿城区学院路 1 号", "contact_name": "陈信达",
        "contact_phone": "0577-88001122", "email": "xd@example.cn", "scope": "货物、服务类项目"})
    assert response.status_code == 302
    for i in range(staff):
        client.post("/agencies/mine/staff", data={"name": f"人员{i}", "id_last4": f"{1000 + i}", "title": "工程师"})


def listing():
    from core.db import db
    from registry.agencies.models import AgencyListing

    return db.session.scalar(select(AgencyListing).order_by(AgencyListing.id.desc()))


def test_an_agency_signs_up_and_is_listed_once_complete(app_ctx, region, client, clock):
    sign_up_through_pages(client)
    page = client.get("/agencies/mine").get_data(as_text=True)
    assert "登记尚未完成" in page and "专职人员（至少 5 名，已填 0 名）" in page

    fill_in(client, staff=4)
    client.post("/agencies/mine/submit")
    assert listing().status.value == "draft"  # four staff: the completeness check refuses
    assert "已填 4 名" in client.get("/agencies/mine").get_data(as_text=True)

    client.post("/agencies/mine/staff", data={"name": "人员4", "id_last4": "104X"})
    response = client.post("/agencies/mine/submit")
    assert response.status_code == 302
    assert listing().status.value == "listed" and listing().listed_at is not None

    client.post("/logout")
    public = client.get("/agencies")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "温州信达招标咨询有限公司" in text and "5 人" in text and "暂无评价" in text
    entries = client.get("/api/v1/agencies").get_json()
    assert [(e["name"], e["staff_count"], e["status"], e["rating"]) for e in entries] == [
        ("温州信达招标咨询有限公司", 5, "listed", None)]


def test_a_draft_is_not_on_the_public_list(app_ctx, region, client, clock):
    sign_up_through_pages(client)
    client.post("/logout")
    assert client.get("/api/v1/agencies").get_json() == []


@pytest.mark.parametrize(("field", "value", "code"), [
    ("uscc", "91330329MA2000001X", "uscc_invalid"),
    ("username", "陈", "username_invalid"),
    ("password2", "something-else", "password_mismatch"),
    ("region_code", "999999", "region_unknown"),
    ("org_name", "", "org_name_missing"),
])
def test_bad_sign_up_leaves_nothing(app_ctx, region, client, field, value, code):
    from accounts.models import Org, User
    from core.db import db

    data = {"org_name": "某代理公司", "uscc": uscc(600), "region_code": "330329", "username": "newagency",
            "name": "张三", "password": PASSWORD, "password2": PASSWORD, field: value}
    response = client.post("/api/v1/agencies/signup", json=data)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    assert db.session.scalar(select(func.count()).select_from(Org)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_duplicate_uscc_is_refused_and_nothing_is_stored(app_ctx, region, client, clock):
    from accounts.models import Org, User
    from core.db import db

    sign_up_through_pages(client, n=700)
    client.post("/logout")
    response = client.post("/api/v1/agencies/signup", json={
        "org_name": "另一家公司", "uscc": uscc(700), "region_code": "330329", "username": "other",
        "name": "李四", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "org_duplicate"
    assert db.session.scalar(select(func.count()).select_from(Org)) == 1
    assert db.session.scalar(select(User.id).where(User.username == "other")) is None
    page = client.post("/agencies/signup", data={"org_name": "另一家公司", "uscc": uscc(700), "region_code": "330329",
                                                 "username": "other", "name": "李四", "password": PASSWORD,
                                                 "password2": PASSWORD})
    assert page.status_code == 409 and "已有单位登记" in page.get_data(as_text=True)


@pytest.fixture
def listed(app_ctx, region, client, clock):
    sign_up_through_pages(client)
    fill_in(client)
    client.post("/agencies/mine/submit")
    assert listing().status.value == "listed"
    return listing()


def test_the_api_names_what_is_missing(app_ctx, region, client, clock):
    sign_up_through_pages(client)
    response = client.post("/api/v1/agencies/mine/submit")
    body = response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "listing_incomplete"
    assert "法定代表人" in body["error"]["details"]["missing"]
    assert client.get("/api/v1/agencies/mine").get_json()["status"] == "draft"


def test_an_overdue_update_warns_once_by_the_chronograph(listed, client, clock):
    """2026-11-27 (Fri) change: ten working days end 2026-12-11 (Fri) at midnight Beijing time."""
    from audit.service import payloads_of
    from core import chronograph
    from core.db import db

    response = client.post("/api/v1/agencies/mine/change", json={"changed_on": "2026-11-27", "note": "法定代表人变更"})
    assert response.status_code == 200
    assert response.get_json()["update_due_at"].startswith("2026-12-11T15:59:59")

    clock.set(clock.now().replace(year=2026, month=12, day=11, hour=15, minute=0))  # 23:00 Beijing, the last day
    assert chronograph.run_sweep("agency-sweep") == {"overdue": []}
    clock.advance(timedelta(hours=1, minutes=1))
    assert chronograph.run_sweep("agency-sweep") == {"overdue": [listed.id]}
    assert chronograph.run_sweep("agency-sweep") == {"overdue": []}  # once
    db.session.expire_all()
    assert payloads_of("registry.agency_update_overdue", listing())[0]["changed_on"] == "2026-11-27"
    assert "已逾期" in client.get("/agencies/mine").get_data(as_text=True)
    assert client.get("/api/v1/agencies").get_json()[0]["update_overdue"] is True

    assert client.post("/agencies/mine/change/finish").status_code == 302
    assert payloads_of("registry.agency_update_finished", listing()) == [{"changed_on": "2026-11-27", "late": True}]
    assert client.get("/api/v1/agencies").get_json()[0]["update_overdue"] is False


def test_the_update_period_is_the_regions_rule(listed, client, clock):
    from core.db import db
    from region_rules.store import set_values

    set_values(None, "330329", {"agency_update_workdays": 3}, effective_on=None)
    db.session.commit()
    response = client.post("/api/v1/agencies/mine/change", json={"changed_on": "2026-11-27", "note": "地址变更"})
    assert response.get_json()["update_due_at"].startswith("2026-12-02T15:59:59")


@pytest.mark.parametrize(("payload", "code"), [
    ({"changed_on": "2026-12-25", "note": "x"}, "change_date_future"),
    ({"changed_on": "2026-11-20", "note": "  "}, "change_note_missing"),
])
def test_bad_changes_are_refused(listed, client, payload, code):
    response = client.post("/api/v1/agencies/mine/change", json=payload)
    assert response.get_json()["error"]["code"] == code
    assert listing().change_on is None


def test_a_listed_agency_keeps_its_minimum_staff(listed, client):
    staff_id = listing().staff[0].id
    response = client.delete(f"/api/v1/agencies/mine/staff/{staff_id}")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "staff_below_minimum"
    client.post("/api/v1/agencies/mine/staff", json={"name": "新人", "id_last4": "9999"})
    assert client.delete(f"/api/v1/agencies/mine/staff/{staff_id}").status_code == 200
    assert len(listing().staff) == 5


def test_the_supervisor_marks_with_a_reason(listed, client, make_user):
    from audit.service import payloads_of

    client.post("/logout")
    supervisor = make_user("supervisor", org_kind="finance")
    login(client, supervisor)
    assert "温州信达招标咨询有限公司" in client.get("/agencies/manage").get_data(as_text=True)
    response = client.post(f"/api/v1/agencies/{listed.id}/mark", json={"mark": "suspend", "reason": " "})
    assert response.get_json()["error"]["code"] == "reason_missing"
    assert client.post(f"/agencies/{listed.id}/mark", data={"mark": "suspend", "reason": "违规收费"}).status_code == 302
    assert listing().status.value == "suspended" and listing().mark_reason == "违规收费"
    assert payloads_of("registry.agency_marked", listing()) == [{"mark": "suspend", "reason": "违规收费"}]
    assert "违规收费" in client.get("/agencies").get_data(as_text=True)
    client.post(f"/agencies/{listed.id}/mark", data={"mark": "remove", "reason": "移出"})
    assert listing().status.value == "removed"
    assert client.get("/api/v1/agencies").get_json() == []
    response = client.post(f"/api/v1/agencies/{listed.id}/mark", json={"mark": "restore", "reason": "恢复"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "listing_transition_refused"


def test_a_supervisor_of_another_region_may_not_mark(listed, client, make_user):
    from accounts.models import Region, RegionLevel
    from core.db import db

    db.session.add(Region(code="330100", name="杭州市", level=RegionLevel.CITY, parent_code="330000"))
    db.session.commit()
    client.post("/logout")
    stranger = make_user("supervisor")
    stranger.region_code = "330100"
    db.session.commit()
    login(client, stranger)
    response = client.post(f"/api/v1/agencies/{listed.id}/mark", json={"mark": "suspend", "reason": "x"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_overseer"


@pytest.mark.parametrize(("role", "path", "status"), [
    ("agency_staff", "/agencies/manage", 403),
    ("purchaser", "/agencies/mine", 403),
    ("supplier", "/agencies/manage", 403),
    ("supervisor", "/agencies/manage", 200),
    ("admin", "/agencies/manage", 200),
    ("purchaser", "/agencies/ratings", 200),
    ("expert", "/agencies/ratings", 200),
    ("supplier", "/agencies/ratings", 200),
    ("agency_staff", "/agencies/ratings", 403),
    ("agency_staff", "/api/v1/agencies/mine", 404),  # staff of an org with no listing
])
def test_who_may_reach_the_registry(login_as, client, role, path, status):
    login_as(role, org_kind="agency" if role == "agency_staff" else None)
    assert client.get(path).status_code == status


def test_only_the_agencys_administrator_keeps_its_listing(listed, client, make_user):
    from core.db import db

    client.post("/logout")
    colleague = make_user("agency_staff", totp=True)  # staff of the agency, not its administrator
    colleague.org_id = listed.org_id
    db.session.commit()
    login(client, colleague)
    response = client.put("/api/v1/agencies/mine", json={"legal_rep": "冒名"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_org_admin"
    assert listing().legal_rep == "陈信达"


def test_a_bad_date_on_the_page_is_a_message(listed, client):
    response = client.post("/agencies/mine/change", data={"changed_on": "2026/11/27", "note": "x"},
                           follow_redirects=True)
    assert "日期格式应为 2026-12-01" in response.get_data(as_text=True)
    assert listing().change_on is None


def test_the_supervisors_api_lists_drafts_too(app_ctx, region, client, make_user, clock):
    sign_up_through_pages(client)
    client.post("/logout")
    login(client, make_user("supervisor", org_kind="finance"))
    assert [(x["name"], x["status"]) for x in client.get("/api/v1/agencies/overseen").get_json()] == [
        ("温州信达招标咨询有限公司", "draft")]


def test_the_overdue_warning_reaches_the_agency_and_its_supervisors_after_the_commit(
        listed, client, clock, make_user, monkeypatch):
    from core import chronograph, tasks

    supervisor = make_user("supervisor", org_kind="finance")
    client.post("/api/v1/agencies/mine/change", json={"changed_on": "2026-11-27", "note": "股东变更"})
    messaged = []
    monkeypatch.setattr(tasks, "emit_message",
                        lambda m, users, orgs, **_: messaged.append((m["title"], set(users), set(orgs))))
    clock.advance(timedelta(days=30))
    assert chronograph.run_sweep("agency-sweep") == {"overdue": [listed.id]}
    assert messaged == [("代理机构信息逾期未更新", {supervisor.id}, {listed.org_id})]
    assert chronograph.run_sweep("agency-sweep") == {"overdue": []} and len(messaged) == 1
