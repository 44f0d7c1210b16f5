"""Across the stages, by moving the frozen clock: deposits paid before the deadline (a transfer, a
guarantee letter), one bidder without any (flagged on the opening record), one supplier who did not bid;
after the deadline the non-bidder's refund is due in 5 working days, after the award notice the losers',
after the signed contract the winner's, and the performance security is asked, paid and released. Every
refund is an outgoing message to the bank or the issuer, confirmed by its signed answer and reconciled;
a late one is flagged; a refund twice and a forfeiture are refused or recorded with their reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

AMOUNT = 20_000_00  # 2 % of the room's lot budget (1 000 000 yuan)
TERMS = {"performance_place": "泰顺县人民医院", "payment": "验收合格后30日内支付", "acceptance": "按招标文件验收"}


def _commit():
    from core.db import db

    db.session.commit()


def _sweep() -> dict:
    from core import chronograph

    return chronograph.run_sweep("deposits-sweep")


def _refusal(fn, *args):
    from core.db import db
    from core.errors import DomainError, settle_refusal

    with pytest.raises(DomainError) as caught:
        fn(*args)
    settle_refusal(caught.value)
    db.session.expire_all()
    return caught.value.code


@pytest.fixture
def paid(room, senders, bank_message, letter_for, make_user, clock):
    """The room's lot requires 20 000 yuan; three hours before now (an hour before the deadline) supplier 0
    pays by transfer, supplier 1 by a guarantee letter, a fourth supplier (who then does not bid) by
    transfer from supplier 0's account; supplier 2 hands in nothing."""
    from core.db import db
    from deposits import bank, service
    from deposits.models import LotDeposit
    from tender.models import Registration

    now = clock.now()
    outsider = make_user("supplier", org_kind="supplier")
    for user in [*room.suppliers, outsider]:
        db.session.add(Registration(project_id=room.project.id, org_id=user.org_id, user_id=user.id,
                                    registered_at=now - timedelta(days=10)))
    # the agency set this before publication (the room's project is built opened, so the row is written here)
    db.session.add(LotDeposit(lot_id=room.lot.id, project_id=room.project.id, region_code="330329", required=True,
                              amount_fen=AMOUNT, forms=["guarantee", "transfer"], bank_sender_id=senders.bank.id,
                              bid_valid_days=90, performance_percent=5, set_by_id=room.agency.id,
                              set_at=now - timedelta(days=22)))
    _commit()
    clock.set(now - timedelta(hours=3))
    for user, ref in ((room.suppliers[0], "T-0"), (outsider, "T-9")):
        bank.receive(bank_message("deposit.credit", {
            "account_no": service.account_number(room.lot.id, user.org_id), "amount_fen": AMOUNT,
            "payer_account": "6217000011112222", "payer_name": "某某", "bank_ref": ref}))
        _commit()
    signed = letter_for(room.project, room.lot, room.suppliers[1].org, AMOUNT)
    service.submit_guarantee(room.suppliers[1], room.lot.id, signed["letter"], signed["signature"])
    _commit()
    clock.set(now)
    return outsider


def _deposit(lot_id: int, org_id: int, purpose: str = "bid"):
    from deposits import service
    from deposits.transitions import Purpose

    return service.deposit_of(lot_id, org_id, Purpose(purpose))


def _confirm(senders, deposit, bank_message, *, issuer: bool = False):
    from core import exchange
    from deposits import bank

    if issuer:
        envelope = exchange.sign_envelope(senders.issuer_key, exchange.make_envelope(
            "pingan", "deposits.guarantee", "guarantee.released", {"refund_message_id": deposit.refund_message_id}))
    else:
        envelope = bank_message("deposit.refund_confirmed", {"refund_message_id": deposit.refund_message_id,
                                                             "bank_ref": "R-1"})
    got = bank.receive(envelope)
    _commit()
    return got, envelope


