"""A lot's bid deposit from the agency's setting to the opening: set before publication (≤ 2 % of the
budget, the region's waiver), frozen after; the supplier's sub-account and its state; transfers from the
bank's signed notifications matched to the supplier; guarantee letters checked against their issuer's
key and the bid validity; an SME waiver; the payer accounts for the collusion signals; and a bid without
a valid deposit flagged on the opening record. Refusals change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select


def _today():
    from core import clock

    return clock.to_local(clock.now()).date()


def _local_day(at):
    from core import clock

    return clock.to_local(at).date()


def _commit():
    from core.db import db

    db.session.commit()


def _setting(**over) -> dict:
    return {"required": True, "amount_fen": 2_000_00, "forms": ["transfer", "guarantee"], "bank": "tsbank",
            "bid_valid_days": 90, "performance_percent": 5} | over


@pytest.fixture
def tender(world, make_project, senders, clock):
    """A project with the first lot's deposit set while a draft, then published with four registered suppliers."""
    from deposits import service
    from tender import service as tender_service

    project = make_project(publish=False)
    lot = project.lots[0]
    service.configure_lot(world.agency, lot.id, _setting())
    _commit()
    tender_service.publish_project(world.agency, project.id)
    _commit()
    for s in world.suppliers:
        tender_service.register_supplier(s.user, project.id)
    _commit()
    return project, lot


def _refusal(fn, *args):
    from core.db import db
    from core.errors import DomainError, settle_refusal

    with pytest.raises(DomainError) as caught:
        fn(*args)
    settle_refusal(caught.value)
    db.session.expire_all()
    return caught.value


def _deposits() -> int:
    from core.db import db
    from deposits.models import Deposit, DepositCredit

    return db.session.scalar(select(func.count()).select_from(Deposit)) + 100 * db.session.scalar(
        select(func.count()).select_from(DepositCredit))


def test_the_setting_is_capped_by_the_region_and_frozen_at_publication(world, make_project, senders, clock):
    from deposits import service
    from tender import rules as tender_rules
    from tender import service as tender_service

    project = make_project(publish=False)
    lot = project.lots[0]  # budget 100 000 yuan: at most 2 000 yuan
    exc = _refusal(service.configure_lot, world.agency, lot.id, _setting(amount_fen=2_000_01))
    assert exc.code == "deposit_setting_invalid" and "amount_fen" in exc.details["fields"]
    exc = _refusal(service.configure_lot, world.agency, lot.id, _setting(performance_percent=11))
    assert "performance_percent" in exc.details["fields"]
    exc = _refusal(service.configure_lot, world.agency, lot.id, _setting(bank="nobank"))
    assert "bank" in exc.details["fields"]
    assert _refusal(service.configure_lot, world.suppliers[0].user, lot.id, _setting()).code == "not_project_staff"
    assert service.setting_of(lot.id) is None
    tender_rules.set_rule("330329", "deposits.waiver", "all")
    _commit()
    exc = _refusal(service.configure_lot, world.agency, lot.id, _setting())
    assert "required" in exc.details["fields"]
    row = service.configure_lot(world.agency, lot.id, _setting(required=False))
    _commit()
    assert not row.required and row.waiver == "all" and row.amount_fen == 0 and row.rules_version == 1
    tender_service.publish_project(world.agency, project.id)
    _commit()
    assert _refusal(service.configure_lot, world.agency, lot.id, _setting(required=False)).code == \
        "deposit_setting_frozen"


