"""Demo deposits, on the evaluation demo's tenders (run after it), through the real service functions and
real signed messages:

- a collecting bank (泰顺农商银行, Ed25519) and a guarantee issuer (平安财产保险温州分公司, ECDSA P-256)
  registered by the administrator; their private keys are in instance/demo-keys/ (deposit-bank.pem,
  deposit-issuer.pem) so anyone can sign a notification by hand (core/exchange.py says how);
- 泰顺县罗阳镇中心小学课桌椅采购 (awarded about two weeks ago, the contract waiting for the winner's signature)
  asked for a 2 % bid deposit, transfer or guarantee: before the deadline gys1 (the winner) handed in a
  guarantee letter, gys2, gys4 and gys6 paid by transfer — gys4 and gys6 from the same account (87号令
  Art 37's situation, listed for the collusion signals). The sweep then scheduled the losers' refunds
  within 5 working days of the award notice and sent them to the bank; the bank confirmed one, the others
  wait; the winner's letter is released within 5 working days once it signs the contract;
- 泰顺县中医院全自动生化分析仪采购 (in the scoring room) asked 1 % by transfer in a region waiving it for
  SMEs: gys1 declared the waiver, gys2 paid, gys5 did not — its line of the opening record is flagged;
- 泰顺县教育局学生直饮水设备采购 (contract signed) asked no bid deposit but a 5 % performance security,
  asked by the sweep of the winner and paid into its sub-account: the agency releases it after the
  acceptance on the lot's deposit page.

The setting rows are written as the agency set them before publication (the tenders were published by
the evaluation demo).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from flask import current_app
from sqlalchemy import select

from core import clock, exchange
from core.db import db
from core.demo import seeder
from deposits import bank, service, stages
from deposits.models import Deposit, LotDeposit
from deposits.transitions import DepositStatus, Purpose

SHARED_ACCOUNT = "6217 8577 0012 3456"


def _pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _write(name: str, key) -> None:
    folder = Path(current_app.instance_path) / "demo-keys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))


def _project(title: str):
    from tender.models import Project

    return db.session.scalar(select(Project).where(Project.title == title))


def _setting(project, agent, **values) -> LotDeposit:
    lot = project.lots[0]
    row = LotDeposit(lot_id=lot.id, project_id=project.id, region_code=project.region_code, set_by_id=agent.id,
                     set_at=project.published_at - timedelta(days=1), **values)
    db.session.add(row)
    db.session.flush()
    return row


def _credit(bank_key, account_no: str, amount: int, payer: str, name: str, ref: str) -> None:
    envelope = exchange.make_envelope("tsbank", service.BANK_CHANNEL, "deposit.credit", {
        "account_no": account_no, "amount_fen": amount, "payer_account": payer, "payer_name": name, "bank_ref": ref})
    bank.receive(exchange.sign_envelope(bank_key, envelope))


def _letter(issuer_key, project, lot, org, amount: int) -> tuple[dict, str]:
    from tender.bids import bidder_id_of

    start = clock.to_local(project.deadline).date()
    letter = {"format": service.LETTER_FORMAT, "letter_no": f"PA-BH-{project.code}-{org.id}", "issuer": "pingan",
              "applicant": bidder_id_of(org), "project_code": project.code, "lot": lot.number, "purpose": "bid",
              "amount_fen": amount, "valid_from": (start - timedelta(days=10)).isoformat(),
              "valid_until": (start + timedelta(days=120)).isoformat()}
    return letter, exchange.sign_envelope(issuer_key, letter)["signature"]


@seeder("deposits")
def seed_deposits(context: dict) -> None:
    users = context.get("users", {})
    desks, water = _project("泰顺县罗阳镇中心小学课桌椅采购"), _project("泰顺县教育局学生直饮水设备采购")
    if "admin" not in users or desks is None:
        return
    real_now = clock.now()
    bank_key, issuer_key = ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())
    _write("deposit-bank.pem", bank_key)
    _write("deposit-issuer.pem", issuer_key)
    admin = users["admin"]
    tsbank = exchange.register_sender(admin, "tsbank", "泰顺农商银行", service.BANK_CHANNEL, "bank", "ed25519",
                                      _pem(bank_key))
    exchange.register_sender(admin, "pingan", "平安财产保险温州分公司", service.GUARANTEE_CHANNEL, "insurer", "p256",
                             _pem(issuer_key))
    agent = users["daili"]
    lot = desks.lots[0]
    amount = lot.budget_fen * 2 // 100
    _setting(desks, agent, required=True, waiver="sme", amount_fen=amount, forms=["guarantee", "transfer"],
             bank_sender_id=tsbank.id, bid_valid_days=90)
    with clock.clock.frozen(desks.deadline - timedelta(days=3)):
        letter, signature = _letter(issuer_key, desks, lot, users["gys1"].org, amount)
        service.submit_guarantee(users["gys1"], lot.id, letter, signature)
        _credit(bank_key, service.account_number(lot.id, users["gys2"].org_id), amount, "6217 8577 0055 0002",
                users["gys2"].org.name, "TS20260001")
        for name, ref in (("gys4", "TS20260002"), ("gys6", "TS20260003")):
            _credit(bank_key, service.account_number(lot.id, users[name].org_id), amount, SHARED_ACCOUNT,
                    "温州某某贸易有限公司", ref)
    scoring = _project("泰顺县中医院全自动生化分析仪采购")
    if scoring is not None:  # in the scoring room: gys1 exempt as an SME, gys2 paid, gys5 nothing (flagged)
        lot_a = scoring.lots[0]
        amount_a = lot_a.budget_fen * 1 // 100
        _setting(scoring, agent, required=True, waiver="sme", amount_fen=amount_a, forms=["transfer"],
                 bank_sender_id=tsbank.id, bid_valid_days=90)
        with clock.clock.frozen(scoring.deadline - timedelta(days=1)):
            service.declare_waiver(users["gys1"], lot_a.id)
            _credit(bank_key, service.account_number(lot_a.id, users["gys2"].org_id), amount_a,
                    "6217 8577 0055 0002", users["gys2"].org.name, "TS20260010")
    if water is not None:
        _setting(water, agent, required=False, waiver="sme", amount_fen=0, forms=[], bank_sender_id=tsbank.id,
                 bid_valid_days=90, performance_percent=5)
    with clock.clock.frozen(real_now - timedelta(hours=2)):
        # the sweep's steps, in the seed's one transaction (the chronograph would commit each object)
        for setting in db.session.scalars(select(LotDeposit).order_by(LotDeposit.id)):
            service.track_lot(setting)
        for deposit in db.session.scalars(select(Deposit).where(Deposit.status == DepositStatus.REFUND_DUE)):
            service.send_refund(deposit)
        sent = [d for d in service.deposits_of_lot(lot.id) if d.refund_message_id and d.form is not None
                and d.form.value == "transfer"]
        for deposit in sent[:1]:  # the bank confirms one refund; the other waits
            envelope = exchange.make_envelope("tsbank", service.BANK_CHANNEL, "deposit.refund_confirmed",
                                              {"refund_message_id": deposit.refund_message_id, "bank_ref": "RF1"})
            bank.receive(exchange.sign_envelope(bank_key, envelope))
        if water is not None:
            facts = stages.award_facts(water.lots[0].id)
            security = service.deposit_of(water.lots[0].id, facts.winner_org_id, Purpose.PERFORMANCE) if facts else None
            if security is not None and security.account_no:
                _credit(bank_key, security.account_no, security.amount_fen, "6217 8577 0099 0001",
                        security.org.name, "TS20260100")
    db.session.flush()
    print("  演示保证金 Demo deposits: 课桌椅采购（转账、保函；两家同一账户缴纳；未中标退还已发银行，"
          "中标人保函待签约后解除）、生化分析仪采购（中小企业免收；一家未缴，开标记录标注）、"
          "直饮水采购（履约保证金已缴纳，验收后退还）; "
          "银行对账见 /deposits/reconciliation")
