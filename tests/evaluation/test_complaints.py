"""Complaints to finance (投诉, 94号令): the period in working days after the answer period, finance of
the project's region only (another county's supervisor neither sees nor decides), acceptance or
refusal with a reason, suspension blocking the award, decisions that void or re-evaluate, reminders."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from evaluation_helpers import as_user, no_inline
from sqlalchemy import select


def _supervisor_of(make_user, code: str, name: str, parent: str = "330300"):
    from accounts.models import Region, RegionLevel
    from core.db import db

    if db.session.get(Region, code) is None:
        db.session.add(Region(code=code, name=name, level=RegionLevel.COUNTY, parent_code=parent))
    user = make_user("supervisor", org_kind="finance")
    user.region_code = user.org.region_code = code
    db.session.commit()
    return user


def _challenge(room, award, *, answered: bool = True):
    from core.db import db
    from evaluation import challenges

    row = challenges.file_challenge(room.suppliers[1], award.id, "中标人业绩造假",
                                    [("证据.txt", io.BytesIO(b"evidence"))])
    if answered:
        challenges.answer_challenge(room.agency, row.id, "经核实，业绩真实。", upheld=False)
    db.session.commit()
    return row


def _complaint(room, challenge, files=()):
    from core.db import db
    from evaluation import complaints

    row = complaints.file_complaint(room.suppliers[1], challenge.id, "代理机构未核实合同原件", "请求认定中标无效",
                                    list(files))
    db.session.commit()
    return row


def test_the_complaint_period_runs_15_working_days_after_the_answer_period(room, published, clock):
    from core.errors import Conflict
    from evaluation import complaints

    challenge = _challenge(room, published, answered=False)  # Friday 27 Nov; answer due Tue 8 Dec
    assert complaints.complaint_due(challenge) is None
    with pytest.raises(Conflict) as exc:
        complaints.file_complaint(room.suppliers[1], challenge.id, "未答复", "请求处理")
    assert exc.value.code == "complaint_too_early"
    clock.advance(timedelta(days=11, hours=14))  # Wednesday 9 Dec, 00:31: the answer period is over
    # 15 working days after Tue 8 Dec: 9–11, 14–18, 21–25, 28, 29 December
    assert complaints.complaint_due(challenge).isoformat() == "2026-12-29"
    clock.advance(timedelta(days=21))  # Wednesday 30 December
    with pytest.raises(Conflict) as exc:
        complaints.file_complaint(room.suppliers[1], challenge.id, "未答复", "请求处理")
    assert exc.value.code == "complaint_period_over"
    clock.advance(timedelta(days=-1))  # the last day itself is still in time
    row = complaints.file_complaint(room.suppliers[1], challenge.id, "未答复", "请求处理")
    # finance: accept within 5 working days (31 Dec, 4–7 Jan: 1–3 Jan New Year, Sun 4 Jan a make-up working day)
    assert row.accept_due_at > row.filed_at and row.decide_due_at > row.accept_due_at


def test_an_early_answer_does_not_shorten_the_period_and_only_the_challenger_complains(room, published, clock):
    from core.errors import Conflict, Forbidden
    from evaluation import complaints

    challenge = _challenge(room, published)  # answered at once, on Friday 27 Nov
    assert complaints.complaint_due(challenge).isoformat() == "2026-12-29"  # still from the answer's deadline
    with pytest.raises(Forbidden) as exc:
        complaints.file_complaint(room.suppliers[0], challenge.id, "我也不服", "请求处理")
    assert exc.value.code == "not_the_challenger"
    _complaint(room, challenge)
    with pytest.raises(Conflict) as exc:
        complaints.file_complaint(room.suppliers[1], challenge.id, "再投诉", "请求处理")
    assert exc.value.code == "complaint_exists"


def test_finance_of_the_projects_region_only(room, published, clock, make_user):
    from core.errors import DomainError
    from evaluation import complaints, evidence

    complaint = _complaint(room, _challenge(room, published), [("材料.pdf", io.BytesIO(b"%PDF"))])
    neighbour = _supervisor_of(make_user, "330328", "文成县")
    city = _supervisor_of(make_user, "330300", "温州市", parent="330000")
    county = room.supervisor
    assert [c.id for c in complaints.complaints_for_finance(county)] == [complaint.id]
    assert [c.id for c in complaints.complaints_for_finance(city)] == [complaint.id]  # a city oversees its counties
    assert complaints.complaints_for_finance(neighbour) == []
    for action in (lambda: complaints.get_complaint(neighbour, complaint.id),
                   lambda: complaints.accept_complaint(neighbour, complaint.id),
                   lambda: complaints.refuse_complaint(neighbour, complaint.id, "out_of_time"),
                   lambda: evidence.file_for(neighbour, complaint.files[0].id)):
        with pytest.raises(DomainError) as exc:
            action()
        assert exc.value.code in ("complaint_not_found", "evidence_not_found")
    with pytest.raises(DomainError) as exc:  # the agency sees the complaint but does not decide it
        complaints.accept_complaint(room.agency, complaint.id)
    assert exc.value.code == "not_finance"
    assert complaints.accept_complaint(city, complaint.id).status.value == "accepted"


def test_refusal_needs_a_reason_and_only_a_filed_complaint_is_accepted_or_refused(room, published, clock):
    from core.db import db
    from core.errors import Conflict, ValidationError
    from evaluation import complaints

    complaint = _complaint(room, _challenge(room, published))
    with pytest.raises(ValidationError):
        complaints.refuse_complaint(room.supervisor, complaint.id, "")
    with pytest.raises(ValidationError):
        complaints.refuse_complaint(room.supervisor, complaint.id, "other", "")
    with pytest.raises(Conflict) as exc:
        complaints.decide_complaint(room.supervisor, complaint.id, "驳回", upheld=False)
    assert exc.value.code == "complaint_transition_refused"
    db.session.rollback()
    row = complaints.refuse_complaint(room.supervisor, complaint.id, "no_prior_challenge", "投诉事项超出质疑范围")
    db.session.commit()
    assert row.status.value == "refused" and row.decision.startswith("投诉事项未经质疑")
    with pytest.raises(Conflict):
        complaints.accept_complaint(room.supervisor, complaint.id)


def test_a_suspension_blocks_the_award_for_at_most_30_days(room, published, clock):
    from core.db import db
    from core.errors import Conflict
    from evaluation import complaints, contracts

    complaint = _complaint(room, _challenge(room, published))
    assert complaints.award_blocked(published) is None
    complaints.accept_complaint(room.supervisor, complaint.id)
    db.session.commit()
    assert complaints.award_blocked(published) is None  # accepted without suspending
    complaints.suspend_procurement(room.supervisor, complaint.id)
    db.session.commit()
    assert "暂停" in complaints.award_blocked(published)
    with pytest.raises(Conflict) as exc:  # the contract code asks before drafting
        contracts.draft_contract(room.purchaser, published.id, {})
    assert exc.value.code == "award_blocked"
    db.session.rollback()
    with pytest.raises(Conflict) as exc:
        complaints.suspend_procurement(room.supervisor, complaint.id)
    assert exc.value.code == "already_suspended"
    clock.advance(timedelta(days=30, minutes=1))
    assert complaints.award_blocked(published) is None  # the suspension ends by itself


def test_a_dismissed_complaint_unblocks_and_leaves_the_award(room, published, clock):
    from core.db import db
    from evaluation import complaints

    complaint = _complaint(room, _challenge(room, published))
    complaints.accept_complaint(room.supervisor, complaint.id, suspend=True)
    db.session.commit()
    assert complaints.award_blocked(published) is not None
    complaints.decide_complaint(room.supervisor, complaint.id, "投诉缺乏事实依据，驳回。", upheld=False)
    db.session.commit()
    assert complaints.award_blocked(published) is None and published.status.value == "notified"


@pytest.mark.parametrize("remedy", ["void_award", "reevaluate"])
def test_an_upheld_complaint_voids_the_award_or_sends_the_committee_back(room, published, clock, remedy):
    from audit.models import AuditEvent
    from core.db import db
    from core.errors import ValidationError
    from evaluation import complaints, service

    complaint = _complaint(room, _challenge(room, published))
    complaints.accept_complaint(room.supervisor, complaint.id, suspend=True)
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        complaints.decide_complaint(room.supervisor, complaint.id, "投诉成立。", upheld=True)
    assert exc.value.code == "remedy_required"
    complaints.decide_complaint(room.supervisor, complaint.id, "经调查，中标人业绩造假，投诉成立。", upheld=True,
                                remedy=remedy)
    db.session.commit()
    committee = service.committee_for_lot(published.lot_id)
    assert published.status.value == "voided" and "投诉成立" in published.void_reason
    assert service.award_of(committee) is None
    if remedy == "reevaluate":
        assert committee.status.value == "summary" and service.current_report(committee) is None
    else:
        assert committee.status.value == "completed"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("evaluation.complaint_%"))
                                 .order_by(AuditEvent.seq)).all()
    assert actions == ["evaluation.complaint_filed", "evaluation.complaint_accepted", "evaluation.complaint_decided"]


def test_finance_is_reminded_before_its_deadlines_and_warned_once_after(room, published, clock):
    from core.db import db
    from evaluation import complaints
    from evaluation.tasks import sweep_complaints

    complaint = _complaint(room, _challenge(room, published))  # filed Fri 27 Nov: accept by Fri 4 Dec
    assert complaints.sweep_complaint_deadlines() == {"remind": [], "overdue": []}
    clock.advance(timedelta(days=6))  # Thursday 3 December: one working day left
    assert sweep_complaints() == {"remind": [complaint.id], "overdue": []}
    assert sweep_complaints() == {"remind": [], "overdue": []}  # once a day
    clock.advance(timedelta(days=2))  # Saturday 5 December: overdue
    assert sweep_complaints() == {"remind": [], "overdue": [complaint.id]}
    clock.advance(timedelta(days=1))
    assert sweep_complaints() == {"remind": [], "overdue": []}  # warned once per step
    complaints.accept_complaint(room.supervisor, complaint.id)
    db.session.commit()
    assert complaints.deadline_state(complaint) == "open"  # 30 working days from receipt


def test_through_the_pages_and_the_api(room, published, client, clock, make_user):
    from core.db import db
    from evaluation import complaints, service
    from evaluation.models import Award

    challenge = _challenge(room, published)
    as_user(client, room.suppliers[1], clock)
    page = client.get(f"/evaluation/awards/{published.id}/challenges").get_data(as_text=True)
    assert "向财政部门投诉" in page and "2026-12-29" in page
    no_inline(page)
    r = client.post(f"/evaluation/challenges/{challenge.id}/complaint", content_type="multipart/form-data",
                    data={"facts": "代理机构未核实合同原件", "requests": "请求认定中标无效",
                          "files": [(io.BytesIO(b"scan"), "合同扫描件.pdf")]}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "投诉已提交财政部门" in html and "合同扫描件.pdf" in html and "待受理" in html
    complaint = complaints.complaint_of(challenge)
    r = client.post(f"/api/v1/evaluation/complaints/{complaint.id}/accept", json={})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_finance"

    neighbour = _supervisor_of(make_user, "330328", "文成县")
    as_user(client, neighbour, clock)
    page = client.get("/evaluation/complaints").get_data(as_text=True)
    assert "代理机构未核实合同原件" not in page and "本地区暂无投诉" in page
    r = client.post(f"/api/v1/evaluation/complaints/{complaint.id}/decide", json={"decision": "x", "upheld": False})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "complaint_not_found"
    assert client.get("/api/v1/evaluation/complaints").get_json() == {"complaints": []}

    as_user(client, room.supervisor, clock)
    assert "投诉处理" in client.get("/").get_data(as_text=True)  # dashboard panel and navigation
    page = client.get("/evaluation/complaints").get_data(as_text=True)
    assert "代理机构未核实合同原件" in page and "受理" in page
    no_inline(page)
    r = client.post(f"/evaluation/complaints/{complaint.id}/accept", data={"suspend": "1"}, follow_redirects=True)
    assert "投诉已受理" in r.get_data(as_text=True) and "采购活动暂停至" in r.get_data(as_text=True)
    blocked = client.get(f"/api/v1/evaluation/awards/{published.id}/challenges").get_json()["blocked"]
    assert "暂停" in blocked
    r = client.post(f"/api/v1/evaluation/complaints/{complaint.id}/decide", json={"decision": "成立", "upheld": True})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "remedy_required"
    r = client.post(f"/evaluation/complaints/{complaint.id}/decide",
                    data={"decision": "经调查，投诉成立。", "upheld": "1", "remedy": "void_award"},
                    follow_redirects=True)
    assert "处理决定已作出" in r.get_data(as_text=True)
    body = client.get(f"/api/v1/evaluation/complaints/{complaint.id}").get_json()
    assert body["status"] == "upheld" and body["remedy"] == "void_award" and len(body["files"]) == 1
    db.session.expire_all()
    assert db.session.get(Award, published.id).status.value == "voided"
    as_user(client, room.agency, clock)  # the room shows the challenge and where its complaint stands
    cid = service.committee_for_lot(published.lot_id).id
    page = client.get(f"/evaluation/{cid}").get_data(as_text=True)
    assert f"投诉 #{complaint.id}：投诉成立" in page and "证据.txt" in page
    no_inline(page)
    payload = json.loads(client.get(f"/api/v1/evaluation/awards/{published.id}/challenges").data)
    assert payload["challenges"][0]["complaint"]["status"] == "upheld" and payload["blocked"] is None


def test_no_signing_reminder_while_finance_has_suspended_the_procurement(room, published, clock):
    from core.db import db
    from evaluation import complaints
    from evaluation.tasks import sweep_awards

    complaint = _complaint(room, _challenge(room, published))
    complaints.accept_complaint(room.supervisor, complaint.id, suspend=True)
    db.session.commit()
    clock.advance(timedelta(days=26))  # 3 working days before the signing deadline, still suspended
    assert sweep_awards.run()["contract_remind"] == []
    clock.advance(timedelta(days=4, minutes=1))  # the 30-day suspension is over: the reminder comes
    assert complaints.award_blocked(published) is None
    assert sweep_awards.run()["contract_remind"] == [published.id]
