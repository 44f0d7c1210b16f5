"""An award's periods and holds, read by every stage after the award: the last day to challenge the
result, the last day to sign the contract, and a complaint's suspension of the procurement.

They sit below `awarding`, `letters`, `challenges`, `complaints` and `contracts`, which all read
them, so that none of those has to import another only for a date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import clock
from core.db import db
from evaluation import deadlines
from evaluation.models import Award, Complaint
from evaluation.transitions import ComplaintStatus


def challenge_due(award: Award) -> date | None:
    """The last day a bidder may challenge a published result (a local date), or None before publication."""
    if award.notified_at is None:
        return None
    return deadlines.due_date(deadlines.Step.CHALLENGE, clock.to_local(award.notified_at).date())


def contract_due(award: Award):
    """The last day to sign (a local date): 30 days after the award notice (政府采购法第四十六条)."""
    return deadlines.due_date(deadlines.Step.CONTRACT, clock.to_local(award.notified_at).date())


def award_blocked(award: Award) -> str | None:
    """Why the award may not proceed to the contract now (a procurement suspended by finance while it
    handles a complaint), or None."""
    row = db.session.scalar(select(Complaint).where(
        Complaint.award_id == award.id, Complaint.status == ComplaintStatus.ACCEPTED,
        Complaint.suspended_until > clock.now())
        .order_by(Complaint.suspended_until.desc()))
    if row is None:
        return None
    return (f"财政部门正在处理投诉（编号 {row.id}），采购活动暂停至 "
            f"{clock.format_local(row.suspended_until)}，暂停期间不得签订合同。")
