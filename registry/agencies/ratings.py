"""Ratings of an agency after each project: the purchaser's people, the experts of its committees and the
suppliers who took part rate the agency, once per rater per project, 1–5 on each dimension with a comment,
within the region's working days. The purchaser and the bidders rate once the project is finished (closed
or failed); an expert once the evaluation they sat on has ended, in the room — experts are not called
back after the contract — so this is the one agency rating, the evaluation room's included.

Who took part is read through tender's and evaluation's public functions; the averages are the
public list's (registry.agencies.service.public_list).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from accounts.models import Role, User
from audit.models import AuditEvent
from audit.service import record
from core import clock, workdays
from core.db import db
from core.errors import Conflict, Forbidden, ValidationError
from core.i18n import N_
from registry.agencies.models import AgencyRating
from registry.agencies.rules import rule

DIMENSIONS = (("competence", N_("专业能力")), ("service", N_("服务质量")), ("compliance", N_("依法合规")),
              ("efficiency", N_("工作效率")))
RATER_KINDS = {"purchaser": N_("采购人"), "expert": N_("评审专家"), "supplier": N_("供应商")}
FINISHED = ("closed", "failed")


def _project(project_id: int):
    from tender.service import get_project

    return get_project(project_id)


def is_finished(project) -> bool:
    return project.status.value in FINISHED


def rater_kind(user: User | None, project) -> str | None:
    """How this user took part in the project: its purchaser, an expert of one of its committees, a
    supplier registered for it; None if they did not."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return None
    if user.has_role(Role.PURCHASER) and user.org_id == project.purchaser_org_id:
        return "purchaser"
    if user.has_role(Role.SUPPLIER):
        from tender.service import registration_of

        if registration_of(user, project) is not None:
            return "supplier"
    if user.has_role(Role.EXPERT) and _sat_on_committee(user, project):
        return "expert"
    return None


def _seats(user: User, project) -> list:
    """The committees of the project on which this user sat as a declared expert."""
    from evaluation.service import committee_for_lot, member_of
    from evaluation.transitions import MemberStatus

    out = []
    for lot in project.lots:
        committee = committee_for_lot(lot.id)
        member = member_of(user, committee) if committee is not None else None
        if member is not None and not member.is_purchaser_rep and member.status is MemberStatus.DECLARED:
            out.append(committee)
    return out


def _sat_on_committee(user: User, project) -> bool:
    return bool(_seats(user, project))


def evaluation_ended_at(user: User, project) -> datetime | None:
    """When the last evaluation this expert sat on for the project ended (None while none has)."""
    from evaluation.transitions import CommitteeStatus

    ended = [c.completed_at for c in _seats(user, project)
             if c.status in (CommitteeStatus.COMPLETED, CommitteeStatus.FAILED) and c.completed_at is not None]
    return max(ended, default=None)


def finished_at(project) -> datetime | None:
    """When the project closed or failed, as the audit log recorded it."""
    at = db.session.scalar(select(AuditEvent.time).where(
        AuditEvent.action == "tender.project_closed", AuditEvent.object_type == "tender_project",
        AuditEvent.object_id == str(project.id)).order_by(AuditEvent.seq.desc()).limit(1))
    return clock.parse_iso_utc(at) if at else None


def finished_on(project) -> date | None:
    """The day (Beijing time) the project ended."""
    at = finished_at(project)
    return clock.to_local(at).date() if at else None


def rating_opens(user: User, kind: str, project) -> tuple[bool, date | None]:
    """Whether this rater's period has begun, and the day it began (None when the end is not on record;
    then the period is open): an expert's at the end of the evaluation, the others' at the project's end."""
    if kind == "expert":
        ended = evaluation_ended_at(user, project)
        return ended is not None, clock.to_local(ended).date() if ended else None
    return is_finished(project), finished_on(project)


