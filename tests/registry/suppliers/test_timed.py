"""The timed steps, by moving the frozen clock: an overdue review warns the central agency and finance once;
a certificate reminds its supplier the region's days ahead, once, and is flagged when it expires."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from core.clock import parse_local, to_local

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SWEEP = "registry-suppliers-sweep"


def actions():
    from audit.models import AuditEvent
    from core.db import db

    return [a for a in db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
            if a.startswith("registry.supplier_")]


def test_an_overdue_review_warns_once(draft, reviewer, clock, sent, make_user):
    from accounts import service as accounts
    from accounts.models import OrgKind
    from core import chronograph
    from core.db import db
    from registry.suppliers import service

    finance = accounts.create_org("泰顺县财政局", OrgKind.FINANCE, "330329")
    supplier, user = draft
    service.submit_application(user, supplier)
    db.session.commit()
    due = supplier.review_due_at  # end of Friday 2026-12-04, Beijing time
    clock.set(due - timedelta(minutes=1))
    assert chronograph.run_sweep(SWEEP)["review_overdue"] == []
    clock.set(due + timedelta(seconds=1))
    assert chronograph.run_sweep(SWEEP)["review_overdue"] == [supplier.id]
    assert ("供应商注册审核已超期", sorted([reviewer.org_id, finance.id])) in sent
    assert chronograph.run_sweep(SWEEP)["review_overdue"] == []  # once
    assert actions().count("registry.supplier_review_overdue") == 1
    db.session.expire_all()
    assert service.list_suppliers(reviewer, service.Filters(overdue=True)) == [supplier]


def test_the_region_sets_the_review_period(draft, clock, make_user):
    from core.db import db
    from region_rules import store
    from registry.suppliers import rules, service

    admin = make_user("admin")
    store.set_values(admin, "330329", {rules.REVIEW_WORKDAYS: 10}, effective_on=None)
    db.session.commit()
    supplier, user = draft
    service.submit_application(user, supplier)
    assert to_local(supplier.review_due_at).date() == date(2026, 12, 11)  # ten working days from Friday


def test_a_certificate_reminds_ahead_then_is_flagged_expired(active, clock, sent):
    from core import chronograph
    from core.db import db
    from registry.suppliers import service

    supplier, user = active
    q = service.add_qualification(user, supplier, "industry", "安全生产许可证", "A1", date(2027, 1, 10), "a.pdf",
                                  io.BytesIO(PDF))
    db.session.commit()
    assert service.qualification_state(q) == "valid"
    assert chronograph.run_sweep(SWEEP)["expiry_reminded"] == []
    clock.set(clock.now() + timedelta(days=13))  # 2026-12-10 10:00: 31 days before, still early
    assert chronograph.run_sweep(SWEEP)["expiry_reminded"] == []
    clock.set(clock.now() + timedelta(days=1))  # 2026-12-11: 30 days ahead (national default)
    assert chronograph.run_sweep(SWEEP)["expiry_reminded"] == [q.id]
    assert ("资质证书即将到期", [supplier.org_id]) in sent
    assert chronograph.run_sweep(SWEEP)["expiry_reminded"] == []
    db.session.expire_all()
    assert service.qualification_state(q) == "expiring"
    assert chronograph.run_sweep(SWEEP)["expired_flagged"] == []
    clock.set(parse_local("2027-01-10 23:59"))  # its last valid day
    assert chronograph.run_sweep(SWEEP)["expired_flagged"] == []
    clock.set(parse_local("2027-01-11 00:00"))
    assert chronograph.run_sweep(SWEEP)["expired_flagged"] == [q.id]
    assert ("资质证书已过期", [supplier.org_id]) in sent
    db.session.expire_all()
    assert service.qualification_state(q) == "expired"
    assert {"registry.supplier_qualification_reminded", "registry.supplier_qualification_expired"} <= set(actions())
    assert service.list_suppliers(None, service.Filters(expiring=True)) == [supplier]


def test_a_certificate_inside_the_window_reminds_at_once_and_drafts_are_left_alone(draft, active, clock, sent):
    from core import chronograph
    from core.db import db
    from registry.suppliers import service

    supplier, user = active
    soon = service.add_qualification(user, supplier, "permit", "许可证", "", date(2026, 12, 10), "p.pdf",
                                     io.BytesIO(PDF))
    db.session.commit()
    assert chronograph.run_sweep(SWEEP)["expiry_reminded"] == [soon.id]


def test_the_expired_certificate_blocks_submission_and_shows_on_the_page(client, draft, clock):
    from tests_helpers import login

    from core.db import db
    from registry.suppliers import service

    supplier, user = draft
    service.add_qualification(user, supplier, "permit", "许可证", "", date(2026, 11, 30), "p.pdf", io.BytesIO(PDF))
    db.session.commit()
    clock.set(parse_local("2026-12-01 09:00"))
    login(client, user)
    page = client.get("/suppliers/me").get_data(as_text=True)
    assert 'data-state="expired"' in page and "有效的许可证" in page
    assert client.post("/suppliers/me/submit").status_code == 302
    db.session.expire_all()
    assert supplier.status.value == "draft"
    assert client.post("/api/v1/suppliers/me/submit").get_json()["error"]["code"] == "application_incomplete"
