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
from region_rules import store
from region_rules.keys import RuleKey, RuleType, declare

# The periods after the evaluation as region rules (one place, with the national defaults of
# `deadlines.AwardPeriods`): a region may shorten what the law sets as a longest period, never lengthen
# it; a supplier's own windows (to challenge, to complain) and the result notice's one day are the law's.
_DEFAULTS = deadlines.AwardPeriods()
_PERIODS = (
    ("report_to_purchaser_workdays", "评审结束后代理机构将评审报告送交采购人的期限（工作日）",
     "财政部令第87号第68条", 1),
    ("purchaser_confirm_workdays", "采购人收到评审报告后确定中标（成交）供应商的期限（工作日）",
     "财政部令第87号第68条", 1),
    ("result_notice_workdays", "确定中标（成交）供应商后发布结果公告的期限（工作日）", "财政部令第87号第69条", 1),
    ("result_notice_period_workdays", "中标（成交）结果公告期限（工作日）", "财政部令第87号第69条", None),
    ("challenge_workdays", "结果公告期满后供应商提出质疑的期限（工作日）", "政府采购法第52条，实施条例第53条", None),
    ("challenge_answer_workdays", "收到质疑后作出答复的期限（工作日）", "政府采购法第53条", 1),
    ("complaint_workdays", "质疑答复期满后提起投诉的期限（工作日）", "政府采购法第55条，财政部令第94号第17条", None),
    ("complaint_accept_workdays", "收到投诉后决定是否受理的期限（工作日）", "财政部令第94号第21条", 1),
    ("complaint_decision_workdays", "收到投诉后作出处理决定的期限（工作日）",
     "政府采购法第56条，财政部令第94号第26条", 1),
    ("complaint_suspension_days", "处理投诉期间暂停采购活动的最长期限（日）",
     "政府采购法第57条，财政部令第94号第28条", 1),
    ("contract_days", "中标（成交）通知书发出后签订合同的期限（日）", "政府采购法第46条", 1),
    ("contract_notice_workdays", "合同签订后发布合同公告的期限（工作日）", "政府采购法实施条例第50条", 1),
    ("expert_rating_workdays", "评审结束后评价评审专家的期限（工作日）", "本平台规则，各地自定", 1),
)
AWARD_RULES = declare("award", "定标、质疑投诉与合同期限", [
    RuleKey(f"award.{name}", RuleType.INT, getattr(_DEFAULTS, name), label, article,
            getattr(_DEFAULTS, name) if low is None else low,
            30 if name == "expert_rating_workdays" else getattr(_DEFAULTS, name))
    for name, label, article, low in _PERIODS])


SIGNING_RULES = declare("award", "定标、质疑投诉与合同期限", [
    RuleKey("award.sign_after_challenge_period", RuleType.BOOL, True,
            "结果公告的质疑期限届满后方可签订合同（关闭的，质疑期内也可签订，但未答复的质疑仍暂停签订）",
            "政府采购法实施条例第54条，财政部令第94号第32条"),
])


def periods_for(region_code: str | None) -> deadlines.AwardPeriods:
    """The periods in force for a region now (its own rules, else its city's or province's, else national)."""
    return deadlines.AwardPeriods(**{name: int(store.value(region_code, f"award.{name}"))
                                     for name, *_rest in _PERIODS})


def due(step: deadlines.Step, start: date, region_code: str | None) -> date:
    """The last day for `step` counted from `start`, under the region's periods."""
    return deadlines.due_date(step, start, periods_for(region_code))


def region_of_award(award: Award) -> str:
    from tender.models import Lot, Project

    return db.session.scalar(select(Project.region_code).join(Lot, Lot.project_id == Project.id)
                             .where(Lot.id == award.lot_id))

STEP_ZH = {deadlines.Step.PURCHASER_CONFIRM: "采购人确定中标人", deadlines.Step.RESULT_NOTICE: "发布结果公告",
           deadlines.Step.CHALLENGE: "质疑", deadlines.Step.CONTRACT: "签订合同"}


def uncovered_years(steps: Iterable[deadlines.Step], start: date, region_code: str | None = None) -> list[int]:
    """Years from `start` to the last of these steps' deadlines that the working-day calendar lacks."""
    calendar = get_calendar()
    periods = periods_for(region_code)
    last = max(deadlines.due_date(step, start, periods) for step in steps)
    return [year for year in range(start.year, last.year + 1) if not calendar.covers(date(year, 1, 1))]


def require_calendar(steps: Iterable[deadlines.Step], start: date, confirm_year: int | None,
                     region_code: str | None = None) -> int | None:
    """A deadline counted into a year the working-day calendar lacks is refused, unless `confirm_year`
    names that year (the days are then counted Monday–Friday); returns the year confirmed, if any."""
    steps = list(steps)
    missing = uncovered_years(steps, start, region_code)
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
    return due(deadlines.Step.CHALLENGE, clock.to_local(award.notified_at).date(), region_of_award(award))


def contract_due(award: Award):
    """The last day to sign (a local date): 30 days after the award notice (政府采购法第四十六条)."""
    return due(deadlines.Step.CONTRACT, clock.to_local(award.notified_at).date(), region_of_award(award))


def signing_held(award: Award) -> str | None:
    """Why the contract may not be signed yet although it may be drafted: a challenge not answered
    (实施条例第五十四条: the purchaser suspends signing), or — unless the region chose otherwise — the
    challenge period not over. A contract signed minutes after the result could no longer be voided with
    the award by an upheld challenge (94号令第三十二条 only voids a contract not yet performed), so the
    platform waits for the period by default; the 30 days of 政府采购法第四十六条 leave room for it."""
    from evaluation.models import Challenge

    pending = db.session.scalar(select(Challenge.id).where(Challenge.award_id == award.id,
                                                           Challenge.answered_at.is_(None)).limit(1))
    if pending is not None:
        return f"质疑（编号 {pending}）尚未答复，依法暂停签订合同，答复后方可签订。"
    last = challenge_due(award)
    if (last is not None and clock.to_local(clock.now()).date() <= last
            and store.value(region_of_award(award), "award.sign_after_challenge_period")):
        return (f"质疑期限至 {last.isoformat()} 届满，届满后方可签订合同（质疑成立的，中标结果和未签订的合同"
                "一并作废）。")
    return None


def award_blocked(award: Award) -> str | None:
    """Why the award may not proceed to the contract now, or None: the procurement suspended by finance while
    it handles a complaint, or suspended by finance's supervision (portal.suspensions, the project's hold)."""
    from portal.suspensions import hold_reason
    from tender.models import Lot

    row = db.session.scalar(select(Complaint).where(
        Complaint.award_id == award.id, Complaint.status == ComplaintStatus.ACCEPTED,
        Complaint.suspended_until > clock.now())
        .order_by(Complaint.suspended_until.desc()))
    if row is not None:
        return (f"财政部门正在处理投诉（编号 {row.id}），采购活动暂停至 "
                f"{clock.format_local(row.suspended_until)}，暂停期间不得签订合同。")
    project_id = db.session.scalar(select(Lot.project_id).where(Lot.id == award.lot_id))
    return hold_reason("tender_project", project_id)