def test_a_transfer_is_matched_to_the_supplier_through_its_sub_account(tender, world, bank_message, clock):
    from core import exchange
    from deposits import bank, service

    _project, lot = tender
    alice, bob = world.suppliers[0].user, world.suppliers[1].user
    state = service.state_for(lot.id, alice.org_id)
    assert state["status"] == "awaiting" and state["amount_fen"] == 2_000_00 and state["bank"] == "泰顺农商银行"
    account = state["account_no"]
    assert service.parse_account(account) == (lot.id, alice.org_id, service.Purpose.BID)
    assert service.parse_account(account[:-1] + str((int(account[-1]) + 1) % 10)) is None  # check digit
    # 1 500 yuan, then 500 yuan from another account: held once the amount is reached
    bank.receive(bank_message("deposit.credit", {"account_no": account, "amount_fen": 1_500_00,
                                                 "payer_account": "6217 0001", "payer_name": "甲公司",
                                                 "bank_ref": "T1"}))
    _commit()
    assert service.state_for(lot.id, alice.org_id)["status"] == "awaiting"
    got = bank.receive(bank_message("deposit.credit", {"account_no": account, "amount_fen": 500_00,
                                                       "payer_account": "62170002", "payer_name": "甲公司",
                                                       "bank_ref": "T2"}))
    _commit()
    assert got.result["status"] == "held" and service.state_for(lot.id, alice.org_id)["valid_at_deadline"]
    # bob's deposit paid from alice's first account: Art 37's situation, for the collusion signals
    bank.receive(bank_message("deposit.credit", {"account_no": service.account_number(lot.id, bob.org_id),
                                                 "amount_fen": 2_000_00, "payer_account": "62170001",
                                                 "payer_name": "甲公司", "bank_ref": "T3"}))
    _commit()
    assert service.payer_accounts(lot.id) == {"62170001": sorted([alice.org_id, bob.org_id]),
                                              "62170002": [alice.org_id]}
    assert service.shared_payer_accounts(lot.id) == {"62170001": sorted([alice.org_id, bob.org_id])}
    # refusals: an unknown sub-account, a supplier not registered, a replay, another bank's key
    before = _deposits()
    for body, code in [({"account_no": "950000000000000000", "amount_fen": 1, "payer_account": "1"},
                        "deposit_unknown_account"),
                       ({"account_no": service.account_number(lot.id, 999999), "amount_fen": 1, "payer_account": "1"},
                        "deposit_unknown_account"),
                       ({"account_no": account, "amount_fen": -5, "payer_account": "1"}, "deposit_credit_invalid")]:
        assert _refusal(bank.receive, bank_message("deposit.credit", body)).code == code
    envelope = bank_message("deposit.credit", {"account_no": account, "amount_fen": 100, "payer_account": "1"})
    bank.receive(envelope)
    _commit()
    before = _deposits()
    assert _refusal(bank.receive, envelope).code == "exchange_duplicate"
    assert _refusal(bank.receive, bank_message("deposit.credit", {"account_no": account, "amount_fen": 100,
                                                                  "payer_account": "1"},
                                               nonce=envelope["nonce"])).code == "exchange_replayed"
    assert _deposits() == before
    refused = exchange.messages_of("deposits.bank", _today())
    assert [m.error_code for m in refused if m.status == "refused"] == [
        "deposit_unknown_account", "deposit_unknown_account", "deposit_credit_invalid", "exchange_duplicate",
        "exchange_replayed"]


def test_guarantee_letters_are_checked_against_the_issuer_and_the_bid_validity(tender, world, letter_for, clock):
    from cryptography.hazmat.primitives.asymmetric import ec

    from deposits import service

    project, lot = tender
    alice = world.suppliers[0].user
    org = alice.org
    start = _local_day(project.deadline)
    cases = [
        (letter_for(project, lot, org, 2_000_00, key=ec.generate_private_key(ec.SECP256R1())),
         "guarantee_bad_signature"),
        (letter_for(project, lot, org, 2_000_00, valid_until=(start + timedelta(days=60)).isoformat()),
         "guarantee_validity_short"),
        (letter_for(project, lot, org, 2_000_00, valid_until=(_today()
                                                             - timedelta(days=1)).isoformat()), "guarantee_expired"),
        (letter_for(project, lot, org, 1_999_99), "guarantee_amount_short"),
        (letter_for(project, lot, org, 2_000_00, applicant="9133000000000000XX"), "guarantee_mismatch"),
        (letter_for(project, lot, org, 2_000_00, issuer="tsbank"), "guarantee_unknown_issuer"),
    ]
    for signed, code in cases:
        assert _refusal(service.submit_guarantee, alice, lot.id, signed["letter"], signed["signature"]).code == code
    tampered = letter_for(project, lot, org, 2_000_00)
    tampered["letter"]["amount_fen"] = 9_000_00
    assert _refusal(service.submit_guarantee, alice, lot.id, tampered["letter"],
                    tampered["signature"]).code == "guarantee_bad_signature"
    assert _deposits() == 0
    good = letter_for(project, lot, org, 2_000_00)
    deposit = service.submit_guarantee(alice, lot.id, good["letter"], good["signature"])
    _commit()
    assert deposit.status.value == "held" and deposit.form.value == "guarantee" and deposit.letter_no
    assert _refusal(service.submit_guarantee, alice, lot.id, good["letter"],
                    good["signature"]).code == "deposit_already_held"
    bob = world.suppliers[1].user
    reused = letter_for(project, lot, bob.org, 2_000_00, letter_no=deposit.letter_no)
    assert _refusal(service.submit_guarantee, bob, lot.id, reused["letter"], reused["signature"]).code == \
        "guarantee_reused"


def test_sme_waiver_only_where_the_region_waives_for_smes(tender, world, clock):
    from deposits import service
    from tender import rules as tender_rules

    _project, lot = tender
    alice = world.suppliers[0].user
    assert _refusal(service.declare_waiver, alice, lot.id).code == "waiver_not_applicable"
    from core.db import db
    from deposits.models import LotDeposit

    # the setting records the region's waiver when it was made: a region waiving for SMEs
    tender_rules.set_rule("330329", "deposits.waiver", "sme")
    db.session.scalar(select(LotDeposit)).waiver = "sme"
    _commit()
    deposit = service.declare_waiver(alice, lot.id)
    _commit()
    assert deposit.status.value == "waived" and service.state_for(lot.id, alice.org_id)["valid_at_deadline"]


