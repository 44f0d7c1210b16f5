"""The contracts API (/api/v1/contracts): draft a source's contract, read one, sign it, and the finance
intranet's export of signed contracts. Thin: the rules are in contracts.service."""

from __future__ import annotations

from datetime import datetime

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from accounts.models import Role
from accounts.service import regions_under
from contracts import service, sources
from contracts.models import Contract
from contracts.schemas import ContractDraftIn, ContractSignIn
from core import clock
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
            "document": service.document_of(contract)}


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
