"""Across stages: a supplier on a credit list wins the evaluation, and the purchaser's confirmation is
refused through the page and through the API with the same code (kept on record each time); a consortium
member on a list taints its bidder; the deadline sweep never deems a barred winner confirmed."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from evaluation_helpers import as_user, declare_and_elect, review_all_pass, sign_report
from sqlalchemy import select
from tests_helpers import totp_code

from accounts.demo import demo_uscc
from core.db import db

_spec = importlib.util.spec_from_file_location("credit_evaluation_fixtures",
                                               Path(__file__).parents[2] / "evaluation" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fixtures  # its dataclass looks its module up
_spec.loader.exec_module(_fixtures)
room = _fixtures.room  # the evaluation's opened lot with three bids and its drawn committee


def _bar(org, actor, kind="政府采购严重违法失信行为"):
    from registry.credit import importer

    data = ("记录类别,名称,统一社会信用代码,处罚结果,记录日期,处罚截止日期,来源\n"
            f"{kind},{org.name},{org.uscc},禁止参加政府采购活动二年,2026-06-01,2028-05-31,中国政府采购网\n").encode()
    report = importer.import_records_file(data, "list.csv", actor)
    assert report.ok, report.problems
    db.session.commit()


def _sent(room, clock):
    """Evaluate with equal technical scores (the lowest price, bid 0, ranks first) and send the report."""
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    cid = service.open_evaluation(room.agency, room.lot.id).id
    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    clock.advance(timedelta(seconds=31))
    sheet = {str(b.id): {"技术": "40", "商务": "12"} for b in room.bids}
    for user in room.panel:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = service.send_report(room.agency, cid)
    db.session.commit()
    return cid, report, award


def test_a_barred_winner_is_refused_by_the_page_and_the_api_with_the_same_code(room, clock, client):
    from accounts.service import create_api_token
    from audit.models import AuditEvent
    from evaluation.models import Award
    from evaluation.transitions import AwardStatus
    from registry.credit.models import CreditCheck

    winner = room.suppliers[0].org
    winner.uscc = demo_uscc(81)
    db.session.commit()
    cid, report, award = _sent(room, clock)
    assert report.candidates[0].bid_id == room.bids[0].id  # the barred supplier won the evaluation
    _bar(winner, room.supervisor)

    as_user(client, room.purchaser, clock)
    page = client.post(f"/evaluation/{cid}/act/confirm", data={"award_id": award.id,
                                                               "candidate_id": report.candidates[0].id},
                       follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "不得确定为中标（成交）供应商" in text and "政府采购严重违法失信行为" in text
    token = create_api_token(room.purchaser, "credit").secret
    db.session.commit()
    api = client.post(f"/api/v1/evaluation/awards/{award.id}/confirm", headers={"Authorization": f"Bearer {token}"},
                      json={"candidate_id": report.candidates[0].id, "reason": ""})
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "winner_credit_barred"
    db.session.expire_all()
    assert db.session.get(Award, award.id).status is AwardStatus.PENDING
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.credit_award_refused")).all()
    assert [json.loads(e.payload)["code"] for e in refusals] == ["winner_credit_barred", "winner_credit_barred"]
    checks = db.session.scalars(select(CreditCheck).where(CreditCheck.stage == "award")).all()
    assert len(checks) == 2 and all(c.barred and c.subject == f"evaluation_award:{award.id}" for c in checks)
    # the second candidate, with a reason, is confirmed
    reason = "第一名列入政府采购严重违法失信行为记录名单"
    ok = client.post(f"/api/v1/evaluation/awards/{award.id}/confirm", headers={"Authorization": f"Bearer {token}"},
                     json={"candidate_id": report.candidates[1].id, "reason": reason})
    assert ok.status_code == 200, ok.get_json()


def test_a_consortium_member_on_a_list_taints_the_bidder_and_no_sweep_deems_it_confirmed(room, clock):
    from accounts.models import OrgKind
    from accounts.service import create_org
    from core.errors import DomainError
    from evaluation import service
    from evaluation.models import Award
    from evaluation.tasks import sweep_awards
    from evaluation.transitions import AwardStatus
    from registry.credit.service import is_barred
    from tender.models import Registration

    member = create_org("温州联合体成员有限公司", OrgKind.SUPPLIER, room.project.region_code, demo_uscc(82))
    lead = room.suppliers[0]
    db.session.add(Registration(project_id=room.project.id, org_id=lead.org_id, user_id=lead.id,
                                registered_at=clock.now(), consortium_members=[
                                    {"name": member.name, "uscc": member.uscc, "org_id": None}]))
    db.session.commit()
    _cid, report, award = _sent(room, clock)
    assert not is_barred(lead.org, [{"name": member.name, "uscc": member.uscc}], room.project.region_code)
    _bar(member, room.supervisor, kind="重大税收违法失信主体")
    assert is_barred(lead.org, [{"name": member.name, "uscc": member.uscc}], room.project.region_code)
    clock.advance(timedelta(days=10))  # the purchaser let the confirmation period pass
    assert sweep_awards.run()["deemed"] == []
    assert db.session.get(Award, award.id).status is AwardStatus.PENDING
    with pytest.raises(DomainError) as refused:
        service.confirm_winner(room.purchaser, award.id, report.candidates[0].id)
    assert refused.value.code == "winner_credit_barred" and "联合体成员" in refused.value.message


def test_the_agency_sees_the_bid_time_warning_on_the_project_and_opening_pages(room, clock, client):
    from registry.credit.service import check_at_bid

    bidder = room.suppliers[0].org
    bidder.uscc = demo_uscc(83)
    db.session.commit()
    _bar(bidder, room.supervisor, kind="失信被执行人")
    for bid in room.bids:  # what tender.bids.submit_bid records at each submission
        check_at_bid(db.session.get(type(bidder), bid.org_id), [], f"tender_bid:{bid.id}", room.project.region_code)
    db.session.commit()
    as_user(client, room.agency, clock)
    for url in (f"/tender/{room.project.id}", f"/tender/{room.project.id}/hall"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="credit-warnings"' in page and bidder.name in page, url
        assert room.suppliers[1].org.name not in page.split('id="credit-warnings"')[1].split("</div>")[0]
    as_user(client, room.suppliers[1], clock)  # another bidder sees nobody's warning
    assert 'id="credit-warnings"' not in client.get(f"/tender/{room.project.id}").get_data(as_text=True)
    as_user(client, room.supervisor, clock)
    index = client.get("/credit/").get_data(as_text=True)
    assert bidder.name in index and "失信被执行人" in index
    org_page = client.get(f"/credit/orgs/{bidder.id}").get_data(as_text=True)
    assert 'id="credit-barred"' in org_page
