"""/supervision (网上监管): the supervisor's board of their region and below — live processes by stage, overdue
steps, warnings, complaints, suspended processes — with suspend and resume (a reason each); the same at
/api/v1/supervision. Thin: the lists are portal.supervision's, the writes portal.suspensions'."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate

from accounts.models import Role
from core.auth import roles_required
from core.bounded import Id
from core.db import db
from core.errors import DomainError, settle_refusal
from portal import supervision, suspensions
from portal.dashboard import Panel, nav_item, panel

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
blp = ApiBlueprint("supervision_api", __name__, url_prefix="/api/v1/supervision",
                   description="Supervision of the region: live processes, overdue steps, warnings, suspensions")


@bp.get("")
@roles_required(Role.SUPERVISOR)
def index():
    found = supervision.board(current_user)
    return render_template("portal/supervision.html", board=found,
                           held_keys={f"{s['kind']}:{s['subject_id']}" for s in found.suspensions})


def _back():
    return redirect(request.form.get("next") or url_for("supervision.index"))


@bp.post("/suspend")
@roles_required(Role.SUPERVISOR)
def suspend():
    try:
        subject_id = int(request.form.get("subject_id", ""))
    except ValueError:
        flash(gettext("请选择要暂停的采购活动。"), "danger")
        return _back()
    try:
        suspensions.suspend_process(current_user, request.form.get("kind", ""), subject_id,
                                    request.form.get("reason", ""))
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
        return _back()
    db.session.commit()
    flash(gettext("已暂停该采购活动，并发布了中止公告；恢复前不得签订合同。"), "success")
    return _back()


@bp.post("/suspensions/<int:suspension_id>/resume")
@roles_required(Role.SUPERVISOR)
def resume(suspension_id: int):
    try:
        suspensions.resume_process(current_user, suspension_id, request.form.get("reason", ""))
    except DomainError as exc:
        settle_refusal(exc)
        flash(exc.message, "danger")
        return _back()
    db.session.commit()
    flash(gettext("已恢复该采购活动。"), "success")
    return _back()


def _item(item: supervision.Item) -> dict:
    return {"key": item.key, "kind": item.kind, "title": item.title, "region": item.region_code, "url": item.url,
            "due_at": item.due_at.isoformat() if item.due_at else None, "note": item.note,
            "subject": {"kind": item.subject[0], "id": item.subject[1]} if item.subject else None}


def _suspension(row: dict) -> dict:
    return {**row, "suspended_at": row["suspended_at"].isoformat(),
            "lifted_at": row["lifted_at"].isoformat() if row["lifted_at"] else None}


class SuspendIn(Schema):
    kind = fields.Str(required=True, metadata={"description": "the process's kind: tender_project"})
    subject_id = Id(required=True)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=suspensions.REASON_MAX))


class ResumeIn(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=suspensions.REASON_MAX))


@blp.get("")
def api_board():
    """The supervisor's board: live processes by stage, overdue steps (longest overdue first), warnings,
    complaints and the suspensions in force, for their region and below."""
    found = supervision.board(current_user)
    return {"region": found.region_code,
            "stages": [{"group": s.group, "label": s.label, "count": s.count, "items": [_item(i) for i in s.items]}
                       for s in found.stages],
            "overdue": [_item(i) for i in found.overdue], "warnings": [_item(i) for i in found.warnings],
            "complaints": [_item(i) for i in found.complaints],
            "suspensions": [_suspension(s) for s in found.suspensions]}


@blp.post("/suspensions")
@blp.arguments(SuspendIn)
def api_suspend(data: dict):
    """Suspend a process with a reason (its 中止公告 is published; the contract cannot be drafted or signed)."""
    row = suspensions.suspend_process(current_user, data["kind"], data["subject_id"], data["reason"])
    db.session.commit()
    return _suspension(suspensions.describe(row)), 201


@blp.post("/suspensions/<int:suspension_id>/resume")
@blp.arguments(ResumeIn)
def api_resume(data: dict, suspension_id: int):
    """Resume a suspended process with a reason."""
    row = suspensions.resume_process(current_user, suspension_id, data["reason"])
    db.session.commit()
    return _suspension(suspensions.describe(row))


nav_item(_l("网上监管"), "supervision.index", Role.SUPERVISOR)


@panel(Role.SUPERVISOR)
def overdue_panel(user) -> Panel:
    """The supervisor's dashboard card: the longest overdue steps of their region, the way into 网上监管."""
    from accounts.service import regions_under

    found = supervision.overdue(regions_under(user.region_code))
    items = [{"title": item.title, "url": item.url, "note": f"{item.kind} · {item.note}" if item.note else item.kind}
             for item in found[:8]]
    return Panel(title=gettext("逾期事项") + (f"（{len(found)}）" if found else ""), items=items,
                 empty=gettext("没有逾期事项。合同逾期未签订、采购人逾期未确定中标人等会列在这里。"),
                 link=url_for("supervision.index"), link_text=gettext("进入网上监管"))
