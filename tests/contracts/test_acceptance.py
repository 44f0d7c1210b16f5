"""Acceptance (履约验收) and payment of a signed contract, through the API as the purchaser, the supplier and
the finance intranet use it: the result against the contract's items, the report signed by every member,
payment due in the region's days, the performance rating, the overdue warning. Refusals change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from contract_helpers import TERMS, sign_by_api
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from tests_helpers import login

from core import clock as clock_module


@pytest.fixture
def signed(client, order):
    """The test order's contract, drafted and signed by both parties."""
    _order, buyer, seller = order
    login(client, buyer)
    drafted = client.post("/api/v1/contracts/testorder/1", json={"terms": TERMS}).get_json()
    client.post("/logout")
    for user in (buyer, seller):
        sign_by_api(client, user, f"/api/v1/contracts/{drafted['id']}/signatures", drafted["sha256"])
    return drafted["id"], buyer, seller


def _today() -> date:
    return clock_module.to_local(clock_module.now()).date()


def _organise(client, buyer, contract_id, members, mode="purchaser"):
    login(client, buyer)
    r = client.post(f"/api/v1/contracts/{contract_id}/acceptances",
                    json={"mode": mode, "member_ids": members, "scheduled_on": _today().isoformat()})
    client.post("/logout")
    return r


def _record(client, buyer, acceptance_id, passed=True, note="", delivered=None):
    login(client, buyer)
    r = client.post(f"/api/v1/contracts/acceptances/{acceptance_id}/result", json={
        "items": [{"ref": "1", "accepted_quantity": 40 if passed else 35, "passed": passed, "note": note}],
        "delivery_due_on": _today().isoformat(), "delivered_on": (delivered or _today()).isoformat(),
        "conclusion": "按订单逐项清点验收。"})
    client.post("/logout")
    return r


def _sign_all(client, users, acceptance):
    for user in users:
        body = sign_by_api(client, user, f"/api/v1/contracts/acceptances/{acceptance['id']}/signatures",
                           acceptance["sha256"])
    return body


def test_accepted_signed_by_the_group_payment_due_in_the_sme_days_and_rated(client, signed, clock):
    from accounts.models import Org
    from contracts.acceptance import performance_of
    from contracts.models import Contract
    from core.db import db
    from region_rules import store

    contract_id, buyer, seller = signed
    supplier = db.session.get(Org, seller.org_id)
    supplier.is_sme = True
    store.set_values(None, None, {"contract.sme_payment_days": 20}, reason="测试")
    db.session.commit()
    organised = _organise(client, buyer, contract_id, [seller.id])
    assert organised.status_code == 201, organised.get_json()
    body = organised.get_json()
    assert sorted(m["role"] for m in body["members"]) == ["purchaser", "supplier"]
    recorded = _record(client, buyer, body["id"]).get_json()
    assert recorded["status"] == "signing" and recorded["report"]["items"][0]["name"] == "A4 复印纸"
    done = _sign_all(client, [buyer, seller], recorded)
    assert done["status"] == "passed"
    contract = db.session.get(Contract, contract_id)
    db.session.refresh(contract)
    assert clock_module.to_local(contract.payment_due_at).date() == _today() + timedelta(days=20)
    assert performance_of(seller.org_id) == {"contracts": 1, "average": 5.0, "late": 0, "defects": 0}