def test_from_the_deadline_through_the_award_to_the_refunds(room, paid, senders, bank_message, clock, app, client):
    from accounts.service import register_public_key
    from audit.models import AuditEvent
    from core.db import db
    from core.exchange import ExchangeMessage
    from crypto import sign_document
    from crypto.encoding import b64u_encode
    from deposits import bank, service
    from evaluation import contracts
    from tender import hall

    winner, loser, _bare = room.suppliers
    outsider = paid
    # the opening record flags the bid without a deposit, and only it
    with app.test_request_context():
        state = hall.state_for(room.agency, room.project)
    flagged = {line["bidder"]: line["flags"] for line in state["record"]}
    assert flagged == {"供应商1有限公司": [], "供应商2有限公司": [],
                       "供应商3有限公司": ["未按招标文件要求提交投标保证金"]}
    assert "【未按招标文件要求提交投标保证金】" in state["record"][2]["remarks"]
    from pdf_helpers import pdf_text

    from tender import record_pdf

    if record_pdf.available():  # and in the opening record's PDF
        assert "未按招标文件要求提交投标保证金" in pdf_text(record_pdf.render(room.project)).replace("\n", "")
    # the same account paid for two suppliers (Art 37): there for the collusion signals
    assert service.shared_payer_accounts(room.lot.id) == {"6217000011112222": sorted([winner.org_id, outsider.org_id])}

    # the sweep after the deadline (Friday 27 November): the non-bidder's refund, due Friday 4 December, sent
    report = _sweep()
    assert report["tracked"] == [service.setting_of(room.lot.id).id]
    mine = _deposit(room.lot.id, outsider.org_id)
    assert mine.status.value == "refund_sent" and mine.refund_due_on == date(2026, 12, 4)
    order = db.session.scalar(select(ExchangeMessage).where(ExchangeMessage.message_id == mine.refund_message_id))
    assert order.direction == "out" and order.type == "deposit.refund" and order.status == "pending"
    assert order.body["payees"] == [{"account": "6217000011112222", "name": "某某", "amount_fen": AMOUNT}]
    # the bank picks its orders up with a signed message; each comes signed by the platform's key
    from core import exchange

    fetched = bank.receive(bank_message("outbox.fetch", {})).result
    _commit()
    assert [m["message_id"] for m in fetched["messages"]] == [order.message_id]
    platform = exchange.load_key(fetched["platform_key"], "ed25519")
    envelope = fetched["messages"][0]
    from crypto.encoding import b64u_decode

    assert envelope["sender"] == "biaoyun" and envelope["to"] == "tsbank" and envelope["body"] == order.body
    assert exchange.verify_signature(platform, "ed25519", exchange.signing_input(envelope),
                                     b64u_decode(envelope["signature"]))
    forged = {**envelope, "body": {**envelope["body"], "amount_fen": 1}}
    assert not exchange.verify_signature(platform, "ed25519", exchange.signing_input(forged),
                                         b64u_decode(envelope["signature"]))
    assert _deposit(room.lot.id, winner.org_id).status.value == "held"

    # the award notice (the room's evaluation, published the same Friday): the loser's letter released
    award = room.extra.setdefault("award", None) or _publish(room, clock)
    assert award.notified_at is not None
    _sweep()
    letter = _deposit(room.lot.id, loser.org_id)
    assert letter.status.value == "refund_sent" and letter.refund_reason == "未中标"
    assert letter.refund_due_on == date(2026, 12, 4) and _deposit(room.lot.id, winner.org_id).status.value == "held"
    release = db.session.scalar(select(ExchangeMessage).where(ExchangeMessage.message_id == letter.refund_message_id))
    assert release.type == "guarantee.release" and release.sender_code == "pingan"
    got, _ = _confirm(senders, letter, bank_message, issuer=True)
    assert got.result == {"deposit": letter.id, "status": "refunded", "late": False}
    db.session.refresh(release)
    assert release.status == "acknowledged"

    # the bank has not confirmed the non-bidder's refund by Friday 4 December: flagged on Monday 7
    clock.set(clock.now() + timedelta(days=10))
    assert _sweep()["overdue"] == [mine.id]
    assert _sweep()["overdue"] == []  # once
    day = clock.now().date()
    assert [d["deposit"] for d in bank.reconciliation(day)["overdue"]] == [mine.id]
    from evaluation_helpers import as_user

    for user in (room.supervisor, room.agency):  # the late refund on the supervisor's and the agency's dashboard
        as_user(client, user, clock)
        page = client.get("/dashboard").get_data(as_text=True)
        assert "逾期未退" in page and outsider.org.name in page, user.username
    got, envelope = _confirm(senders, mine, bank_message)
    assert got.result["late"] is True
    # confirmed twice: the same message is a duplicate, a new one finds the refund already done; nothing changes
    assert _refusal(bank.receive, envelope) == "exchange_duplicate"
    again = bank_message("deposit.refund_confirmed", {"refund_message_id": mine.refund_message_id})
    assert _refusal(bank.receive, again) == "deposit_already_refunded"
    assert _refusal(service.refund_deposit, room.agency, mine.id, "再退一次") == "deposit_already_refunded"
    recon = bank.reconciliation(day)
    assert recon["totals"]["refund_confirmed_fen"] == AMOUNT and recon["totals"]["refused"] == 2

    # the contract signed by both: the winner's refund due in 5 working days, the performance security asked
    _sign_contract(room, award, register_public_key, sign_document, b64u_encode, contracts, winner)
    signed_day = clock.now().date()
    _sweep()
    mine_w = _deposit(room.lot.id, winner.org_id)
    assert mine_w.status.value == "refund_sent" and mine_w.refund_reason == "中标，合同已签订"
    from core.workdays import get_calendar

    assert mine_w.refund_due_on == get_calendar().add_workdays(signed_day, 5)
    security = _deposit(room.lot.id, winner.org_id, "performance")
    assert security.status.value == "awaiting" and security.amount_fen == 900_000_00 * 5 // 100
    assert service.state_for(room.lot.id, winner.org_id)["performance"]["account_no"] == security.account_no
    as_user(client, winner, clock)  # the winner sees what to pay and where, on the project's page
    assert security.account_no in client.get(f"/tender/{room.project.id}").get_data(as_text=True)
    bank.receive(bank_message("deposit.credit", {"account_no": security.account_no, "amount_fen": security.amount_fen,
                                                 "payer_account": "6217000011112222"}))
    _commit()
    assert security.status.value == "held"
    assert _refusal(service.release_performance_security, room.agency, security.id, "") == "acceptance_ref_missing"
    # the contract's acceptance passes: its listener (contracts.acceptance.on_accepted) releases the security
    from contracts import acceptance as acceptance_module
    from contracts.models import Acceptance, Contract

    assert service.release_on_acceptance in acceptance_module.ACCEPTED
    contract = db.session.scalar(select(Contract).where(Contract.source_kind == "award",
                                                        Contract.source_id == award.id))
    for listener in acceptance_module.ACCEPTED:
        listener(contract, Acceptance(contract_id=contract.id, round=1, mode="purchaser"))
    _commit()
    db.session.refresh(security)
    assert security.status.value == "refund_due" and security.refund_reason.startswith("履约验收合格")
    assert _refusal(service.release_performance_security, room.agency, security.id, "YS-2027-001") == \
        "deposit_not_held"
    _sweep()
    db.session.refresh(security)
    assert security.status.value == "refund_sent"
    # the day's reconciliation from the command line
    result = app.test_cli_runner().invoke(args=["deposits", "reconcile", "--day", day.isoformat()])
    assert result.exit_code == 0 and '"refund_confirmed_fen"' in result.output
    assert app.test_cli_runner().invoke(args=["deposits", "reconcile", "--bank", "nobank"]).exit_code != 0
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("deposits.%"))))
    assert {"deposits.credited", "deposits.guarantee_accepted", "deposits.lot_tracked", "deposits.refunded",
            "deposits.refund_overdue", "deposits.performance_asked", "deposits.performance_released",
            "deposits.status"} <= actions


