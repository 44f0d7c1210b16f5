"""The finance intranet's side of plans (内外网数据对接), on `core.exchange` (channel `finance.intranet`, the one
contracts.payments receives payments on; the same signed-message endpoint, /api/v1/contracts/intranet/messages,
dispatches by type).

Types handled here:
- `plan.confirmation` — the intranet pushes a confirmation it approved: its number, the unit's USCC, the
  title, catalogue code, method, plan type, amount in fen, optional items and validity. Recorded as an
  immutable confirmation (source `intranet`, the message's log line kept with it). An unknown unit
  (`confirmation_org_unknown`), a number already recorded (`confirmation_duplicate`) or a malformed body
  (`confirmation_invalid`) is refused by the exchange with that code, and changes nothing.
- `plan.export` — the intranet asks for the day's picture of its region: each confirmation with what was
  drawn on it and the signed contracts of the lots and orders that drew (what it pays against); answered
  in the reply.
- `outbox.fetch` — the messages the platform queued for it (each signed by the platform's key).

`import_confirmations(user, text)` is the same import from a CSV file for regions without the intranet
yet; `reconciliation(day)` the day's report of the channel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from accounts.models import Org, OrgKind, User
from accounts.orgs import require_finance
from audit.service import record
from core import clock, exchange
from core.db import db
from core.errors import DomainError, NotFound, ValidationError
from plan import rules
from plan.confirmations import draws_of, issue_confirmation
from plan.models import Confirmation

CHANNEL = "finance.intranet"
FILE_COLUMNS = ("number", "org_uscc", "title", "catalogue_code", "method", "plan_type", "amount_fen", "valid_until")
MAX_FILE_LINES = 2000
# subject kind -> the signed contracts of one subject (a tender lot's awards; mall/ adds its orders)
ContractsOf = Callable[[int], list[Any]]
CONTRACTS_OF_SUBJECT: dict[str, ContractsOf] = {}


def contracts_of_subject(kind: str) -> Callable[[ContractsOf], ContractsOf]:
    """Register how the export finds the contracts of a drawing subject of this kind."""

    def decorator(fn: ContractsOf) -> ContractsOf:
        CONTRACTS_OF_SUBJECT[kind] = fn
        return fn

    return decorator


@contracts_of_subject("tender_lot")
def _lot_contracts(lot_id: int) -> list[Any]:
    from contracts.models import Contract
    from evaluation.models import Award

    return list(db.session.scalars(select(Contract).join(Award, (Contract.source_kind == "award")
                                                         & (Contract.source_id == Award.id))
                                   .where(Award.lot_id == lot_id).order_by(Contract.id)))


def _text(body: dict, key: str, longest: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= longest:
        raise ValidationError(f"确认书字段 {key} 缺失或过长。", code="confirmation_invalid", details={"field": key})
    return value.strip()


def record_confirmation(body: dict[str, Any], *, source: str, message_id: int | None = None) -> Confirmation:
    """One confirmation from the intranet's body (a message or a file line): checked, then frozen."""
    number = _text(body, "number", 40)
    uscc = _text(body, "org_uscc", 18)
    org = db.session.scalar(select(Org).where(Org.uscc == uscc))
    if org is None or org.kind not in (OrgKind.PURCHASER, OrgKind.DEPARTMENT):
        raise NotFound(f"统一社会信用代码 {uscc} 不是本平台的采购单位。", code="confirmation_org_unknown")
    title, code = _text(body, "title", 200), _text(body, "catalogue_code", 20).upper()
    method, plan_type = _text(body, "method", 32), _text(body, "plan_type", 12)
    if plan_type not in rules.CATEGORIES:
        raise ValidationError("采购类型无效。", code="confirmation_invalid", details={"field": "plan_type"})
    amount = body.get("amount_fen")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= rules.MAX_FEN:
        raise ValidationError("确认书金额须为正整数（分）。", code="confirmation_invalid",
                              details={"field": "amount_fen"})
    valid_until = None
    if body.get("valid_until"):
        try:
            valid_until = date.fromisoformat(str(body["valid_until"]))
        except ValueError:
            raise ValidationError("有效期格式应为 YYYY-MM-DD。", code="confirmation_invalid",
                                  details={"field": "valid_until"}) from None
    items = body.get("items") if isinstance(body.get("items"), list) else []
    snapshot = {"intranet": {k: body[k] for k in sorted(body) if k != "items"}, "items": items[:50]}
    return issue_confirmation(org=org, title=title, catalogue_code=code, method=method, plan_type=plan_type,
                              amount_fen=amount, snapshot=snapshot, source=source, message_id=message_id,
                              number=number, valid_until=valid_until)


