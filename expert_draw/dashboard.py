"""Dashboard panels, navigation and the next-deadline source of the expert draw (added once per process)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core import clock
from core.db import db
from expert_draw.models import DrawRequest, Invitation, InvitationStatus, RequestStatus
from expert_draw.present import STATUS_LABELS
from portal.dashboard import DEADLINE_SOURCES, Panel, nav_item, panel
from portal.needs import Need, needs_source

OPEN = (RequestStatus.REQUESTED, RequestStatus.COMMITTED, RequestStatus.DRAWN, RequestStatus.SHORT)


def _request_items(query) -> list[dict]:
    return [
        {
            "title": r.project_title,
            "url": url_for("expert_draw.detail", request_id=r.id),
            "note": f"{clock.format_local(r.evaluation_start_at)} · {gettext(STATUS_LABELS[r.status.value])}",
        }
        for r in db.session.scalars(query.order_by(DrawRequest.evaluation_start_at).limit(8))
    ]


@panel(Role.AGENCY_STAFF)
def agency_panel(user: User) -> Panel:
    items = (
        _request_items(
            select(DrawRequest).where(DrawRequest.agency_org_id == user.org_id, DrawRequest.status.in_(OPEN))
        )
        if user.org_id
        else []
    )
    return Panel(
        title=str(_l("专家抽取")),
        empty=str(_l("进行中的专家抽取申请会显示在这里。")),
        items=items,
        link=url_for("expert_draw.new"),
        link_text=str(_l("申请抽取专家")),
    )


@panel(Role.SUPERVISOR)
def supervisor_panel(user: User) -> Panel:
    items = _request_items(select(DrawRequest).where(DrawRequest.status.in_(OPEN)))
    return Panel(
        title=str(_l("专家抽取监督")),
        empty=str(_l("待抽取和待确认的专家抽取会显示在这里，可现场输入随机数。")),
        items=items,
        link=url_for("expert_draw.index"),
        link_text=str(_l("全部抽取")),
    )


def _where(inv: Invitation) -> str:
    return gettext("远程评审") if inv.request.is_remote else inv.request.place


@panel(Role.EXPERT)
def expert_panel(user: User) -> Panel:
    from expert_draw.service import invitations_of

    items = [
        {
            "title": f"{clock.format_local(i.request.evaluation_start_at)} {_where(i)}",
            "url": url_for("expert_draw.reply", code=i.reply_code),
            "note": gettext("请于 %(at)s 前答复", at=clock.format_local(i.deadline_at)),
        }
        for i in invitations_of(user)
        if i.status == InvitationStatus.INVITED
    ]
    # What comes next once confirmed: the evaluations ahead, nearest first (they used to vanish from here).
    now = clock.now()
    upcoming = sorted((i for i in invitations_of(user) if i.status == InvitationStatus.CONFIRMED
                       and i.request.evaluation_start_at >= now), key=lambda i: i.request.evaluation_start_at)
    items += [
        {
            "title": f"{clock.format_local(i.request.evaluation_start_at)} {_where(i)}",
            "url": url_for("expert_draw.reply", code=i.reply_code),
            "note": gettext("已确认参加 · 评审开始后进入评审室，先签署回避声明"),
        }
        for i in upcoming
    ]
    return Panel(
        title=str(_l("评审邀请")),
        empty=str(_l("被抽中后，评审时间和地点（或远程评审室）会显示在这里，请及时确认。")),
        items=items,
        link=url_for("expert_draw.my_invitations"),
        link_text=str(_l("我的评审邀请")),
    )


def expert_deadline(user: User | None) -> dict | None:
    if user is None or not user.has_role(Role.EXPERT):
        return None
    from registry.experts.models import Expert

    deadline = db.session.scalar(
        select(Invitation.deadline_at)
        .join(Expert, Expert.id == Invitation.expert_id)
        .where(Expert.user_id == user.id, Invitation.status == InvitationStatus.INVITED)
        .order_by(Invitation.deadline_at)
    )
    return {"label": str(_l("答复评审邀请")), "at": deadline} if deadline else None


DEADLINE_SOURCES.append(expert_deadline)
nav_item(
    _l("专家抽取"),
    "expert_draw.index",
    Role.AGENCY_STAFF,
    Role.SUPERVISOR,
    Role.FINANCE_REVIEWER,
    Role.PURCHASER,
)
nav_item(_l("评审邀请"), "expert_draw.my_invitations", Role.EXPERT)


@needs_source
def invitation_needs(user: User) -> list[Need]:
    """An expert's invitations still to answer: unanswered by the deadline, the seat goes to a reserve."""
    if not user.is_authenticated or not user.has_role(Role.EXPERT):
        return []
    from expert_draw.service import invitations_of

    return [Need(f"expert_draw.reply:{i.id}", gettext("答复评审邀请"),
                 f"{clock.format_local(i.request.evaluation_start_at)} {_where(i)}",
                 url_for("expert_draw.reply", code=i.reply_code), i.deadline_at)
            for i in invitations_of(user) if i.status == InvitationStatus.INVITED]
