"""An award's periods and holds, read by every stage after the award: the last day to challenge the
result, the last day to sign the contract, and a complaint's suspension of the procurement.

They sit below `awarding`, `letters`, `challenges`, `complaints` and `contracts`, which all read
them, so that none of those has to import another only for a date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import Conflict
from core.workdays import get_calendar
from evaluation import deadlines
from evaluation.models import Award, Complaint
from evaluation.transitions import ComplaintStatus

STEP_ZH = {deadlines.Step.PURCHASER_CONFIRM: "采购人确定中标人", deadlines.Step.RESULT_NOTICE: "发布结果公告",
           deadlines.Step.CHALLENGE: "质疑"}


def uncovered_years(steps: Iterable[deadlines.Step], start: date) -> list[int]:
    """Years from `start` to the last of these steps' deadlines that the working-day calendar lacks."""
    calendar = get_calendar()
    last = max(deadlines.due_date(step, start) for step in steps)
    return [year for year in range(start.year, last.year + 1) if not calendar.covers(date(year, 1, 1))]


def require_calendar(steps: Iterable[deadlines.Step], start: date, confirm_year: int | None) -> int | None:
    """A deadline counted into a year the working-day calendar lacks is refused, unless `confirm_year`
    names that year (the days are then counted Monday–Friday); returns the year confirmed, if any."""
    steps = list(steps)
    missing = uncovered_years(steps, start)
    if not missing:
        return None
    if missing != [confirm_year]:
        years = "、".join(str(y) for y in missing)
        what = "、".join(STEP_ZH[s] for s in steps)
        raise Conflict(f"工作日历尚未载入 {years} 年的法定节假日安排，{what}的期限不能据此计算；请先由财政监管人员"
                       f"添加 {years} 年的节假日安排，或确认按周一至周五计算（须写明确认的年份 {years}）。",
                       code="calendar_year_missing", details={"years": missing})
    return confirm_year


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
