"""JSON API of credit: records and their import, an organisation's assessment, warning cards (the supplier's
answer, the supervisor's decision) and sanctions. Errors are `{"error": {"code", "message"}}` with the
service's stable codes; a refused import answers 422 `credit_import_invalid` with each (row, column, reason)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.db import db
from core.errors import Forbidden, ValidationError
from registry.credit import importer, service
from registry.credit.models import CreditRecord, RecordKind, Sanction, WarningCard

blp = Blueprint("registry_credit_api", __name__, url_prefix="/api/v1/credit", description="Credit (诚信预警)")


class CreditRecordsQuery(Schema):
    kind = fields.Str(load_default=None, metadata={"description": "dishonest_debtor / tax_violation / "
                                                                  "procurement_violation"})
    q = fields.Str(load_default="", metadata={"description": "a USCC, or part of a name"})


class CreditCardsQuery(Schema):
    status = fields.Str(load_default=None, metadata={"description": "open / answered / sanctioned / dismissed"})


class CreditSanctionIn(Schema):
    reason = fields.Str(required=True)
    level = fields.Str(load_default=None, allow_none=True,
                       metadata={"description": "warning / restricted / banned (default: the card's proposal)"})


class CreditReasonIn(Schema):
    reason = fields.Str(required=True)


def record_out(row: CreditRecord) -> dict:
    return {"id": row.id, "kind": row.kind.value, "name": row.name, "uscc": row.uscc, "address": row.address,
            "case": row.case_text, "basis": row.basis, "result": row.result,
            "record_date": row.record_date.isoformat(), "place": row.place,
            "penalty_end": row.penalty_end.isoformat() if row.penalty_end else None,
            "valid_until": row.valid_until.isoformat(), "source": row.source, "org_id": row.org_id,
            "match": row.match.value}


def card_out(card: WarningCard) -> dict:
    return {"id": card.id, "org_id": card.org_id, "org": card.org.name, "rule": card.rule, "stage": card.stage,
            "subject": card.subject, "inputs": card.inputs, "threshold": card.threshold,
            "record_ids": card.record_ids, "proposed_level": card.proposed_level.value,
            "rules_version": card.rules_version, "status": card.status.value,
            "issued_at": card.issued_at.isoformat(), "respond_due_at": card.respond_due_at.isoformat(),
            "statement": card.statement, "answered_at": card.answered_at.isoformat() if card.answered_at else None,
            "evidence": [{"id": e.id, "name": e.name, "size": e.size, "sha256": e.sha256} for e in card.evidence],
            "decision_note": card.decision_note,
            "decided_at": card.decided_at.isoformat() if card.decided_at else None}


def sanction_out(sanction: Sanction) -> dict:
    return {"id": sanction.id, "org_id": sanction.org_id, "card_id": sanction.card_id,
            "level": sanction.level.value, "months": sanction.months, "repeat": sanction.repeat,
            "previous_id": sanction.previous_id, "reason": sanction.reason,
            "starts_at": sanction.starts_at.isoformat(),
            "ends_at": sanction.ends_at.isoformat() if sanction.ends_at else None,
            "status": sanction.status.value, "ended_at": sanction.ended_at.isoformat() if sanction.ended_at else None}


def _readers_only() -> None:
    if not current_user.has_role(*service.READERS):
        raise Forbidden("您的角色无权查看诚信记录。", code="forbidden")


@blp.get("/records")
@blp.arguments(CreditRecordsQuery, location="query")
def list_records(args: dict):
    """The imported records (newest first, at most 500)."""
    _readers_only()
    kind = args["kind"]
    if kind is not None and kind not in {k.value for k in RecordKind}:
        raise ValidationError("记录类别无效。", code="credit_kind_invalid")
    return [record_out(r) for r in service.list_records(RecordKind(kind) if kind else None, args["q"])]


@blp.post("/imports")
@blp.response(201)
def import_records():
    """Import a CSV or XLSX file (multipart field `file`): all rows or none."""
    if not current_user.has_role(*service.IMPORTERS):
        raise Forbidden("只有财政部门可以导入诚信记录。", code="forbidden")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("请上传 CSV 或 XLSX 文件（字段 file）。", code="credit_import_file_missing")
    report = importer.import_records_file(upload.read(), upload.filename, current_user)
    if not report.ok:
        raise ValidationError(f"文件有 {len(report.problems)} 处问题，未导入任何数据。", code="credit_import_invalid",
                              details={"problems": [p.as_dict() for p in report.problems]})
    db.session.commit()
    return {"import_id": report.import_id, "rows": report.rows, "created": report.created,
            "skipped": report.skipped, "matched": report.matched}


@blp.get("/orgs/<int:org_id>")
def org_credit(org_id: int):
    """An organisation's assessment today (score, deductions, bars), its cards and its sanctions."""
    if not service.can_see_org(current_user, org_id):
        raise Forbidden("只能查看本单位的诚信信息。", code="credit_org_forbidden")
    org = service.get_org(org_id)
    found = service.assess_org(org)
    return {"org_id": org.id, "name": org.name, "uscc": org.uscc, "barred": found.barred,
            "warned": found.warned, "assessment": found.as_inputs(), "thresholds": found.thresholds,
            "proposed_level": found.level.value if found.level else None,
            "cards": [card_out(c) for c in service.cards_of_org(org_id)],
            "sanctions": [sanction_out(s) for s in service.sanctions_of_org(org_id)]}


