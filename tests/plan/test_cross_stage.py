"""From plan to contract: caigou1's intention and plan pass the configured chain (with an automatic step) to a
confirmation; the finance intranet pushes another confirmation as a signed message (a replay and a malformed
one refused, changing nothing); daili creates the tender from a confirmation, its lots drawing the budget; the
project is published only once the intention has been out 30 days; cancelling gives the money back; and a
signed contract of a lot that drew on a confirmation flows back in the intranet's export."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from plan_helpers import plan_input
from tender_helpers import project_data


def _approve_all(world, plan):
    from core.db import db
    from plan.workflow import act_on_plan, current_step

    who = {("unit", "reviewer"): world.reviewer, ("unit", "head"): world.head,
           ("finance", "reviewer"): world.guikou, ("finance", "head"): world.caijian}
    while (step := current_step(plan)) is not None:
        act_on_plan(who[(step.step.actor_org, step.step.post)], plan.id, "approve")
        db.session.commit()


def _intranet_body(org, number="QR-NW-2026-0001", amount=50_000_000):
    return {"number": number, "org_uscc": org.uscc, "title": "多媒体教室设备", "catalogue_code": "A02010199",
            "method": "public_tender", "plan_type": "goods", "amount_fen": amount}


def test_plan_to_tender_through_the_chain_and_the_intranet(plan_world, workflow_goods, world, intranet, clock):
    from sqlalchemy import func, select

    from audit.service import payloads_of
    from core import clock as core_clock
    from core import exchange
    from core.db import db
    from core.errors import DomainError, ValidationError
    from plan import intranet as finance_intranet
    from plan.models import Confirmation
    from plan.plans import create_intention, create_plan, publish_intention
    from plan.projects import create_project_from_confirmation
    from plan.service import remaining_fen
    from plan.workflow import submit_plan
    from tender import service as tender

    unit = plan_world.unit
    unit.uscc = "91330329MA2AAAAA1X"
    intention = create_intention(plan_world.clerk, {"title": "教学用服务器采购", "budget_fen": 60_000_000,
                                                    "expected_month": "2027-03"})
    publish_intention(plan_world.clerk, intention.id)
    plan = create_plan(plan_world.clerk, plan_input(intention_id=intention.id))
    submit_plan(plan_world.clerk, plan.id)
    db.session.commit()
    _approve_all(plan_world, plan)
    assert plan.status.value == "approved"
    assert [p["rule"] for p in payloads_of("plan.auto_reviewed", plan)] == ["no_split", "catalogue_allowed"]
    from_chain = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id))

    # the intranet's confirmation: accepted once; a replay and a malformed one refused, nothing changed
    envelope = intranet("plan.confirmation", _intranet_body(unit))
    received = finance_intranet.receive(envelope)
    db.session.commit()
    from_intranet = db.session.get(Confirmation, received.result["id"])
    assert from_intranet.source == "intranet" and from_intranet.message_id == received.message.id
    assert received.result["sha256"] == from_intranet.sha256
    for bad, code in ((envelope, "exchange_duplicate"),
                      (intranet("plan.confirmation", {**_intranet_body(unit, "QR-NW-2"), "amount_fen": -1}),
                       "confirmation_invalid"),
                      (intranet("plan.confirmation", {**_intranet_body(unit, "QR-NW-3"), "org_uscc": "X" * 18}),
                       "confirmation_org_unknown")):
        with pytest.raises(DomainError) as refused:
            finance_intranet.receive(bad)
        db.session.commit()  # the refused line of the log is kept
        assert refused.value.code == code
    assert db.session.scalar(select(func.count()).select_from(Confirmation)) == 2
    day = finance_intranet.reconciliation(core_clock.to_local(clock.now()).date())
    assert (day["accepted"], day["refused"]) == (1, 3) and day["messages"][0]["confirmation"] == "QR-NW-2026-0001"
    assert exchange.messages_of("finance.intranet", core_clock.to_local(clock.now()).date())[0].status == "accepted"

    # daili creates the tender from the chain's confirmation: the lots draw 300,000 yuan of its 600,000
    data = project_data(world, clock.now())
    project = create_project_from_confirmation(world.agency, from_chain.id, data)
    tender.add_document(world.agency, project, "招标文件.pdf", io.BytesIO(b"%PDF-1.4 tender document"))
    db.session.commit()
    assert project.purchaser_org_id == unit.id and project.catalogue_code == "A02010104"
    assert remaining_fen(from_chain) == 60_000_000 - 30_000_000
    with pytest.raises(ValidationError) as refused:
        tender.publish_project(world.agency, project.id)  # the intention is a day old, not 30
    assert "intention" in refused.value.details["fields"]
    db.session.rollback()

    clock.advance(timedelta(days=31))
    now = clock.now()
    tender.update_project(world.agency, project.id, {**{k: v for k, v in project_data(world, now).items()
                                                        if k.endswith(("_at", "deadline"))},
                                                     "confirm_uncovered_year": 2027}, partial=True)
    tender.publish_project(world.agency, project.id, confirm_uncovered_year=2027)
    db.session.commit()
    assert project.status.value == "bidding"

    tender.cancel_project(world.agency, project.id, "采购需求发生重大变化")
    db.session.commit()
    assert remaining_fen(from_chain) == 60_000_000
    assert len(payloads_of("plan.budget_released", from_chain)) == 2


def test_more_lots_than_the_confirmation_holds_create_nothing(plan_world, world, intranet, clock):
    from sqlalchemy import func, select

    from core.db import db
    from core.errors import Conflict
    from plan import intranet as finance_intranet
    from plan.projects import create_project_from_confirmation
    from tender.models import Project

    plan_world.unit.uscc = "91330329MA2AAAAA1X"
    received = finance_intranet.receive(intranet("plan.confirmation", _intranet_body(plan_world.unit,
                                                                                     amount=20_000_000)))
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        create_project_from_confirmation(world.agency, received.result["id"], project_data(world, clock.now()))
    db.session.rollback()
    assert refused.value.code == "confirmation_overdrawn"
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_the_signed_contract_flows_back_in_the_intranet_export(room, published, intranet, clock):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from evaluation_helpers import past_challenge_period

    from accounts.models import Org
    from accounts.service import register_public_key
    from contracts import service as contract_service
    from core.db import db
    from crypto import sign_document
    from crypto.encoding import b64u_encode
    from evaluation import contracts
    from evaluation.contracts import winner_org_id
    from plan import intranet as finance_intranet
    from plan.confirmations import draw_budget, get_confirmation

    purchaser_org = db.session.get(Org, room.purchaser.org_id)
    purchaser_org.uscc = "91330329MA2BBBBB2X"
    received = finance_intranet.receive(intranet("plan.confirmation", {
        **_intranet_body(purchaser_org, amount=room.lot.budget_fen), "title": "彩超采购"}))
    confirmation = get_confirmation(received.result["id"])
    draw_budget(confirmation, room.lot.budget_fen, subject=room.lot, actor=room.agency)
    db.session.commit()

    def key(user):
        private = ec.generate_private_key(ec.SECP256R1())
        register_public_key(user, private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(), "sign", "合同签名")
        return private

    award = published
    winner = next(u for u in room.suppliers if u.org_id == winner_org_id(award))
    contract = contracts.draft_contract(room.purchaser, award.id, {"performance_place": "泰顺县人民医院",
                                                                   "payment": "验收合格后30日内支付",
                                                                   "acceptance": "逐项验收", "warranty": "三年"})
    db.session.commit()
    buyer, seller = key(room.purchaser), key(winner)
    past_challenge_period(clock, award)
    for user, private in ((room.purchaser, buyer), (winner, seller)):
        contract_service.sign_contract(user, contract.id, contract.sha256,
                                       b64u_encode(sign_document(private, bytes.fromhex(contract.sha256))))
        db.session.commit()
    assert contract.status.value == "signed"

    answer = finance_intranet.receive(intranet("plan.export", {"region_code": room.project.region_code})).result
    db.session.commit()
    [line] = [c for c in answer["confirmations"] if c["number"] == confirmation.number]
    [draw] = line["draws"]
    assert draw["subject"] == ["tender_lot", room.lot.id] and draw["status"] == "held"
    assert [(c["number"], c["status"], c["amount_fen"]) for c in draw["contracts"]] == [
        (contract.number, "signed", contract.amount_fen)]