def rating_due(user: User, kind: str, project) -> date | None:
    """The last day this rater's rating is taken; None when the start is not on record."""
    _open, began = rating_opens(user, kind, project)
    if began is None:
        return None
    return workdays.period_end_workdays(began, rule(project.region_code, "agency_rating_workdays"))


def existing(user: User, project_id: int) -> AgencyRating | None:
    return db.session.scalar(select(AgencyRating).where(AgencyRating.project_id == project_id,
                                                        AgencyRating.rater_id == user.id))


def check_scores(scores: Any) -> dict[str, int]:
    if not isinstance(scores, dict):
        raise ValidationError("请为每一项打分。", code="bad_rating", details={"field": "scores"})
    out = {}
    for code, label in DIMENSIONS:
        try:
            value = int(scores.get(code))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            raise ValidationError(f"“{label}”须为 1 至 5 分。", code="bad_rating", details={"field": code})
        out[code] = value
    unknown = set(scores) - set(out)
    if unknown:
        raise ValidationError("评分项目不认识。", code="bad_rating", details={"field": sorted(unknown)[0]})
    return out


def rate_agency(user: User, project_id: int, scores: Any, comment: str = "") -> AgencyRating:
    """One rating per rater per finished project, by someone who took part, within the period."""
    project = _project(project_id)
    kind = rater_kind(user, project)
    if kind is None:
        raise Forbidden("只有参与本项目的采购人、评审专家或供应商可以评价代理机构。", code="not_project_party")
    if not rating_opens(user, kind, project)[0]:
        message = "评审结束后才能评价代理机构。" if kind == "expert" else "项目结束后才能评价代理机构。"
        raise Conflict(message, code="rating_not_open")
    due = rating_due(user, kind, project)
    if due is not None and clock.to_local(clock.now()).date() > due:
        raise Conflict(f"评价期限（{due.isoformat()}）已过。", code="rating_period_over")
    if existing(user, project.id) is not None:
        raise Conflict("您已评价过本项目的代理机构。", code="already_rated")
    values = check_scores(scores)
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError("评价意见不超过 500 字。", code="comment_too_long", details={"field": "comment"})
    row = AgencyRating(agency_org_id=project.agency_org_id, project_id=project.id, rater_id=user.id,
                       rater_kind=kind, scores=values, average=round(sum(values.values()) / len(values), 2),
                       comment=comment, rated_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("registry.agency_rated", row, {"agency": project.agency_org_id, "project": project.id, "by": kind,
                                          "scores": values})
    return row


def rateable_projects(user: User, limit: int = 200) -> list[dict]:
    """The projects this user may rate or has rated (finished ones; for an expert, those whose evaluation
    they sat on has ended), newest first, with their rating if given."""
    from evaluation.models import Committee, CommitteeMember
    from evaluation.transitions import CommitteeStatus
    from tender.models import Project
    from tender.transitions import ProjectStatus

    candidates = select(Project.id).where(Project.status.in_([ProjectStatus(s) for s in FINISHED]))
    if user.has_role(Role.EXPERT):
        ended = (CommitteeStatus.COMPLETED, CommitteeStatus.FAILED)
        candidates = candidates.union(
            select(Committee.project_id).join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
            .where(CommitteeMember.user_id == user.id, Committee.status.in_(ended)))
    rows = db.session.scalars(select(Project).where(Project.id.in_(candidates)).order_by(Project.id.desc())
                              .limit(limit))
    out = []
    for project in rows:
        kind = rater_kind(user, project)
        if kind is not None and rating_opens(user, kind, project)[0]:
            due = rating_due(user, kind, project)
            out.append({"project": project, "kind": kind, "rating": existing(user, project.id), "due": due,
                        "open": due is None or clock.to_local(clock.now()).date() <= due})
    return out


def ratings_of_agency(org_id: int) -> list[AgencyRating]:
    return list(db.session.scalars(select(AgencyRating).where(AgencyRating.agency_org_id == org_id)
                                   .order_by(AgencyRating.rated_at.desc())))