@blp.get("/cards")
@blp.arguments(CreditCardsQuery, location="query")
def list_cards(args: dict):
    """Warning cards: every card for the agency and the supervisor, a supplier's own for a supplier."""
    from registry.credit.models import CardStatus

    status = args["status"]
    if status is not None and status not in {s.value for s in CardStatus}:
        raise ValidationError("状态无效。", code="credit_card_status_invalid")
    if current_user.has_role(*service.READERS):
        cards = service.list_cards(CardStatus(status) if status else None)
    elif current_user.org_id is not None:
        cards = [c for c in service.cards_of_org(current_user.org_id) if status is None or c.status.value == status]
    else:
        cards = []
    return [card_out(c) for c in cards]


@blp.get("/cards/<int:card_id>")
def get_card(card_id: int):
    """One card with the records it used."""
    card = service.card_for(current_user, card_id)
    return card_out(card) | {"records": [record_out(r) for r in service.records_used(card)]}


@blp.post("/cards/<int:card_id>/answer")
def answer_card(card_id: int):
    """The supplier's written statement (form field `statement`) with evidence files (field `evidence`)."""
    uploads = [(f.filename, f.stream) for f in request.files.getlist("evidence") if f and f.filename]
    card = service.answer_card(current_user, card_id, request.form.get("statement", ""), uploads)
    db.session.commit()
    return card_out(card)


@blp.post("/cards/<int:card_id>/sanction")
@blp.arguments(CreditSanctionIn)
@blp.response(201)
def sanction_card(data: dict, card_id: int):
    """The supervisor's sanction on a card (a reason is required; a repeat offence escalates)."""
    sanction = service.apply_sanction(current_user, card_id, data["reason"], data["level"])
    db.session.commit()
    return sanction_out(sanction)


@blp.post("/cards/<int:card_id>/dismiss")
@blp.arguments(CreditReasonIn)
def dismiss_card(data: dict, card_id: int):
    card = service.dismiss_card(current_user, card_id, data["reason"])
    db.session.commit()
    return card_out(card)


@blp.get("/sanctions")
def list_sanctions():
    _readers_only()
    return [sanction_out(s) for s in service.list_sanctions()]


@blp.post("/sanctions/<int:sanction_id>/revoke")
@blp.arguments(CreditReasonIn)
def revoke_sanction(data: dict, sanction_id: int):
    sanction = service.revoke_sanction(current_user, sanction_id, data["reason"])
    db.session.commit()
    return sanction_out(sanction)