def test_refusals_name_the_problem_and_change_nothing(client, signed, make_user):
    from sqlalchemy import func, select

    from contracts.models import Acceptance
    from core.db import db
    from region_rules import store

    contract_id, buyer, seller = signed
    store.set_values(None, None, {"contract.acceptance_expert_threshold_fen": 50_000}, reason="测试")
    db.session.commit()
    r = _organise(client, buyer, contract_id, [seller.id])  # 1,000 yuan ≥ the region's 500: experts needed
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "acceptance_invalid"
    login(client, seller)
    r = client.post(f"/api/v1/contracts/{contract_id}/acceptances",
                    json={"mode": "experts", "member_ids": [], "scheduled_on": _today().isoformat()})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_contract_purchaser"
    client.post("/logout")
    assert db.session.scalar(select(func.count()).select_from(Acceptance)) == 0
    expert = make_user("expert", totp=False)
    accepted = _organise(client, buyer, contract_id, [expert.id, seller.id], mode="experts").get_json()
    login(client, buyer)
    r = client.post(f"/api/v1/contracts/acceptances/{accepted['id']}/result", json={
        "items": [{"ref": "9", "passed": True}], "delivery_due_on": _today().isoformat(),
        "delivered_on": _today().isoformat(), "conclusion": "x"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "acceptance_result_invalid"
    assert "不是本合同的标的" in r.get_json()["error"]["message"]
    client.post("/logout")
    assert _record(client, buyer, accepted["id"], passed=False).status_code == 422  # a failed item needs its problem
    recorded = _record(client, buyer, accepted["id"]).get_json()
    outsider = make_user("supplier", org_kind="supplier", totp=False)
    login(client, outsider)
    r = client.post(f"/api/v1/contracts/acceptances/{accepted['id']}/signatures",
                    json={"sha256": recorded["sha256"], "signature": "A" * 86})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_acceptance_member"
    client.post("/logout")
    login(client, seller)
    r = client.post(f"/api/v1/contracts/acceptances/{accepted['id']}/signatures",
                    json={"sha256": "0" * 64, "signature": "A" * 86})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "acceptance_changed"
    client.post("/logout")
    row = db.session.get(Acceptance, accepted["id"])
    db.session.refresh(row)
    assert row.status.value == "signing" and not any(m.signed_at for m in row.members)


def test_a_failed_round_is_rectified_and_the_next_round_passes(client, signed):
    from contracts.models import PerformanceRating
    from core.db import db

    contract_id, buyer, seller = signed
    first = _organise(client, buyer, contract_id, [seller.id]).get_json()
    recorded = _record(client, buyer, first["id"], passed=False, note="少送 5 箱").get_json()
    assert _sign_all(client, [buyer, seller], recorded)["status"] == "failed"
    assert _organise(client, buyer, contract_id, [seller.id]).status_code == 409  # the remedy comes first
    login(client, buyer)
    r = client.post(f"/api/v1/contracts/acceptances/{first['id']}/remedy",
                    json={"remedy": "rectify", "due_on": (_today() + timedelta(days=7)).isoformat(), "note": "补齐"})
    assert r.status_code == 200 and r.get_json()["remedy"] == "rectify"
    client.post("/logout")
    second = _organise(client, buyer, contract_id, [seller.id]).get_json()
    assert second["round"] == 2
    recorded = _record(client, buyer, second["id"]).get_json()
    assert _sign_all(client, [buyer, seller], recorded)["status"] == "passed"
    rating = db.session.get(PerformanceRating, contract_id)
    db.session.refresh(rating)
    assert (rating.first_round, rating.defects, rating.on_time, rating.score) == (False, 1, True, 3)


def test_payments_from_the_intranet_and_the_overdue_warning(app, client, signed, make_user, clock):
    from sqlalchemy import select

    from audit.models import AuditEvent
    from contracts import payments
    from contracts.models import Contract
    from core import exchange
    from core.db import db

    contract_id, buyer, seller = signed
    admin = make_user("admin", totp=False)
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    exchange.register_sender(admin, "ts-finance", "泰顺县财政局内网", payments.INTRANET_CHANNEL, "finance",
                             "ed25519", pem)
    db.session.commit()
    contract = db.session.get(Contract, contract_id)

    def send(body, **over):
        envelope = exchange.make_envelope("ts-finance", payments.INTRANET_CHANNEL, "contract.payment", body) | over
        return client.post("/api/v1/contracts/intranet/messages", json=exchange.sign_envelope(key, envelope))

    first = _organise(client, buyer, contract_id, [seller.id]).get_json()
    _sign_all(client, [buyer, seller], _record(client, buyer, first["id"]).get_json())
    paid = {"contract_number": contract.number, "amount_fen": 60_000, "paid_on": _today().isoformat(),
            "voucher": "GK-2026-0001"}
    r = send(paid)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["result"]["outstanding_fen"] == 40_000
    assert send(paid).get_json()["error"]["code"] == "payment_voucher_duplicate"
    assert send({**paid, "voucher": "GK-2", "amount_fen": 50_000}).get_json()["error"]["code"] == \
        "payment_exceeds_contract"
    assert send({**paid, "voucher": "GK-3", "contract_number": "nope"}).get_json()["error"]["code"] == \
        "payment_contract_unknown"
    db.session.refresh(contract)
    assert contract.paid_fen == 60_000

    clock.advance(timedelta(days=31))
    from core.chronograph import run_sweep

    run_sweep("contracts-sweep")
    run_sweep("contracts-sweep")  # once only
    warned = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contract.payment_overdue")))
    assert len(warned) == 1 and str(warned[0].object_id) == str(contract_id)
    db.session.refresh(contract)
    assert contract.payment_warned_at is not None
    login(client, buyer)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "已逾期" in page and "GK-2026-0001" in page and "验收合格" in page
    client.post("/logout")
    supervisor = make_user("supervisor", totp=True)
    login(client, supervisor)
    board = client.get("/dashboard").get_data(as_text=True)
    assert "逾期未付的合同款项" in board and "尚欠 400.00 元" in board  # the supervisor's list


def test_the_acceptance_notice_when_the_region_asks_for_it(client, signed):
    from contracts.models import Acceptance
    from core.db import db
    from notices.models import Notice
    from region_rules import store

    contract_id, buyer, seller = signed
    store.set_values(None, None, {"contract.acceptance_notice_required": True}, reason="测试")
    db.session.commit()
    first = _organise(client, buyer, contract_id, [seller.id]).get_json()
    _sign_all(client, [buyer, seller], _record(client, buyer, first["id"]).get_json())
    row = db.session.get(Acceptance, first["id"])
    db.session.refresh(row)
    notice = db.session.get(Notice, row.notice_id)
    assert notice.kind.value == "acceptance" and row.sha256 in notice.body and "验收结论" in notice.body


def test_the_purchaser_arranges_and_records_through_the_page_and_it_reads_in_english(client, signed):
    from english_scan import chinese_snippets
    from sqlalchemy import select

    from accounts.models import Org, User
    from contracts.models import Acceptance
    from core.db import db

    contract_id, buyer, seller = signed
    login(client, buyer)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "组织验收" in page and f'value="{seller.id}"' in page  # the winner's people are offered
    r = client.post(f"/contracts/{contract_id}/acceptance", data={
        "mode": "purchaser", "scheduled_on": _today().isoformat(), "member_ids": [str(seller.id)]})
    assert r.status_code == 302
    row = db.session.scalar(select(Acceptance).where(Acceptance.contract_id == contract_id))
    r = client.post(f"/contracts/acceptances/{row.id}/result", data={
        "quantity-1": "40", "passed-1": "no", "note-1": "", "delivery_due_on": _today().isoformat(),
        "delivered_on": _today().isoformat(), "conclusion": "清点"}, follow_redirects=True)
    assert "不合格，请写明问题" in r.get_data(as_text=True)  # refused, said in the page's language
    db.session.refresh(row)
    assert row.document is None
    client.post(f"/contracts/acceptances/{row.id}/result", data={
        "quantity-1": "40", "passed-1": "yes", "delivery_due_on": _today().isoformat(),
        "delivered_on": _today().isoformat(), "conclusion": "All counted"}, follow_redirects=True)
    db.session.refresh(row)
    assert row.status.value == "signing" and row.items[0]["accepted_quantity"] == 40

    client.get("/lang/en")
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    data = [u.name for u in db.session.scalars(select(User))] + [o.name for o in db.session.scalars(select(Org))]
    data += ["办公用品采购（订单1）", "办公用品采购", "A4 复印纸", "订单确认书", *TERMS.values()]
    assert "Acceptance round 1" in page and "contract-sign.js" in page
    assert chinese_snippets(page, tuple(sorted(data, key=len, reverse=True))) == []


def test_a_contract_terminated_for_breach_counts_against_the_suppliers_credit(client, signed):
    from accounts.models import Org
    from core.db import db
    from registry.credit.service import assess_org

    contract_id, buyer, seller = signed
    supplier = db.session.get(Org, seller.org_id)
    before = assess_org(supplier).score
    first = _organise(client, buyer, contract_id, [seller.id]).get_json()
    recorded = _record(client, buyer, first["id"], passed=False, note="设备无法开机").get_json()
    _sign_all(client, [buyer, seller], recorded)
    login(client, buyer)
    r = client.post(f"/api/v1/contracts/acceptances/{first['id']}/remedy",
                    json={"remedy": "terminate", "note": "两次整改仍不合格，依约解除"})
    assert r.status_code == 200, r.get_json()
    client.post("/logout")
    found = assess_org(db.session.get(Org, seller.org_id))
    assert found.score == before - 5  # credit.deduct.poor_performance, national default
    assert [d["performance"] for d in found.deductions if "performance" in d] == [contract_id]