@exchange.handler(CHANNEL, "plan.confirmation")
def receive_confirmation(sender: exchange.ExchangeSender, body: dict[str, Any],
                         message: exchange.ExchangeMessage) -> dict[str, Any]:
    confirmation = record_confirmation(body, source="intranet", message_id=message.id)
    return {"confirmation": confirmation.number, "sha256": confirmation.sha256, "id": confirmation.id}


@exchange.handler(CHANNEL, "plan.export")
def answer_export(sender: exchange.ExchangeSender, body: dict[str, Any],
                  message: exchange.ExchangeMessage) -> dict[str, Any]:
    region = str(body.get("region_code") or "")
    if not region:
        raise ValidationError("请指明区划代码。", code="export_invalid")
    return {"region_code": region, "confirmations": export(region)}


exchange.handler(CHANNEL, "outbox.fetch")(exchange.fetch_outbox)  # the same function whoever registers it


def export(region_code: str, limit: int = 500) -> list[dict[str, Any]]:
    """Each confirmation of the region with its draws and the signed contracts they led to."""
    rows = db.session.scalars(select(Confirmation).where(Confirmation.region_code == region_code)
                              .order_by(Confirmation.id.desc()).limit(limit))
    out = []
    for row in rows:
        draws = []
        for draw in draws_of(row):
            finder = CONTRACTS_OF_SUBJECT.get(draw.subject_kind)
            contracts = [{"number": c.number, "amount_fen": c.amount_fen, "status": c.status.value,
                          "supplier_org_id": c.supplier_org_id, "paid_fen": c.paid_fen,
                          "accepted_at": c.accepted_at.isoformat() if c.accepted_at else None,
                          "signed_at": c.signed_at.isoformat() if c.signed_at else None}
                         for c in (finder(draw.subject_id) if finder else [])]
            draws.append({"subject": [draw.subject_kind, draw.subject_id], "amount_fen": draw.amount_fen,
                          "status": draw.status.value, "contracts": contracts})
        out.append({"number": row.number, "sha256": row.sha256, "org_uscc": row.org.uscc, "amount_fen": row.amount_fen,
                    "drawn_fen": row.drawn_fen, "source": row.source, "draws": draws})
    return out


def receive(envelope: Any) -> exchange.Received:
    return exchange.receive(envelope, CHANNEL)


def import_confirmations(user: User, text: str) -> dict[str, Any]:
    """Finance imports confirmations from a CSV file (the columns of FILE_COLUMNS, a header line): each line
    in its own savepoint; the report lists what was recorded and why each other line was refused."""
    require_finance(user)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in FILE_COLUMNS[:-1]):
        raise ValidationError(f"文件须有表头：{', '.join(FILE_COLUMNS)}。", code="import_columns_missing")
    recorded, refused = [], []
    for line, row in enumerate(reader, start=2):
        if line > MAX_FILE_LINES + 1:
            raise ValidationError(f"文件不能超过 {MAX_FILE_LINES} 行。", code="import_too_long")
        body = {k: (v or "").strip() for k, v in row.items() if k in FILE_COLUMNS}
        try:
            body["amount_fen"] = int(body.get("amount_fen") or "")
        except ValueError:
            refused.append({"line": line, "code": "confirmation_invalid", "message": "金额须为整数（分）。"})
            continue
        savepoint = db.session.begin_nested()
        try:
            confirmation = record_confirmation(body, source="file")
        except DomainError as exc:
            savepoint.rollback()
            refused.append({"line": line, "code": exc.code, "message": exc.message})
            continue
        savepoint.commit()
        recorded.append(confirmation.number)
    record("plan.confirmations_imported", None, {"recorded": recorded, "refused": refused},
           object_type="plan_confirmation_import", object_id=clock.now().strftime("%Y%m%d%H%M%S"))
    return {"recorded": recorded, "refused": refused}


def reconciliation(day: date) -> dict[str, Any]:
    """The channel's day: each message (type, status, code) and the confirmations recorded from it."""
    lines = exchange.messages_of(CHANNEL, day)
    confirmations = {c.message_id: c.number for c in db.session.scalars(
        select(Confirmation).where(Confirmation.message_id.in_([m.id for m in lines])))} if lines else {}
    return {"day": day.isoformat(), "messages": [
        {"at": clock.format_local(m.received_at), "sender": m.sender_code, "type": m.type, "message_id": m.message_id,
         "direction": m.direction, "status": m.status, "code": m.error_code, "confirmation": confirmations.get(m.id)}
        for m in lines],
        "accepted": sum(1 for m in lines if m.status == "accepted"),
        "refused": sum(1 for m in lines if m.status == "refused")}
