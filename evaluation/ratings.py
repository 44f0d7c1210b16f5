"""Ratings after the evaluation: the agency and the purchaser rate the experts. The experts rate the agency
with everyone else who took part in the project, on the agency registry's one rating
(`registry.agencies.ratings`, linked from the room).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accounts.models import User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, ValidationError
from evaluation import deadlines
from evaluation.models import (
    Committee,
)
from evaluation.periods import due as period_due
from evaluation.room import C, get_committee, is_agency, is_purchaser, project_of
from evaluation.transitions import MemberStatus


def _rating_open(committee: Committee) -> None:
    if committee.status not in (C.COMPLETED, C.FAILED) or committee.completed_at is None:
        raise Conflict("评审结束后才能评价。", code="rating_not_open")
    due = period_due(deadlines.Step.EXPERT_RATING, clock.to_local(committee.completed_at).date(),
                     project_of(committee).region_code)
    if clock.to_local(clock.now()).date() > due:
        raise Conflict(f"评价期限（{due.isoformat()}）已过。", code="rating_period_over")


def _rating_score(score: Any) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError("评分须为 1 至 5 分。", code="bad_rating")
    return value


def rate_expert(user: User, committee_id: int, member_id: int, score: Any, note: str = "", *,
                misconduct: bool = False):
    """The agency or the purchaser records an expert's performance within the period (working days after
    the evaluation); misconduct, with its facts, becomes a credit record of the expert."""
    from evaluation.models import ExpertRating
    from registry.experts.models import CreditKind, Expert
    from registry.experts.service import record_credit

    committee = get_committee(committee_id, lock=True)
    kind = "agency" if is_agency(user, committee) else "purchaser" if is_purchaser(user, committee) else None
    if kind is None:
        raise Forbidden("只有本项目的代理机构或采购人可以评价专家。", code="not_project_party")
    _rating_open(committee)
    member = next((m for m in committee.members if m.id == member_id and not m.is_purchaser_rep), None)
    if member is None or member.status not in (MemberStatus.DECLARED, MemberStatus.LEFT):
        raise ValidationError("只能评价参加本次评审的专家。", code="bad_rating_member")
    value, note = _rating_score(score), (note or "").strip()[:500]
    if misconduct and not note:
        raise ValidationError("认定违规须写明事实。", code="misconduct_note_required")
    if db.session.scalar(select(ExpertRating).where(ExpertRating.member_id == member.id,
                                                    ExpertRating.rater_kind == kind)) is not None:
        raise Conflict("已评价过该专家。", code="already_rated")
    row = ExpertRating(committee_id=committee.id, member_id=member.id, rater_kind=kind, rated_by_id=user.id,
                       score=value, misconduct=misconduct, note=note, rated_at=clock.now())
    db.session.add(row)
    db.session.flush()
    if misconduct:
        record_credit(db.session.get(Expert, member.expert_id), CreditKind.MISCONDUCT, note,
                      f"evaluation:{committee.id}", user)
    record("evaluation.expert_rated", row, {"committee": committee.id, "member": member.id, "by": kind,
                                            "score": value, "misconduct": misconduct})
    return row


def ratings_of(committee: Committee) -> dict:
    from evaluation.models import ExpertRating

    return {"experts": list(db.session.scalars(select(ExpertRating).where(ExpertRating.committee_id == committee.id)))}
