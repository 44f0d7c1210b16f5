"""Pages and the sealed-names permission table."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests_helpers import login, totp_code

from audit.models import AuditEvent
from core.db import db
from expert_draw import service
from expert_draw.models import InvitationStatus, RequestStatus


@pytest.fixture
def drawn(world, make_expert, make_request):
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    service.run_draw(service.commit_draw(world.users["agency"], req), world.users["supervisor"], "123456")
    db.session.commit()
    return req


def clock_text(at) -> str:
    from core import clock

    return clock.format_local(at)


def names_looks() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "expert_draw.names_viewed")
    )


# (user key, before the evaluation: detail status, sees names; after the start: sees names)
PERMISSIONS = [
    ("supervisor", 200, True, True),
    ("agency", 200, False, True),
    ("purchaser", 200, False, True),
    ("supplier", 200, False, False),  # a bidder learns the names with the result notice only (issue 11)
    ("reviewer", 200, False, False),
    ("outsider", 403, False, False),
    ("other_agency", 403, False, False),
    ("other_supervisor", 403, False, False),  # supervisors oversee their own region only
    ("city_supervisor", 200, True, True),  # and the regions below it
]


@pytest.mark.parametrize(("who", "status", "names_before", "names_after"), PERMISSIONS)
def test_sealed_names_permission_table(world, drawn, client, clock, who, status, names_before, names_after):
    user = world.users[who]
    login(client, user)
    detail = client.get(f"/expert-draw/{drawn.id}")
    assert detail.status_code == status
    first = drawn.invitations[0].expert.name
    if status != 200:
        assert client.get(f"/expert-draw/{drawn.id}/names").status_code in (403, 302)
        return
    assert first not in detail.get_data(as_text=True)
    looks = names_looks()
    page = client.get(f"/expert-draw/{drawn.id}/names")
    assert (first in page.get_data(as_text=True)) == names_before
    assert names_looks() == looks + (1 if names_before else 0)  # every look before the start is audited
    clock.advance(timedelta(days=3, hours=1))
    login(client, user)
    page = client.get(f"/expert-draw/{drawn.id}/names")
    assert (first in page.get_data(as_text=True)) == names_after


def test_api_view_is_decided_by_the_same_serializer(world, drawn, client):
    login(client, world.users["agency"])
    body = client.get(f"/api/v1/draw-requests/{drawn.id}").get_json()
    assert body["visibility"] == "counts" and "name" not in body["members"][0]
    assert body["seats"][0]["states"] == {"invited": 5, "standby": 1}


def test_expert_sees_time_and_place_not_suppliers_and_replies(world, drawn, client):
    inv = next(i for i in drawn.invitations if i.status == InvitationStatus.INVITED)
    login(client, inv.expert.account)
    page = client.get("/expert-draw/my").get_data(as_text=True)
    assert "评标室" in page and "云帆" not in page and "新锐" not in page
    assert client.get(f"/expert-draw/{drawn.id}").status_code == 403
    reply = client.post(f"/expert-draw/reply/{inv.reply_code}", data={"answer": "confirm"})
    assert reply.status_code == 302
    db.session.refresh(inv)
    assert inv.status == InvitationStatus.CONFIRMED
    # issue 13 §10: the confirmed evaluation ahead stays on the dashboard with its next step
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "已确认参加" in dashboard and clock_text(drawn.evaluation_start_at) in dashboard
    other = next(i for i in drawn.invitations if i.status == InvitationStatus.INVITED)
    assert client.get(f"/expert-draw/reply/{other.reply_code}").status_code == 404  # not theirs


def test_agency_requests_and_supervisor_draws_through_the_pages(world, make_expert, client):
    for _ in range(6):
        make_expert(["B01"])
    login(client, world.users["agency"])
    form = {
        "title": "罗阳镇道路照明设备采购",
        "purchaser_org_id": str(world.orgs["purchaser"].id),
        "method": "public_tender",
        "budget": "800000.00",
        "supplier_org_ids": [str(world.orgs["s1"].id)],
        "evaluation_start_at": "2026-11-30 09:00",
        "place": "交易中心 3 楼",
        "purchaser_reps": "0",
        "specialty_0": "B01",
        "primary_0": "5",
        "backup_0": "1",
    }
    created = client.post("/expert-draw/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    request_id = int(created.headers["Location"].rsplit("/", 1)[1])
    bad = client.post("/expert-draw/new", data=form | {"primary_0": "4"})
    assert bad.status_code == 422 and "单数" in bad.get_data(as_text=True)
    assert client.post(f"/expert-draw/{request_id}/commit").status_code == 302
    req = service.get_request(request_id)
    draw = req.draws[0]
    supervisor = world.users["supervisor"]
    ran = client.post(
        f"/expert-draw/draws/{draw.id}/run",
        data={
            "supervisor_username": supervisor.username,
            "supervisor_code": totp_code(supervisor),
            "supervisor_input": "98765432",
        },
    )
    assert ran.status_code == 302
    db.session.refresh(req)
    assert req.status == RequestStatus.DRAWN
    result = client.get(f"/expert-draw/draws/{draw.id}/audit.json")
    assert [e["action"] for e in result.get_json()["events"]][:2] == ["expert_draw.committed", "expert_draw.drawn"]


def test_dashboard_panels_and_nav(world, drawn, client):
    login(client, world.users["agency"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "专家抽取" in page and drawn.project_title in page
    inv = next(i for i in drawn.invitations if i.status == InvitationStatus.INVITED)
    login(client, inv.expert.account)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "评审邀请" in page and inv.reply_code in page


def test_api_request_draw_and_reply(world, make_expert, client, app):
    from tests_helpers import PASSWORD  # noqa: F401  (login through the pages for the session)

    for _ in range(6):
        make_expert(["B01"])
    login(client, world.users["agency"])
    body = {
        "title": "API 项目",
        "purchaser_org_id": world.orgs["purchaser"].id,
        "budget_fen": 100_000_00,
        "evaluation_start_at": "2026-11-30T09:00:00+08:00",
        "place": "评标室",
        "specialties": [{"code": "B01", "primary": 5, "backup": 1}],
    }
    created = client.post("/api/v1/draw-requests", json=body)
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert (
        client.post("/api/v1/draw-requests", json=body | {"evaluation_start_at": "tomorrow"}).get_json()["error"][
            "code"
        ]
        == "time_invalid"
    )
    assert (
        client.post("/api/v1/draw-requests", json=body | {"specialties": [{"code": "B01", "primary": 4}]}).get_json()[
            "error"
        ]["code"]
        == "committee_even"
    )
    draw = client.post(f"/api/v1/draw-requests/{request_id}/draws").get_json()
    refused = client.post(f"/api/v1/draws/{draw['draw_id']}/run", json={"supervisor_input": "123456"})
    assert refused.status_code == 403
    login(client, world.users["supervisor"])
    ran = client.post(f"/api/v1/draws/{draw['draw_id']}/run", json={"supervisor_input": "123456"})
    assert ran.status_code == 200 and ran.get_json()["status"] == "drawn"
    inv = next(i for i in service.get_request(request_id).invitations if i.status == InvitationStatus.INVITED)
    login(client, inv.expert.account)
    mine = client.get("/api/v1/expert-invitations").get_json()
    assert mine[0]["place"] == "评标室" and "title" not in mine[0]
    declined = client.post(f"/api/v1/expert-invitations/{inv.id}/decline", json={"reason": "出差"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        ("agency", ["/expert-draw/", "/expert-draw/new", "/expert-draw/{rid}", "/expert-draw/{rid}/status.json"]),
        (
            "supervisor",
            [
                "/expert-draw/",
                "/expert-draw/{rid}",
                "/expert-draw/draws/{did}/exclusions",
                "/expert-draw/draws/{did}/audit.json",
                "/experts/",
                "/api/v1/experts",
            ],
        ),
        ("reviewer", ["/expert-draw/", "/experts/", "/experts/import"]),
        ("purchaser", ["/expert-draw/", "/expert-draw/{rid}"]),
    ],
)
def test_pages_render_without_inline_script_or_style(world, drawn, client, who, paths):
    login(client, world.users[who])
    for path in paths:
        response = client.get(path.format(rid=drawn.id, did=drawn.draws[0].id))
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert "<script>" not in text and " style=" not in text and "onclick" not in text, path


def test_expert_pages_render(world, drawn, client):
    inv = next(i for i in drawn.invitations if i.status == InvitationStatus.INVITED)
    login(client, inv.expert.account)
    for path in (
        "/expert-draw/my",
        f"/expert-draw/reply/{inv.reply_code}",
        "/experts/me",
        "/experts/register",
        "/api/v1/experts/me",
        "/api/v1/expert-invitations",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/expert-draw/").status_code == 403


def test_rules_page_shows_and_changes_the_rule_table(world, client):
    login(client, world.users["supervisor"])
    assert "评审委员会最少人数" in client.get("/expert-draw/rules").get_data(as_text=True)
    saved = client.post(
        "/expert-draw/rules",
        data={
            "region_code": "330329",
            "age_limit": "65",
            "allow_fallback": "on",
            "weighting": "A:2,B:1,C:1",
            "exempt_methods": "competitive_negotiation",
            "effective_on": "2026-11-27",
        },
    )
    assert saved.status_code == 302
    rule = service.rule_for("330329")
    assert rule.region_code == "330329" and rule.age_limit == 65 and rule.version == 1 and rule.weights()["A"] == 2
    bad = client.post("/expert-draw/rules", data={"region_code": "330329", "min_committee": "4"}, follow_redirects=True)
    assert "单数" in bad.get_data(as_text=True)
    login(client, world.users["reviewer"])
    assert client.get("/expert-draw/rules").status_code == 200
    assert client.post("/expert-draw/rules", data={"age_limit": "60"}).status_code == 403


def test_agency_records_a_no_show_after_the_start(world, drawn, client, clock):
    from registry.experts.service import credit_points

    inv = next(i for i in drawn.invitations if i.status == InvitationStatus.INVITED)
    service.confirm_invitation(inv.expert.account, inv)
    db.session.commit()
    login(client, world.users["agency"])
    early = client.post(f"/expert-draw/invitations/{inv.id}/no-show", follow_redirects=True)
    assert "只能在评审开始后" in early.get_data(as_text=True)
    clock.advance(timedelta(days=3))
    login(client, world.users["agency"])
    assert "登记缺席" in client.get(f"/expert-draw/{drawn.id}").get_data(as_text=True)
    assert client.post(f"/expert-draw/invitations/{inv.id}/no-show").status_code == 302
    assert credit_points(inv.expert, clock.now()) == 6


def test_only_a_supervisor_of_the_region_types_the_number(world, make_expert, make_request):
    from core.errors import Forbidden

    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    with pytest.raises(Forbidden):
        service.run_draw(draw, world.users["other_supervisor"], "123456")
    db.session.rollback()


def _publish_result_for(world, req):
    """A real tender project behind the request, with its result notice published (tender.service)."""
    from core import clock
    from notices import kinds
    from notices.service import publish_notice
    from tender.models import Project
    from tender.transitions import Category, EvalMethod, Method, OpeningMode

    now = clock.now()
    project = Project(code=f"TS-{req.id}", title=req.project_title, region_code="330329",
                      purchaser_org_id=req.purchaser_org_id, agency_org_id=req.agency_org_id,
                      created_by_id=world.users["agency"].id, catalogue_code="A02", category=Category.GOODS,
                      method=Method.PUBLIC_TENDER, eval_method=EvalMethod.SCORING, notice_at=now, doc_start_at=now,
                      doc_end_at=now, clarify_deadline=now, deadline=now, opening_mode=OpeningMode.CUSTODIAN,
                      created_at=now)
    db.session.add(project)
    db.session.flush()
    req.project_id = project.id
    publish_notice(project, kinds.RESULT, "结果公告", "评审委员会成员：……")
    db.session.commit()


# What each role reads on /expert-draw/<id>/names: (before the start, after the start, after the result notice),
# each "contacts" (name, employer, phone), "names" (name only) or "" (no names). The VIEWS table of service.py.
VIEW_TABLE = [
    ("supervisor", "contacts", "contacts", "contacts"),
    ("agency", "", "contacts", "contacts"),
    ("purchaser", "", "names", "names"),
    ("supplier", "", "", "names"),
    ("reviewer", "", "", ""),
    ("outsider", "", "", ""),
]


@pytest.mark.parametrize(("who", "before", "after_start", "after_result"), VIEW_TABLE)
def test_every_roles_view_of_the_committee(world, drawn, client, clock, who, before, after_start, after_result):
    expert = drawn.invitations[0].expert
    user = world.users[who]

    def seen() -> str:
        clock.advance(timedelta(seconds=31))  # a fresh TOTP step for each login
        login(client, user)
        page = client.get(f"/expert-draw/{drawn.id}/names")
        text = page.get_data(as_text=True) if page.status_code == 200 else ""
        has_name, has_contact = expert.name in text, expert.phone in text or expert.employer_name in text
        assert has_name or not has_contact
        return "contacts" if has_contact else "names" if has_name else ""

    assert seen() == before
    clock.advance(timedelta(days=3, hours=1))
    assert seen() == after_start
    _publish_result_for(world, drawn)
    assert seen() == after_result
    assert service.VIEWS[service.viewer_kind(user, drawn)][2] in ({"contacts": "contacts", "names": "names"}
                                                                  .get(after_result) or "counts", "none")


def test_a_supplier_never_reads_phone_numbers_in_the_api(world, drawn, client, clock):
    clock.advance(timedelta(days=3, hours=1))
    _publish_result_for(world, drawn)
    login(client, world.users["supplier"])
    body = client.get(f"/api/v1/draw-requests/{drawn.id}").get_json()
    assert body["visibility"] == "names"
    assert all("phone" not in m and "employer" not in m for m in body["members"])


def test_the_detail_page_names_specialties_regions_and_states_in_chinese(world, drawn, client):
    """Issue 13 §7: no bare specialty or region code, no English status ("invited 5", "initial · drawn")."""
    import re

    from accounts.models import Region
    from expert_draw.models import Draw
    from registry.experts.models import Specialty

    login(client, world.users["supervisor"])
    page = client.get(f"/expert-draw/{drawn.id}").get_data(as_text=True)
    seats = page.split('id="seats"')[1].split("</table>")[0]
    assert db.session.get(Specialty, "B01").name in seats and "B01" not in seats
    assert "待答复 5" in seats and "候补 1" in seats
    assert not re.search(r"\b(invited|confirmed|declined|standby)\b", seats)
    record = page.split("抽取记录")[1].split("</ul>")[0]
    assert "首次抽取" in record and "已抽取" in record and not re.search(r"\b(initial|drawn|committed)\b", record)
    scope = db.session.scalars(select(Draw.scope_region_code).where(Draw.request_id == drawn.id)).first()
    assert db.session.get(Region, scope).name in record and f"范围 {scope}" not in record
