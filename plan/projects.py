"""A tender project created from a confirmation, and what the tender asks of plans.

`create_project_from_confirmation(user, confirmation_id, data)` is the tender form's input with the purchaser,
the catalogue code and the method taken from the confirmation: the project is created by
`tender.service.create_project` (the same checks), then each lot draws its budget from the confirmation in
the same transaction (refused as a whole when the lots need more than remains), and the project remembers
its source (the confirmation, the plan's intention).

Hooks given to tender at register(): `check_publishable` — a project from a confirmation whose plan needed
an intention is published only once that intention's notice has been out the region's days before the
notice time; where the region no longer allows the form path (`plan.tender_without_confirmation` off), a
project without a confirmation is not published at all; `release_on_lot_end` — a failed lot, or a lot of a
cancelled project, gives its draw back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accounts.models import User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Forbidden
from plan import plans, rules
from plan.confirmations import can_use, draw_budget, get_confirmation, release_subject
from plan.models import ProjectSource

TENDER_METHODS = ("public_tender", "invited_tender", "competitive_negotiation", "competitive_consultation",
                  "inquiry", "single_source")


def create_project_from_confirmation(user: User, confirmation_id: int, data: dict[str, Any]):
    """The agency creates the tender project of a confirmation; its lots draw the money (see the module)."""
    from tender.service import create_project

    confirmation = get_confirmation(confirmation_id)
    if not can_use(user, confirmation):
        raise Forbidden("本机构不能使用这份确认书。", code="confirmation_not_usable")
    method = confirmation.method if confirmation.method in TENDER_METHODS else data.get("method")
    category = confirmation.plan_type if confirmation.plan_type in rules.CATEGORIES else data.get("category")
    project = create_project(user, {**data, "purchaser_org_id": confirmation.org_id,
                                    "catalogue_code": confirmation.catalogue_code, "method": method,
                                    "category": category})
    for lot in project.lots:
        draw_budget(confirmation, lot.budget_fen, subject=lot, actor=user)
    intention_id = confirmation.plan.intention_id if confirmation.plan is not None else None
    db.session.add(ProjectSource(project_id=project.id, confirmation_id=confirmation.id, intention_id=intention_id,
                                 created_by_id=user.id, created_at=clock.now()))
    db.session.flush()
    record("plan.project_created", project, {"confirmation": confirmation.number, "intention": intention_id,
                                             "lots": [lot.budget_fen for lot in project.lots]})
    return project


def source_of(project_id: int) -> ProjectSource | None:
    return db.session.scalar(select(ProjectSource).where(ProjectSource.project_id == project_id))


def check_publishable(project) -> dict[str, str]:
    """tender.service.PUBLISH_CHECKS: the intention's days and the form path's rule."""
    source = source_of(project.id)
    if source is None:
        if not rules.rule(project.region_code, "plan.tender_without_confirmation"):
            return {"confirmation": "本地区采购项目须从采购计划确认书创建。"}
        return {}
    plan = source.confirmation.plan if source.confirmation is not None else None
    needs_intention = rules.rule(project.region_code, "plan.intention_required") and not (plan and plan.confidential)
    if not needs_intention or (plan is None and source.intention is None):
        return {}  # an intranet confirmation: the intranet checked the intention
    start_on = clock.to_local(project.notice_at).date()
    problem = plans.intention_ready_on(source.intention, project.region_code, start_on)
    return {"intention": problem} if problem else {}


def release_on_lot_end(lot, reason: str) -> None:
    """tender.service.LOT_ENDED: a failed or cancelled lot gives its budget back (a no-op when it drew none)."""
    release_subject("tender_lot", lot.id, reason[:200] or "标项终止")
