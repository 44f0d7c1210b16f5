"""Periods after the evaluation: report, award, result notice, challenges, contract, expert ratings.

Pure (dates in, dates out) over `core.workdays`: local Beijing dates, working days per the
announced holiday calendar. Each period is counted from the day after its start, as the law
counts (期间开始之日不计算在内). Defaults, each configurable per region in `AwardPeriods`:
- the agency sends the report to the purchaser within 2 working days after the evaluation
  (87号令 Art 68);
- the purchaser confirms the winner from the candidates, in order, within 5 working days of
  receiving the report (Art 68);
- the result is published within 2 working days of the confirmation, with the award notice
  sent at the same time (Art 69); the result notice runs for 1 working day;
- suppliers may challenge the result within 7 working days of the end of the notice period
  (政府采购法 Art 52; 实施条例 Art 53 (三): "公告期限届满之日"); we take the notice as expiring
  on the working day after publication — the later of the two readings, so no supplier loses a day;
- the purchaser or agency answers a challenge within 7 working days of receiving it (Art 53);
- a challenger unsatisfied with the answer, or left without one, complains to the finance department
  within 15 working days after the answer period ends (政府采购法 Art 55; 94号令 Art 17); we count
  from the later of the answer's deadline and the day of a late answer;
- finance decides whether to accept a complaint within 5 working days of receiving it (94号令 Art 21)
  and decides it within 30 working days of receiving it (Art 26); it may suspend the procurement for
  at most 30 days (Art 28);
- the contract is signed within 30 days of the award notice (政府采购法 Art 46; 87号令 Art 71),
  moved to the next working day if the 30th falls on a rest day;
- the contract notice follows within 2 working days of signing (实施条例 Art 50);
- performance ratings of the experts within 5 working days of the evaluation (this platform's
  rule, from the issue; regions set their own).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from core.workdays import WorkdayCalendar, get_calendar, period_end_calendar_days, period_end_workdays

__all__ = ["AwardPeriods", "DeadlineState", "Step", "deadline_state", "due_date"]


@dataclass(frozen=True)
class AwardPeriods:
    report_to_purchaser_workdays: int = 2
    purchaser_confirm_workdays: int = 5
    result_notice_workdays: int = 2
    result_notice_period_workdays: int = 1
    challenge_workdays: int = 7
    challenge_answer_workdays: int = 7
    complaint_workdays: int = 15
    complaint_accept_workdays: int = 5
    complaint_decision_workdays: int = 30
    complaint_suspension_days: int = 30  # calendar days
    contract_days: int = 30  # calendar days
    contract_notice_workdays: int = 2
    expert_rating_workdays: int = 5


class Step(enum.StrEnum):
    REPORT_TO_PURCHASER = "report_to_purchaser"   # from the end of the evaluation
    PURCHASER_CONFIRM = "purchaser_confirm"       # from the purchaser's receipt of the report
    RESULT_NOTICE = "result_notice"               # from the confirmation of the winner
    CHALLENGE = "challenge"                       # from the publication of the result
    CHALLENGE_ANSWER = "challenge_answer"         # from the receipt of the challenge
    COMPLAINT = "complaint"                       # from the end of the answer period (or a late answer)
    COMPLAINT_ACCEPT = "complaint_accept"         # from the receipt of the complaint
    COMPLAINT_DECISION = "complaint_decision"     # from the receipt of the complaint
    CONTRACT = "contract"                         # from the award notice
    CONTRACT_NOTICE = "contract_notice"           # from the signing of the contract
    EXPERT_RATING = "expert_rating"               # from the end of the evaluation


def due_date(step: Step | str, start: date, periods: AwardPeriods = AwardPeriods(),
             calendar: WorkdayCalendar | None = None) -> date:
    """The last day for `step`, counted from `start` (a local date; see each step for what it is)."""
    cal = calendar or get_calendar()
    step = Step(step)
    if step is Step.CONTRACT:
        return period_end_calendar_days(start, periods.contract_days, cal)
    if step is Step.CHALLENGE:
        notice_ends = period_end_workdays(start, periods.result_notice_period_workdays, cal)
        return period_end_workdays(notice_ends, periods.challenge_workdays, cal)
    workdays = {
        Step.REPORT_TO_PURCHASER: periods.report_to_purchaser_workdays,
        Step.PURCHASER_CONFIRM: periods.purchaser_confirm_workdays,
        Step.RESULT_NOTICE: periods.result_notice_workdays,
        Step.CHALLENGE_ANSWER: periods.challenge_answer_workdays,
        Step.COMPLAINT: periods.complaint_workdays,
        Step.COMPLAINT_ACCEPT: periods.complaint_accept_workdays,
        Step.COMPLAINT_DECISION: periods.complaint_decision_workdays,
        Step.CONTRACT_NOTICE: periods.contract_notice_workdays,
        Step.EXPERT_RATING: periods.expert_rating_workdays,
    }[step]
    return period_end_workdays(start, workdays, cal)


class DeadlineState(enum.StrEnum):
    OPEN = "open"          # more than the reminder window left
    REMIND = "remind"      # within the reminder window: remind whoever must act
    OVERDUE = "overdue"    # the last day has passed: warn the finance bureau


def deadline_state(due: date, today: date, *, remind_workdays: int = 1,
                   calendar: WorkdayCalendar | None = None) -> DeadlineState:
    """Where `today` stands against the last day `due` (the last day itself is still on time)."""
    if today > due:
        return DeadlineState.OVERDUE
    left = (calendar or get_calendar()).workdays_between(today, due)
    return DeadlineState.REMIND if left <= remind_workdays else DeadlineState.OPEN
