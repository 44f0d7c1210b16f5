"""Payments of signed contracts, as the finance intranet reports them, and the warning when one is late.

The treasury pays; the platform only records what the finance intranet tells it, as a signed message
(`core.exchange`, channel `finance.intranet`, type `contract.payment`: the contract's number, the amount in
fen, the day paid and the intranet's voucher number). A payment for an unknown or unsigned contract, a
voucher seen before, or more than the contract's amount is refused with its code and changes nothing.
Once a contract's acceptance passed, its payment falls due within the region's days (30 for small and
medium enterprises, 保障中小企业款项支付条例第八条); if it is not paid in full by then, the region's
finance bureau and the purchaser are warned once (a timed step) and the supervisors' dashboard lists it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select

from accounts.service import finance_orgs, regions_under
from audit.service import record
from contracts.models import Contract, ContractPayment
from contracts.service import describe
from contracts.transitions import ContractStatus
from core import clock, exchange
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, NotFound, ValidationError

INTRANET_CHANNEL = "finance.intranet"


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@exchange.handler(INTRANET_CHANNEL, "contract.payment")
def record_payment(sender: exchange.ExchangeSender, body: dict[str, Any], message: exchange.ExchangeMessage) -> dict:
    """One payment the treasury made, as the finance intranet reported it."""
    amount, voucher, paid_on = body.get("amount_fen"), str(body.get("voucher") or "").strip(), _day(body.get("paid_on"))
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or not voucher or len(voucher) > 60 \
            or paid_on is None:
        raise ValidationError("付款通知缺少金额、付款日期或凭证号。", code="payment_invalid")
    if paid_on > clock.to_local(clock.now()).date():
        raise ValidationError("付款日期不能晚于今天。", code="payment_invalid")
    contract = db.session.scalar(select(Contract).where(Contract.number == str(body.get("contract_number") or ""))
                                 .with_for_update())
    if contract is None:
        raise NotFound("合同编号不存在。", code="payment_contract_unknown")
    if contract.status is not ContractStatus.SIGNED:
        raise Conflict("合同尚未签订，不能登记付款。", code="payment_contract_not_signed")
    if db.session.scalar(select(ContractPayment.id).where(ContractPayment.voucher == voucher)):
        raise Conflict("该付款凭证已登记。", code="payment_voucher_duplicate")
    if contract.paid_fen + amount > contract.amount_fen:
        raise Conflict("累计付款将超过合同金额。", code="payment_exceeds_contract")
    late = contract.payment_due_at is not None and clock.end_of_local_day(paid_on) > contract.payment_due_at
    payment = ContractPayment(contract_id=contract.id, amount_fen=amount, paid_on=paid_on, voucher=voucher,
                              message_id=message.id, late=late, recorded_at=clock.now())
    db.session.add(payment)
    contract.paid_fen += amount
    db.session.flush()
    record("contract.payment_recorded", contract, {"payment": payment.id, "amount_fen": amount, "voucher": voucher,
                                                   "paid_on": paid_on.isoformat(), "late": late,
                                                   "paid_fen": contract.paid_fen, "sender": sender.code})
    return {"contract": contract.number, "paid_fen": contract.paid_fen, "outstanding_fen": outstanding(contract),
            "late": late}


def receive(envelope: Any) -> exchange.Received:
    """A signed message from the finance intranet (the API's receiver)."""
    return exchange.receive(envelope, INTRANET_CHANNEL)


def outstanding(contract: Contract) -> int:
    return contract.amount_fen - contract.paid_fen


def payments_of(contract: Contract) -> list[ContractPayment]:
    return list(db.session.scalars(select(ContractPayment).where(ContractPayment.contract_id == contract.id)
                                   .order_by(ContractPayment.paid_on, ContractPayment.id)))


def overdue_condition(now: datetime):
    """Accepted, due, not paid in full, not warned yet (the timed step's condition)."""
    return and_(Contract.payment_warned_at.is_(None), Contract.paid_fen < Contract.amount_fen)


def warn_payment_overdue(contract: Contract) -> bool:
    """The due day passed with money still owed: finance and the purchaser are warned, once."""
    if contract.payment_due_at is None or contract.payment_due_at > clock.now() or outstanding(contract) <= 0 \
            or contract.payment_warned_at is not None:
        return False
    contract.payment_warned_at = clock.now()
    orgs = finance_orgs(contract.region_code)
    record("contract.payment_overdue", contract, {"due": clock.to_local(contract.payment_due_at).date().isoformat(),
                                                  "outstanding_fen": outstanding(contract), "finance_orgs": orgs},
           actor="system:contracts-sweep")
    from core.tasks import send_message

    after_commit(send_message.delay, {"title": "合同款项逾期未付",
                                      "body": f"{describe(contract).title}：验收合格后应付款项已逾期，"
                                              f"尚欠 {outstanding(contract) / 100:.2f} 元。",
                                      "level": "danger", "url": f"/contracts/{contract.id}#payments"},
                 org_ids=[*orgs, contract.purchaser_org_id])
    return True


def overdue_for(user) -> list[Contract]:
    """Contracts of a supervisor's regions whose payment is overdue (the dashboard's list)."""
    return list(db.session.scalars(
        select(Contract).where(Contract.region_code.in_(regions_under(user.region_code)),
                               Contract.payment_due_at < clock.now(), Contract.paid_fen < Contract.amount_fen)
        .order_by(Contract.payment_due_at).limit(50)))
