"""Supervision (网上监管): the supervisor sees the overdue steps of their region and below, and suspends and
resumes a process with a reason — audited, its 中止公告 published, its contract held by the same check a
complaint's suspension goes through. Other packages add overdue steps through the registry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from stats_helpers import Market
from tests_helpers import login


@pytest.fixture
def market(app_ctx, make_user, clock):
    return Market(make_user, clock)


def _award_of(contract):
    from core.db import db
    from evaluation.models import Award

    return db.session.get(Award, contract.source_id)


def _project_id(contract) -> int:
    from core.db import db
    from tender.models import Lot

    return db.session.scalar(select(Lot.project_id).where(Lot.id == _award_of(contract).lot_id))


def _overdue_keys(user) -> dict:
    from portal import supervision

    return {item.key: item for item in supervision.board(user).overdue}


def test_an_unsigned_contract_becomes_overdue_after_its_days(market, make_user, clock, app):
    from core.db import db

    draft = market.contract(amount_fen=50_000_00, budget_fen=60_000_00, signed_at=None)
    signed = market.contract(amount_fen=10_000_00, budget_fen=10_000_00, signed_at=clock.now())
    db.session.commit()
    supervisor = make_user("supervisor")
    key = f"evaluation.contract_unsigned:{draft.source_id}"
    with app.test_request_context():
        assert key not in _overdue_keys(supervisor)  # 30 days from the award notice: still on time
        clock.advance(timedelta(days=33))
        found = _overdue_keys(supervisor)
        assert key in found and f"evaluation.contract_unsigned:{signed.source_id}" not in found
        item = found[key]
        assert item.kind == "合同逾期未签订" and item.note == "合同待双方签署"
        assert item.subject == ("tender_project", _project_id(draft)) and item.due_at < clock.now()


def test_suspend_and_resume_through_the_page(market, make_user, client, clock):
    from audit.models import AuditEvent
    from core.db import db
    from evaluation.periods import award_blocked
    from notices.models import Notice
    from portal.models import Suspension, SuspensionStatus

    draft = market.contract(amount_fen=50_000_00, budget_fen=60_000_00, signed_at=None)
    db.session.commit()
    clock.advance(timedelta(days=33))
    project_id = _project_id(draft)
    supervisor = make_user("supervisor")
    login(client, supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    assert "合同逾期未签订" in page and 'data-confirm-reason="reason"' in page and "<script>" not in page

    refused = client.post("/supervision/suspend", data={"kind": "tender_project", "subject_id": project_id,
                                                        "reason": "  "}, follow_redirects=True)
    assert "请写明理由" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Suspension)) is None

    reason = "合同逾期未签订，核查中标人履约能力"
    done = client.post("/supervision/suspend", data={"kind": "tender_project", "subject_id": project_id,
                                                     "reason": reason}, follow_redirects=True)
    assert "已暂停该采购活动" in done.get_data(as_text=True)
    row = db.session.scalar(select(Suspension))
    assert row.status is SuspensionStatus.IN_FORCE and row.region_code == "330329"
    notice = db.session.get(Notice, row.notice_id)
    assert notice.kind == "suspension" and "核查中标人履约能力" in notice.body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.process_suspended"))
    assert event is not None and "核查中标人履约能力" in event.payload
    blocked = award_blocked(_award_of(draft))
    assert blocked and "财政部门" in blocked and "核查中标人履约能力" in blocked
    again = client.post("/supervision/suspend", data={"kind": "tender_project", "subject_id": project_id,
                                                      "reason": "再次"}, follow_redirects=True)
    assert "该采购活动已暂停" in again.get_data(as_text=True)
    assert "已暂停" in client.get("/supervision").get_data(as_text=True)

    client.post(f"/supervision/suspensions/{row.id}/resume", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Suspension, row.id).status is SuspensionStatus.IN_FORCE  # no reason: not resumed
    client.post(f"/supervision/suspensions/{row.id}/resume", data={"reason": "中标人已说明，恢复签约"})
    db.session.expire_all()
    row = db.session.get(Suspension, row.id)
    assert row.status is SuspensionStatus.LIFTED and row.lift_reason == "中标人已说明，恢复签约"
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.suspension_status"))
    assert moved is not None and "中标人已说明" in moved.payload and '"to":"lifted"' in moved.payload
    assert award_blocked(_award_of(draft)) is None


def test_only_the_regions_supervisor_suspends(market, make_user, client):
    from accounts.models import Region, RegionLevel
    from accounts.service import create_user
    from core.db import db
    from core.errors import Conflict, Forbidden, NotFound
    from portal import suspensions
    from portal.models import Suspension

    draft = market.contract(amount_fen=50_000_00, budget_fen=60_000_00, signed_at=None)
    db.session.add(Region(code="330100", name="杭州市", level=RegionLevel.CITY, parent_code="330000"))
    db.session.commit()
    elsewhere = create_user("hz-caijian", "杭州监管", None, ["supervisor"], "330100", password_hash="x")
    city = make_user("supervisor")
    city.region_code = "330300"  # 温州市 oversees 泰顺县
    db.session.commit()
    project_id = _project_id(draft)
    with pytest.raises(Forbidden):
        suspensions.suspend_process(elsewhere, "tender_project", project_id, "理由")
    db.session.rollback()
    row = suspensions.suspend_process(city, "tender_project", project_id, "市级检查")
    db.session.commit()
    with pytest.raises(Forbidden):
        suspensions.resume_process(elsewhere, row.id, "理由")
    db.session.rollback()
    with pytest.raises(NotFound):
        suspensions.suspend_process(city, "nothing", project_id, "理由")  # an unknown kind
    db.session.rollback()
    with pytest.raises(Conflict):
        suspensions.suspend_process(city, "tender_project", project_id, "再一次")  # one in force at a time
    db.session.rollback()
    assert db.session.scalar(select(Suspension.id)) == row.id

    login(client, make_user("supplier", org_kind="supplier", totp=False))
    assert client.get("/supervision").status_code == 403
    assert client.get("/api/v1/supervision").status_code == 403


def test_api_board_and_suspension(market, make_user, client, clock):
    from core.db import db

    pending = market.contract(amount_fen=20_000_00, budget_fen=20_000_00, signed_at=None)
    award = _award_of(pending)
    award.status, award.confirmed_at, award.notified_at = award.status.PENDING, None, None
    award.confirmed_by_id, award.confirm_due_at = None, clock.now() + timedelta(days=2)
    db.session.commit()
    clock.advance(timedelta(days=3))
    login(client, make_user("supervisor"))
    board = client.get("/api/v1/supervision").get_json()
    overdue = {i["key"]: i for i in board["overdue"]}
    item = overdue[f"evaluation.award_confirm:{award.id}"]
    assert item["kind"] == "采购人逾期未确定中标（成交）人" and item["subject"]["kind"] == "tender_project"
    assert any(s["label"] for s in board["stages"]) and board["suspensions"] == []
    made = client.post("/api/v1/supervision/suspensions", json={"kind": "tender_project",
                                                               "subject_id": item["subject"]["id"], "reason": "核查"})
    assert made.status_code == 201 and made.get_json()["status"] == "in_force"
    assert client.post("/api/v1/supervision/suspensions", json={
        "kind": "tender_project", "subject_id": item["subject"]["id"], "reason": "再次"}).status_code == 409
    resumed = client.post(f"/api/v1/supervision/suspensions/{made.get_json()['id']}/resume", json={"reason": "查清"})
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "lifted"
    assert client.post(f"/api/v1/supervision/suspensions/{made.get_json()['id']}/resume",
                       json={"reason": "又一次"}).status_code == 409


def test_other_packages_add_overdue_steps(market, make_user, app, clock):
    """The e-mall or plans register their own overdue steps; the board lists them with the others, in
    region scope, the longest overdue first."""
    from portal import supervision

    def orders(regions, now):
        late = "订单逾期未确认"
        return [supervision.Item("mall.order_unconfirmed:7", late, "办公用品订单", "330329", "/mall/orders/7",
                                 now - timedelta(days=5)),
                supervision.Item("mall.order_unconfirmed:8", late, "外地订单", "330100", "/mall/orders/8",
                                 now - timedelta(days=9))]

    def in_scope(regions, now):
        return [i for i in orders(regions, now) if i.region_code in regions]

    supervision.overdue_source(in_scope)
    try:
        with app.test_request_context():
            keys = list(_overdue_keys(make_user("supervisor")))
        assert "mall.order_unconfirmed:7" in keys and "mall.order_unconfirmed:8" not in keys
    finally:
        supervision.OVERDUE_SOURCES.remove(in_scope)