def _publish(room, clock):
    """The room's evaluation to the published result (tests/evaluation/conftest.py's `published`)."""
    from evaluation_helpers import declare_and_elect, publish_first_candidate, review_all_pass, sign_report
    from tests_helpers import totp_code

    from core.db import db
    from evaluation import service

    clock.advance(timedelta(minutes=31))
    committee = service.open_evaluation(room.agency, room.lot.id)
    cid = committee.id
    declare_and_elect(room, cid)
    review_all_pass(room, cid)
    clock.advance(timedelta(seconds=31))
    sheet = {str(b.id): {"技术": "40", "商务": "12"} for b in room.bids}
    for user in room.panel:
        service.submit_scores(user, cid, sheet, totp_code(user))
    service.start_summary(room.experts[0], cid)
    report = service.accept_summary(room.experts[0], cid)
    sign_report(room, clock, report)
    award = publish_first_candidate(room, cid, report)
    db.session.commit()
    return award


def _sign_contract(room, award, register_public_key, sign_document, b64u_encode, contracts, winner):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from evaluation_helpers import past_challenge_period

    from contracts.service import sign_contract
    from core import clock as clock_module
    from core.db import db

    contract = contracts.draft_contract(room.purchaser, award.id, TERMS)
    db.session.commit()
    past_challenge_period(clock_module.clock, award)  # signing waits for the challenge period
    for user in (room.purchaser, winner):
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        register_public_key(user, pem, "sign", "合同签名")
        sign_contract(user, contract.id, contract.sha256,
                      b64u_encode(sign_document(key, bytes.fromhex(contract.sha256))))
        db.session.commit()
    assert award.contracted_at is not None


def test_a_forfeit_is_recorded_with_its_reason_and_then_nothing_is_refunded(room, paid, clock):
    from audit.models import AuditEvent
    from core.db import db
    from deposits import service

    winner = room.suppliers[0]
    deposit = _deposit(room.lot.id, winner.org_id)
    assert _refusal(service.forfeit_deposit, room.agency, deposit.id, "no_reason") == "forfeit_reason_invalid"
    assert _refusal(service.forfeit_deposit, winner, deposit.id, "refused_to_sign") == "not_project_staff"
    service.forfeit_deposit(room.agency, deposit.id, "refused_to_sign", "中标通知书发出后30日内未签订合同")
    _commit()
    assert deposit.status.value == "forfeited" and deposit.forfeit_reason.startswith("中标后无正当理由拒不签订合同")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deposits.forfeited"))
    assert '"reason":"refused_to_sign"' in event.payload
    assert _refusal(service.refund_deposit, room.agency, deposit.id, "") == "deposit_forfeited"
    assert _refusal(service.forfeit_deposit, room.agency, deposit.id, "refused_to_sign") == "deposit_not_held"
