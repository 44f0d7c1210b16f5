"""JSON API of the deposits: the banks' and issuers' signed messages (no login: each message is signed by
its sender's registered key), the lot's setting, a supplier's deposit, the agency's refunds and
forfeitures, the reconciliation report, and the administrator's registry of senders."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from core import clock, exchange
from core.auth import roles_required, signed_request
from core.db import db
from core.errors import NotFound, ValidationError
from deposits import bank, service, stages
from deposits.schemas import ForfeitIn, GuaranteeIn, RefundReasonIn, ReleaseIn, SenderIn, SettingIn
from deposits.transitions import Purpose

blp = Blueprint("deposits_api", __name__, url_prefix="/api/v1/deposits", description="Bid deposits, guarantees")


def setting_out(lot_id: int) -> dict:
    row = service.setting_of(lot_id)
    if row is None:
        return {"lot_id": lot_id, "configured": False, "required": False}
    return {"lot_id": lot_id, "configured": True, "required": row.required, "amount_fen": row.amount_fen,
            "forms": row.forms, "waiver": row.waiver, "bid_valid_days": row.bid_valid_days,
            "performance_percent": row.performance_percent, "stage": row.stage, "rules_version": row.rules_version,
            "max_amount_fen": service.max_amount(lot_id)}


def deposit_out(d) -> dict:
    return {"id": d.id, "lot_id": d.lot_id, "org_id": d.org_id, "org": d.org.name, "purpose": d.purpose.value,
            "form": d.form.value if d.form else None, "status": d.status.value, "amount_fen": d.amount_fen,
            "paid_fen": d.paid_fen, "account_no": d.account_no, "letter_no": d.letter_no,
            "valid_until": d.valid_until.isoformat() if d.valid_until else None,
            "refund_reason": d.refund_reason,
            "refund_due_on": d.refund_due_on.isoformat() if d.refund_due_on else None,
            "refund_message_id": d.refund_message_id,
            "refunded_at": d.refunded_at.isoformat() if d.refunded_at else None,
            "overdue": d.overdue_at is not None, "forfeit_reason": d.forfeit_reason,
            "payer_accounts": sorted({c.payer_account for c in d.credits})}


@blp.post("/messages")
@signed_request
def receive_message():
    """A signed message from a registered bank or issuer (core/exchange.py gives the envelope)."""
    envelope = request.get_json(silent=True)
    received = bank.receive(envelope)
    db.session.commit()
    return {"message_id": received.message.message_id, "status": "accepted", "result": received.result}


@blp.get("/lots/<int:lot_id>")
def get_setting(lot_id: int):
    """The lot's deposit setting (anyone who may see the tender)."""
    stages.lot_of(lot_id)
    return setting_out(lot_id)


@blp.put("/lots/<int:lot_id>")
@blp.arguments(SettingIn)
@roles_required(Role.AGENCY_STAFF)
def put_setting(data, lot_id: int):
    """The agency sets what the tender document asks (before publication)."""
    service.configure_lot(current_user, lot_id, data)
    db.session.commit()
    return setting_out(lot_id)


@blp.get("/lots/<int:lot_id>/mine")
@roles_required(Role.SUPPLIER)
def my_deposit(lot_id: int):
    """My deposit for the lot: what is asked, my sub-account to pay into, where it stands."""
    service.require_registered(current_user, lot_id)
    return service.state_for(lot_id, current_user.org_id)


@blp.post("/lots/<int:lot_id>/guarantee")
@blp.arguments(GuaranteeIn)
@roles_required(Role.SUPPLIER)
def submit_guarantee(data, lot_id: int):
    """Hand in an electronic guarantee letter signed by its issuer."""
    deposit = service.submit_guarantee(current_user, lot_id, data["letter"], data["signature"],
                                       Purpose(data["purpose"]))
    db.session.commit()
    return deposit_out(deposit)


@blp.post("/lots/<int:lot_id>/waiver")
@roles_required(Role.SUPPLIER)
def declare_waiver(lot_id: int):
    """An SME declares itself exempt where the region waives deposits for SMEs."""
    deposit = service.declare_waiver(current_user, lot_id)
    db.session.commit()
    return deposit_out(deposit)


@blp.get("/lots/<int:lot_id>/deposits")
@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR, Role.ADMIN)
def lot_deposits(lot_id: int):
    """Every deposit of the lot, and the payer accounts shared by several bidders."""
    if not service.can_view_lot(current_user, lot_id):
        raise NotFound("标项不存在。", code="lot_not_found")
    return {"deposits": [deposit_out(d) for d in service.deposits_of_lot(lot_id)],
            "shared_payer_accounts": service.shared_payer_accounts(lot_id)}


@blp.post("/<int:deposit_id>/refund")
@blp.arguments(RefundReasonIn)
@roles_required(Role.AGENCY_STAFF)
def refund(data, deposit_id: int):
    deposit = service.refund_deposit(current_user, deposit_id, data["reason"])
    db.session.commit()
    return deposit_out(deposit)


@blp.post("/<int:deposit_id>/forfeit")
@blp.arguments(ForfeitIn)
@roles_required(Role.AGENCY_STAFF)
def forfeit(data, deposit_id: int):
    deposit = service.forfeit_deposit(current_user, deposit_id, data["reason_code"], data["note"])
    db.session.commit()
    return deposit_out(deposit)


@blp.post("/<int:deposit_id>/release")
@blp.arguments(ReleaseIn)
@roles_required(Role.AGENCY_STAFF)
def release(data, deposit_id: int):
    """Release a performance security after the acceptance."""
    deposit = service.release_performance_security(current_user, deposit_id, data["acceptance_ref"])
    db.session.commit()
    return deposit_out(deposit)


def parse_day(text: str | None) -> date:
    if not text:
        return clock.to_local(clock.now()).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("日期格式应为 YYYY-MM-DD。", code="day_invalid") from None


@blp.get("/reconciliation")
@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR, Role.ADMIN)
def reconciliation():
    """The day's reconciliation (?day=YYYY-MM-DD&bank=CODE)."""
    sender = exchange.sender_by_code(request.args["bank"]) if request.args.get("bank") else None
    if request.args.get("bank") and sender is None:
        raise NotFound("银行未登记。", code="exchange_sender_not_found")
    return bank.reconciliation(parse_day(request.args.get("day")), sender)


@blp.get("/senders")
@roles_required(Role.ADMIN, Role.SUPERVISOR)
def list_senders():
    return [{"id": s.id, "code": s.code, "name": s.name, "channel": s.channel, "kind": s.kind,
             "algorithm": s.algorithm, "fingerprint": s.fingerprint, "active": s.active}
            for s in exchange.senders()]


@blp.post("/senders")
@blp.arguments(SenderIn)
@roles_required(Role.ADMIN)
def register_sender(data):
    """The administrator registers a bank's or an issuer's key."""
    row = exchange.register_sender(current_user, data["code"], data["name"], data["channel"], data["kind"],
                                   data["algorithm"], data["public_key_pem"])
    db.session.commit()
    return {"id": row.id, "code": row.code, "fingerprint": row.fingerprint}
