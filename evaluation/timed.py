"""The evaluation's timed steps (the chronograph's hourly `evaluation-award-deadlines` and
`evaluation-complaint-deadlines`): the purchaser reminded of a confirmation due soon and finance warned
once it is overdue, an award deemed confirmed past its period (87号令 Art 68), both parties reminded of
the contract to sign within the 30 days, finance reminded of complaints to accept or decide. Each award
or complaint is one transaction; its notices go out after that commit."""

from __future__ import annotations

from core.chronograph import Outcomes, Sweep, TimedStep
from evaluation.models import Award, Complaint
from evaluation.transitions import AwardStatus, ComplaintStatus

SWEEP_SECONDS = 3600.0


def _remind_award(award: Award) -> str | None:
    from evaluation.awarding import remind_award_due

    return remind_award_due(award)


def _deem_confirmed(award: Award) -> bool:
    from evaluation.awarding import deem_confirmed

    return deem_confirmed(award) is not None  # a barred first candidate is left to the purchaser


def _remind_contract(award: Award) -> str | None:
    from evaluation.contracts import remind_contract_due

    return remind_contract_due(award)


def _remind_complaint(row: Complaint) -> str | None:
    from evaluation.complaints import remind_complaint_due

    return remind_complaint_due(row)


def _award_due(award_id: int, state: str) -> None:
    from evaluation import messages

    messages.award_due(award_id, overdue=state == "overdue")


def _award_deemed(award_id: int, _outcome) -> None:
    from evaluation import messages

    messages.award_deemed(award_id)


def _contract_due(award_id: int, state: str) -> None:
    from evaluation import messages

    messages.contract_due(award_id, overdue=state == "overdue")


def _complaint_due(complaint_id: int, state: str) -> None:
    from evaluation import messages

    messages.complaint_due(complaint_id, overdue=state == "overdue")


def _by_state(outcomes: Outcomes, state: str) -> list[int]:
    return sorted(i for i, s in outcomes.items() if s == state)


def _award_report(outcomes: dict[str, Outcomes]) -> dict:
    awards, contracts = outcomes[AWARD_REMINDER.name], outcomes[CONTRACT_REMINDER.name]
    return {"remind": _by_state(awards, "remind"), "overdue": _by_state(awards, "overdue"),
            "deemed": sorted(outcomes[AWARD_DEEMED.name]),
            "contract_remind": _by_state(contracts, "remind"), "contract_overdue": _by_state(contracts, "overdue")}


def _complaint_report(outcomes: dict[str, Outcomes]) -> dict:
    found = outcomes[COMPLAINT_REMINDER.name]
    return {"remind": _by_state(found, "remind"), "overdue": _by_state(found, "overdue")}


# The reminders leave the status alone: their due dates are working-day periods (evaluation.deadlines)
# computed per award, so each pending award is checked and the handler decides.
AWARD_REMINDER = TimedStep("evaluation.remind_award_due", Award, _remind_award, AwardStatus.PENDING,
                           then=_award_due, lock=False)
AWARD_DEEMED = TimedStep("evaluation.deem_confirmed", Award, _deem_confirmed, AwardStatus.PENDING,
                         AwardStatus.CONFIRMED, where=lambda now: Award.confirm_due_at < now, then=_award_deemed)
CONTRACT_REMINDER = TimedStep("evaluation.remind_contract_due", Award, _remind_contract, AwardStatus.NOTIFIED,
                              then=_contract_due, lock=False)
COMPLAINT_REMINDER = TimedStep("evaluation.remind_complaint_due", Complaint, _remind_complaint,
                               (ComplaintStatus.FILED, ComplaintStatus.ACCEPTED), then=_complaint_due, lock=False)

AWARD_SWEEP = Sweep("evaluation-award-deadlines", SWEEP_SECONDS, (AWARD_REMINDER, AWARD_DEEMED, CONTRACT_REMINDER),
                    report=_award_report)
COMPLAINT_SWEEP = Sweep("evaluation-complaint-deadlines", SWEEP_SECONDS, (COMPLAINT_REMINDER,),
                        report=_complaint_report)
