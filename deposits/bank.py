"""The banks' and issuers' side: the signed messages the deposits accept (`core.exchange` handlers), and
the daily reconciliation of what came in and what went out.

Channel `deposits.bank` (a collecting bank): `deposit.credit` (a transfer into a sub-account) and
`deposit.refund_confirmed` (a refund order carried out). Channel `deposits.guarantee` (a bank or insurer
issuing guarantee letters): `guarantee.released` (a release carried out). On both, `outbox.fetch` answers
the refund orders (`deposit.refund`) or releases (`guarantee.release`) waiting for the sender, each signed
by the platform.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from core import clock, exchange, money
from core.db import db
from deposits import service
from deposits.models import Deposit, DepositCredit
from deposits.transitions import DepositStatus

exchange.handler(service.BANK_CHANNEL, "deposit.credit")(service.credit_transfer)
exchange.handler(service.BANK_CHANNEL, "deposit.refund_confirmed")(service.confirm_refund)
exchange.handler(service.GUARANTEE_CHANNEL, "guarantee.released")(service.confirm_refund)
for _channel in (service.BANK_CHANNEL, service.GUARANTEE_CHANNEL):
    exchange.handler(_channel, "outbox.fetch")(exchange.fetch_outbox)


def receive(envelope: Any) -> exchange.Received:
    """One signed message from a bank or an issuer (the API's receiver)."""
    channel = envelope.get("channel") if isinstance(envelope, dict) else None
    allowed = channel if channel in (service.BANK_CHANNEL, service.GUARANTEE_CHANNEL) else service.BANK_CHANNEL
    return exchange.receive(envelope, allowed)


def reconciliation(day: date, bank: exchange.ExchangeSender | None = None) -> dict[str, Any]:
    """The day's report (a local date), message by message: each transfer received with the lot and the
    supplier it was matched to, each refund or release sent (and whether it is confirmed yet), each
    confirmation received with the amount of the order it confirms, each refused message with its code;
    the day's totals; and every refund past its last working day still unconfirmed."""
    rows: list[dict[str, Any]] = []
    totals = {"credited_fen": 0, "refund_sent_fen": 0, "refund_confirmed_fen": 0, "refused": 0, "pending": 0}
    for channel in (service.BANK_CHANNEL, service.GUARANTEE_CHANNEL):
        for m in exchange.messages_of(channel, day, bank):
            row = {"id": m.id, "at": m.received_at.isoformat(), "at_local": clock.format_local(m.received_at),
                   "direction": m.direction, "sender": m.sender_code, "type": m.type, "message_id": m.message_id,
                   "sender_name": m.sender.name if m.sender else m.sender_code,
                   "status": m.status, "error_code": m.error_code, "amount_fen": None, "lot_id": None, "org": None}
            body = m.body or {}
            if m.direction == "in" and m.type == "deposit.credit" and m.status == "accepted":
                credit = db.session.scalar(select(DepositCredit).where(DepositCredit.message_id == m.id))
                if credit is not None:
                    row |= {"amount_fen": credit.amount_fen, "lot_id": credit.lot_id,
                            "org": service.org_name(credit.deposit.org_id), "payer_account": credit.payer_account,
                            "in_time": credit.in_time}
                    totals["credited_fen"] += credit.amount_fen
            elif m.direction == "in" and m.status == "accepted" and m.reply_to:
                order = exchange.outgoing(m.sender, m.reply_to)
                amount = (order.body or {}).get("amount_fen") if order is not None else None
                row |= {"amount_fen": amount, "reply_to": m.reply_to}
                totals["refund_confirmed_fen"] += amount or 0
            elif m.direction == "out":
                amount = body.get("amount_fen") if isinstance(body.get("amount_fen"), int) else None
                deposit = db.session.get(Deposit, body.get("deposit")) if body.get("deposit") else None
                row |= {"amount_fen": amount, "lot_id": deposit.lot_id if deposit else None,
                        "org": service.org_name(deposit.org_id) if deposit else None,
                        "acknowledged_at": m.acknowledged_at.isoformat() if m.acknowledged_at else None}
                totals["refund_sent_fen"] += amount or 0
                totals["pending"] += m.status != "acknowledged"
            if m.status == "refused":
                totals["refused"] += 1
            rows.append(row)
    overdue = db.session.scalars(select(Deposit).where(
        Deposit.status.in_((DepositStatus.REFUND_DUE, DepositStatus.REFUND_SENT)),
        Deposit.refund_due_on < day).order_by(Deposit.refund_due_on, Deposit.id))
    return {"day": day.isoformat(), "bank": bank.code if bank else None, "messages": rows,
            "totals": totals | {"credited": money.format_yuan(totals["credited_fen"]),
                                "refund_sent": money.format_yuan(totals["refund_sent_fen"]),
                                "refund_confirmed": money.format_yuan(totals["refund_confirmed_fen"])},
            "overdue": [{"deposit": d.id, "lot_id": d.lot_id, "org": service.org_name(d.org_id),
                         "due": d.refund_due_on.isoformat(), "status": d.status.value} for d in overdue]}