def test_pages_and_api(tender, world, client, senders, bank_message, clock):
    from tests_helpers import login

    from deposits import service

    project, lot = tender
    alice = world.suppliers[0].user
    clock.advance(timedelta(seconds=31))
    login(client, alice)
    mine = client.get(f"/api/v1/deposits/lots/{lot.id}/mine").get_json()
    assert mine["status"] == "awaiting" and mine["account_no"] == service.account_number(lot.id, alice.org_id)
    page = client.get(f"/tender/{project.id}/lots/{lot.id}/bid").get_data(as_text=True)
    assert mine["account_no"] in page and "投标保证金" in page
    assert client.get(f"/deposits/lots/{lot.id}").status_code == 404  # a supplier sees only its own
    response = client.post("/api/v1/deposits/messages",
                           json=bank_message("deposit.credit", {"account_no": mine["account_no"],
                                                                "amount_fen": 2_000_00, "payer_account": "6217"}))
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "held"
    bad = bank_message("deposit.credit", {"account_no": "1", "amount_fen": 1, "payer_account": "1"})
    response = client.post("/api/v1/deposits/messages", json=bad)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "deposit_unknown_account"
    assert client.get(f"/tender/{project.id}").status_code == 200
    client.get("/logout")
    clock.advance(timedelta(seconds=31))
    login(client, world.agency)
    page = client.get(f"/deposits/lots/{lot.id}").get_data(as_text=True)
    assert alice.org.name in page and "已缴纳" in page
    listing = client.get(f"/api/v1/deposits/lots/{lot.id}/deposits").get_json()
    assert [d["status"] for d in listing["deposits"]] == ["held"]
    report = client.get("/api/v1/deposits/reconciliation").get_json()
    assert report["totals"]["credited_fen"] == 2_000_00 and report["totals"]["refused"] == 1
    assert "保证金银行对账" in client.get("/deposits/reconciliation").get_data(as_text=True)


def test_bank_messages_need_no_csrf_token_but_pages_still_do(tender, world, client, bank_message, app, monkeypatch):
    from deposits import service

    _project, lot = tender
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    account = service.account_number(lot.id, world.suppliers[0].user.org_id)
    response = client.post("/api/v1/deposits/messages", json=bank_message(
        "deposit.credit", {"account_no": account, "amount_fen": 2_000_00, "payer_account": "6217"}))
    assert response.status_code == 200 and response.get_json()["result"]["status"] == "held"
    response = client.post(f"/deposits/lots/{lot.id}/waiver")
    assert response.status_code == 400  # csrf_failed: the signed-request mark is the only way past it


def test_a_bid_withdrawn_before_the_deadline_gets_its_deposit_back_within_5_working_days(
        tender, world, bank_message, clock):
    from core import chronograph
    from core.db import db
    from core.workdays import get_calendar
    from deposits import bank, service
    from tender.models import Bid
    from tender.transitions import BidStatus

    project, lot = tender
    alice, bob = world.suppliers[0].user, world.suppliers[1].user
    for user in (alice, bob):
        bank.receive(bank_message("deposit.credit", {"account_no": service.account_number(lot.id, user.org_id),
                                                     "amount_fen": 2_000_00, "payer_account": f"62{user.id}"}))
        _commit()
    clock.advance(timedelta(days=3))  # Monday 30 November: alice withdraws her bid (a row, as tender writes it)
    for user, status in ((alice, BidStatus.WITHDRAWN), (bob, BidStatus.SUBMITTED)):
        db.session.add(Bid(project_id=project.id, lot_id=lot.id, org_id=user.org_id, user_id=user.id, status=status,
                           bidder_id=f"b{user.id}", path="x", size=1, sha256="0" * 64, signed_digest="0" * 64,
                           signer_fingerprint="0" * 64, commitment=f"c{user.id}", submitted_at=clock.now(),
                           closed_at=clock.now() if status is BidStatus.WITHDRAWN else None))
    _commit()
    report = chronograph.run_sweep("deposits-sweep")
    mine, his = service.deposit_of(lot.id, alice.org_id), service.deposit_of(lot.id, bob.org_id)
    assert report["sent"] == [mine.id] and his.status.value == "held"
    assert mine.refund_reason == "投标截止前撤回投标"
    assert mine.refund_due_on == get_calendar().add_workdays(_today(), 5) == date(2026, 12, 7)
    assert chronograph.run_sweep("deposits-sweep")["tracked"] == []  # once
