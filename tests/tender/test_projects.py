"""Projects: validation against the region rules, publication (policy frozen, hash published),
correction notices, clarifications that move the deadline, registration and documents."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from tender_helpers import project_data

from core.errors import Conflict, Forbidden, ValidationError


def test_create_and_publish_freezes_policy(world, make_project, clock):
    import crypto
    from notices.models import Notice
    from tender.transitions import LotStatus, ProjectStatus

    project = make_project()
    assert project.status == ProjectStatus.BIDDING  # notice time is now: bids open at once
    assert [c.custodian_id for c in project.custodians] == [f"u{world.custodians[0][0].id}",
                                                           f"u{world.custodians[1][0].id}", "vault"]
    for lot in project.lots:
        assert lot.status == LotStatus.OPEN
        assert lot.policy["tender_id"] == project.code and lot.policy["lot"] == str(lot.number)
        assert crypto.policy_hash(lot.policy).hex() == lot.policy_hash
    notice = Notice.query.filter_by(subject_id=project.id, kind="tender").one()
    assert all(lot.policy_hash in notice.body for lot in project.lots)


@pytest.mark.parametrize("change, code_field, fragment", [
    ({"criteria": [{"name": "价格", "weight": 40, "price": True}, {"name": "技术", "weight": 50}]},
     "criteria", "之和必须为 100"),
    ({"criteria": [{"name": "价格", "weight": 20, "price": True}, {"name": "技术", "weight": 80}]},
     "criteria", "30%"),
    ({"category": "services", "criteria": [{"name": "价格", "weight": 5, "price": True},
                                           {"name": "服务", "weight": 95}]}, "criteria", "10%"),
    ({"price_fixed": True}, "criteria", "价格固定"),
    ({"lots": [{"name": "甲", "budget_fen": 100, "max_price_fen": 200}]}, "lots", "最高限价"),
    ({"lots": []}, "lots", "至少需要一个标项"),
    ({"k": 4}, "k", "1 到 3"),
    ({"catalogue_code": "Z99"}, "catalogue_code", "采购目录"),
    ("deadline_19_days", "deadline", "不得少于 20 日"),
])
def test_validation_messages(world, clock, change, code_field, fragment):
    from tender import service

    now = clock.now()
    if change == "deadline_19_days":
        change = {"deadline": (now + timedelta(days=19)).isoformat()}
    with pytest.raises(ValidationError) as exc:
        service.create_project(world.agency, project_data(world, now, **change))
    assert exc.value.code == "project_invalid"
    assert fragment in exc.value.details["fields"][code_field]


def test_price_floor_comes_from_the_region_rule_table(world, clock):
    from core.db import db
    from tender import rules, service

    data = project_data(world, clock.now(), criteria=[{"name": "价格", "weight": 35, "price": True},
                                                      {"name": "技术", "weight": 65}])
    service.create_project(world.agency, data)  # 35 >= 30: fine by default
    rules.set_rule("330300", "price_weight_min.goods", 40)  # the city raises the floor
    db.session.flush()
    with pytest.raises(ValidationError, match="40%"):
        service.create_project(world.agency, data)
    rules.set_rule("330329", "price_weight_min.goods", 30)  # the county's own row wins
    service.create_project(world.agency, data)


def test_only_agency_staff_create_and_publish(world, make_project, make_user):
    from tender import service

    supplier = world.suppliers[0].user
    with pytest.raises(Forbidden):
        service.create_project(supplier, project_data(world, service.clock.now()))
    project = make_project(publish=False)
    other_agent = make_user("agency_staff", org_kind="agency")
    with pytest.raises(Forbidden):
        service.publish_project(other_agent, project.id)


def test_publish_needs_documents_and_a_future_deadline(world, clock):
    from tender import service

    project = service.create_project(world.agency, project_data(world, clock.now()))
    with pytest.raises(ValidationError, match="招标文件"):
        service.publish_project(world.agency, project.id)
    service.add_document(world.agency, project, "a.pdf", io.BytesIO(b"x"))
    clock.advance(timedelta(days=2))  # 19 days left: too late to publish lawfully
    with pytest.raises(ValidationError, match="不得少于 20 日"):
        service.publish_project(world.agency, project.id)


def test_publish_twice_is_a_refused_transition(world, make_project):
    from tender import service

    project = make_project()
    with pytest.raises(Conflict) as exc:
        service.publish_project(world.agency, project.id)
    assert exc.value.code == "project_transition_refused"


def test_clarification_late_moves_deadline_and_hides_who_asked(world, make_project, clock, client):
    from tests_helpers import login

    from core.db import db
    from tender import service

    project = make_project()
    asker, other = world.suppliers[0].user, world.suppliers[1].user
    question = service.ask_question(asker, project.id, "第2标项是否接受进口产品？")
    db.session.commit()
    clock.advance(timedelta(days=9))  # 12 days before the deadline: under 15
    old_deadline = project.deadline
    service.answer_question(world.agency, question.id, "不接受进口产品。")
    db.session.commit()
    assert project.deadline == clock.now() + timedelta(days=15) > old_deadline
    login(client, other)
    rows = client.get(f"/api/v1/tender/projects/{project.id}/clarifications").get_json()
    assert rows == [{"id": question.id, "question": "第2标项是否接受进口产品？", "answer": "不接受进口产品。",
                     "asked_at": rows[0]["asked_at"], "answered_at": rows[0]["answered_at"]}]
    assert asker.org.name not in str(rows)


def test_questions_close_at_clarify_deadline(world, make_project, clock):
    from tender import service

    project = make_project()
    clock.advance(timedelta(days=11))
    with pytest.raises(Conflict, match="截止"):
        service.ask_question(world.suppliers[0].user, project.id, "还能问吗？")


def test_correction_notice(world, make_project, clock):
    from notices.models import Notice
    from tender import service

    project = make_project()
    service.publish_correction(world.agency, project.id, "更正公告", "第1标项数量由10台改为12台。")
    assert project.deadline == project.notice_at + timedelta(days=21)  # far enough: unchanged
    assert Notice.query.filter_by(subject_id=project.id, kind="correction").count() == 1


def test_documents_only_for_registered_suppliers(world, make_project, client):
    from tests_helpers import login

    project = make_project(register=1)
    doc = project.documents[0]
    login(client, world.suppliers[3].user)
    url = f"/api/v1/tender/projects/{project.id}/documents/{doc.id}"
    assert client.get(url).get_json()["error"]["code"] == "not_registered"
    assert client.post(f"/api/v1/tender/projects/{project.id}/registration").status_code == 201
    response = client.get(url)
    assert response.status_code == 200 and response.data == b"%PDF-1.4 tender document"
    response.close()


def test_drafts_are_invisible_to_others(world, make_project, client):
    from tests_helpers import login

    project = make_project(publish=False)
    login(client, world.suppliers[0].user)
    assert client.get(f"/api/v1/tender/projects/{project.id}").status_code == 404


def test_create_through_api(world, clock, client):
    from tests_helpers import login

    login(client, world.agency)
    response = client.post("/api/v1/tender/projects", json=project_data(world, clock.now()))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["n"] == 3 and len(body["lots"]) == 2
    bad = client.post("/api/v1/tender/projects", json=project_data(world, clock.now(), k=0))
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "project_invalid"


ALL_PROJECT = ["draft", "published", "bidding", "opening", "opened", "evaluating", "closed", "failed", "cancelled"]
ALLOWED_PROJECT = {("draft", "published"), ("draft", "cancelled"), ("published", "bidding"), ("published", "cancelled"),
                   ("bidding", "opening"), ("bidding", "cancelled"), ("opening", "opened"), ("opening", "failed"),
                   ("opened", "evaluating"), ("opened", "failed"), ("evaluating", "closed"), ("evaluating", "failed")}


@pytest.mark.parametrize("frm", ALL_PROJECT)
@pytest.mark.parametrize("to", ALL_PROJECT)
def test_project_transition_table(frm, to):
    from types import SimpleNamespace

    from tender.transitions import ProjectStatus, move

    obj = SimpleNamespace(status=ProjectStatus(frm))
    if (frm, to) in ALLOWED_PROJECT:
        move(obj, ProjectStatus(to))
        assert obj.status == ProjectStatus(to)
    else:
        with pytest.raises(Conflict) as exc:
            move(obj, ProjectStatus(to))
        assert exc.value.code == "simplenamespace_transition_refused" and obj.status == ProjectStatus(frm)


@pytest.mark.parametrize("frm, to, ok", [
    ("submitted", "superseded", True), ("submitted", "withdrawn", True), ("submitted", "opened", True),
    ("submitted", "revoked", True), ("submitted", "voided", True), ("withdrawn", "submitted", False),
    ("opened", "revoked", False), ("superseded", "submitted", False), ("revoked", "opened", False),
])
def test_bid_transition_table(frm, to, ok):
    from tender.transitions import BidStatus, can_move

    assert can_move(BidStatus(frm), BidStatus(to)) is ok


@pytest.mark.parametrize("status", ["draft", "bidding"])
def test_cancel_from_draft_and_bidding(world, make_project, status):
    from notices.models import Notice
    from tender import service

    project = make_project(publish=status != "draft")
    service.cancel_project(world.agency, project.id, "采购需求变更")
    service.db.session.commit()
    assert project.status.value == "cancelled"
    assert Notice.query.filter_by(subject_id=project.id, kind="failure").count() == (status != "draft")
    with pytest.raises(Conflict):
        service.cancel_project(world.agency, project.id, "再次终止")


def test_an_answered_question_is_a_public_clarification_notice_naming_nobody(world, make_project, clock, client):
    """87号令 Art 27 (issue 21): clarifications were shown only to registered suppliers. The answer is a
    public 澄清公告 on the notice list, readable logged out, with the question and answer and not the asker."""
    from core.db import db
    from notices.models import Notice
    from tender import service

    project = make_project()
    asker = world.suppliers[0].user
    question = service.ask_question(asker, project.id, "第1标项的交货地点是否包含各分校区？")
    db.session.commit()
    service.answer_question(world.agency, question.id, "包含，详见采购需求第三条。")
    db.session.commit()
    notice = db.session.scalars(db.select(Notice).filter_by(kind="clarification")).one()
    assert notice.subject_id == project.id and "包含，详见采购需求第三条。" in notice.body
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)  # logged out
    assert "第1标项的交货地点是否包含各分校区？" in page and asker.org.name not in page
    assert f"/notices/{notice.id}" in client.get("/notices").get_data(as_text=True)
