"""Ratings of an agency after each project: the purchaser's people, the experts of its committees and the
suppliers who took part rate the agency of a finished project (closed or failed), once per rater per
project, 1–5 on each dimension with a comment, within the region's working days of the project's end.

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


def _sat_on_committee(user: User, project) -> bool:
    from evaluation.service import committee_for_lot, member_of
    from evaluation.transitions import MemberStatus

    for lot in project.lots:
        committee = committee_for_lot(lot.id)
        member = member_of(user, committee) if committee is not None else None
        if member is not None and not member.is_purchaser_rep and member.status is MemberStatus.DECLARED:
            return True
    return False


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


def rating_due(project) -> date | None:
    """The last day ratings are taken; None when the end is not on record (then the period is open)."""
    ended = finished_on(project)
    if ended is None:
        return None
    return workdays.period_end_workdays(ended, rule(project.region_code, "agency_rating_workdays"))


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
    if not is_finished(project):
        raise Conflict("项目结束后才能评价代理机构。", code="rating_not_open")
    due = rating_due(project)
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
    """The finished projects this user took part in, newest first, with their rating if given."""
    from tender.models import Project
    from tender.transitions import ProjectStatus

    finished = [ProjectStatus(s) for s in FINISHED]
    rows = db.session.scalars(select(Project).where(Project.status.in_(finished)).order_by(Project.id.desc())
                              .limit(limit))
    out = []
    for project in rows:
        kind = rater_kind(user, project)
        if kind is not None:
            due = rating_due(project)
            out.append({"project": project, "kind": kind, "rating": existing(user, project.id), "due": due,
                        "open": due is None or clock.to_local(clock.now()).date() <= due})
    return out


def ratings_of_agency(org_id: int) -> list[AgencyRating]:
    return list(db.session.scalars(select(AgencyRating).where(AgencyRating.agency_org_id == org_id)
                                   .order_by(AgencyRating.rated_at.desc())))
