"""The contracts API (/api/v1/contracts): draft a source's contract, read one, sign it, and the finance
intranet's export of signed contracts. Thin: the rules are in contracts.service."""

from __future__ import annotations

from datetime import datetime

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from accounts.service import regions_under
from contracts import acceptance as acceptances
from contracts import payments, service, sources
from contracts.models import Acceptance, Contract
from contracts.schemas import AcceptanceIn, AcceptanceResultIn, ContractDraftIn, ContractSignIn, RemedyIn
from core import clock
from core.auth import signed_request
from core.db import db
from core.errors import Forbidden, NotFound, ValidationError

blp = Blueprint("contracts_api", __name__, url_prefix="/api/v1/contracts",
                description="Contracts of every purchase: drafting, signing, export")


def contract_out(contract: Contract) -> dict:
    return {"id": contract.id, "number": contract.number, "status": contract.status.value,
            "status_text": service.STATUS_ZH[contract.status.value],
            "source": {"kind": contract.source_kind, "id": contract.source_id},
            "revision": contract.revision, "sha256": contract.sha256, "amount_fen": contract.amount_fen,
            "due_at": contract.due_at.isoformat(), "notice_id": contract.notice_id,
            "signed_at": contract.signed_at.isoformat() if contract.signed_at else None,
            "signatures": [{"party": s.party, "signed_at": s.signed_at.isoformat(), "signature": s.signature}
                           for s in contract.signatures],
            "document": service.document_of(contract),
            "accepted_at": contract.accepted_at.isoformat() if contract.accepted_at else None,
            "payment_due_at": contract.payment_due_at.isoformat() if contract.payment_due_at else None,
            "paid_fen": contract.paid_fen}


def acceptance_out(row: Acceptance) -> dict:
    return {"id": row.id, "contract_id": row.contract_id, "round": row.round, "status": row.status.value,
            "status_text": acceptances.STATUS_ZH[row.status.value], "mode": row.mode, "third_party": row.third_party,
            "scheduled_on": row.scheduled_on.isoformat(), "passed": row.passed, "sha256": row.sha256,
            "members": [{"user_id": m.user_id, "role": m.role,
                         "signed_at": m.signed_at.isoformat() if m.signed_at else None, "signature": m.signature}
                        for m in row.members],
            "report": acceptances.document_of_acceptance(row) or None, "remedy": row.remedy,
            "remedy_due_on": row.remedy_due_on.isoformat() if row.remedy_due_on else None,
            "remedy_note": row.remedy_note, "notice_id": row.notice_id}


def _readable_acceptance(acceptance_id: int) -> Acceptance:
    row = acceptances.get_acceptance(acceptance_id)
    if not (service.can_read(current_user, service.get_contract(row.contract_id))
            or acceptances.member_of(current_user, row)):
        raise NotFound("验收记录不存在。", code="acceptance_not_found")
    return row


@blp.post("/<string:kind>/<int:source_id>")
@blp.arguments(ContractDraftIn)
def draft_contract(data: dict, kind: str, source_id: int):
    """Draft the contract of a source (`award`: a published tender award), or revise the draft while nobody
    has signed. Only the open terms are given; subject, price and delivery come from the records."""
    if not sources.known(kind):
        raise NotFound("合同来源不存在。", code="contract_source_not_found")
    contract = service.draft_contract(current_user, kind, source_id, data["terms"])
    db.session.commit()
    return contract_out(contract), 201


@blp.get("/<int:contract_id>")
def get_contract(contract_id: int):
    """The contract with its canonical document: what the parties sign is SHA-256 of `document` (FORMAT.md §14)."""
    contract = service.get_contract(contract_id)
    if not service.can_read(current_user, contract):
        raise NotFound("合同不存在。", code="contract_not_found")
    return contract_out(contract)


@blp.post("/<int:contract_id>/signatures")
@blp.arguments(ContractSignIn)
def sign_contract(data: dict, contract_id: int):
    """A party signs the contract's digest with its registered signing key (raw r||s, base64url)."""
    contract = service.sign_contract(current_user, contract_id, data["sha256"], data["signature"])
    db.session.commit()
    return contract_out(contract), 201


@blp.get("")
def signed_contracts():
    """Signed contracts of the supervisor's regions, for the finance intranet's payments; `since` (ISO time)."""
    if not current_user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有财政监管人员可以导出合同。", code="not_supervisor")
    since = request.args.get("since")
    try:
        since_at = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise ValidationError("since 须为 ISO 8601 时间。", code="bad_since") from None
    if since_at is not None and since_at.tzinfo is None:
        since_at = since_at.replace(tzinfo=clock.LOCAL_TZ)
    rows = service.signed_contracts(regions_under(current_user.region_code), since_at)
    return {"contracts": [contract_out(c) for c in rows]}


# ---------------------------------------------------------------- acceptance and payment

@blp.post("/<int:contract_id>/acceptances")
@blp.arguments(AcceptanceIn)
def organise_acceptance(data: dict, contract_id: int):
    """The purchaser organises the (next) acceptance of a signed contract: the way, the group, the day."""
    row = acceptances.organise_acceptance(current_user, contract_id, data["mode"], data["member_ids"],
                                          data["scheduled_on"], data["third_party"])
    db.session.commit()
    return acceptance_out(row), 201


@blp.get("/acceptances/<int:acceptance_id>")
def get_acceptance(acceptance_id: int):
    """One acceptance round with its report: what each member signs is SHA-256 of `report`."""
    return acceptance_out(_readable_acceptance(acceptance_id))


@blp.post("/acceptances/<int:acceptance_id>/result")
@blp.arguments(AcceptanceResultIn)
def record_result(data: dict, acceptance_id: int):
    """The result item by item against the contract's items (`ref` as in the contract's `items`)."""
    items = [{k: v for k, v in item.items() if not (k == "accepted_quantity" and v is None)} for item in data["items"]]
    for item in items:
        if isinstance(item.get("accepted_quantity"), float) and item["accepted_quantity"].is_integer():
            item["accepted_quantity"] = int(item["accepted_quantity"])
    row = acceptances.record_result(current_user, acceptance_id, items, data["delivery_due_on"],
                                    data["delivered_on"], data["conclusion"])
    db.session.commit()
    return acceptance_out(row)


@blp.post("/acceptances/<int:acceptance_id>/signatures")
@blp.arguments(ContractSignIn)
def sign_acceptance(data: dict, acceptance_id: int):
    """A member signs the report's digest with his registered signing key (raw r||s, base64url)."""
    row = acceptances.sign_report(current_user, acceptance_id, data["sha256"], data["signature"])
    db.session.commit()
    return acceptance_out(row), 201


@blp.post("/acceptances/<int:acceptance_id>/remedy")
@blp.arguments(RemedyIn)
def decide_remedy(data: dict, acceptance_id: int):
    """After a failed acceptance: rectify by a date (then the next round), or terminate for breach."""
    row = acceptances.decide_remedy(current_user, acceptance_id, data["remedy"], data["due_on"], data["note"])
    db.session.commit()
    return acceptance_out(row)


@blp.post("/intranet/messages")
@signed_request
def receive_intranet_message():
    """A signed message from the finance intranet (core/exchange.py gives the envelope): a payment made."""
    received = payments.receive(request.get_json(silent=True))
    db.session.commit()
    return {"message_id": received.message.message_id, "status": "accepted", "result": received.result}
