"""Dashboard panels, navigation and the next-deadline bar, fed by the tender services; on the supervision page
the live projects by stage, and the project as a process finance may suspend (portal.suspensions)."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core import clock
from core.db import db
from notices import service as notice_service
from portal.dashboard import DEADLINE_SOURCES, Panel, nav_item, panel, public_section
from portal.needs import Need, needs_source
from portal.supervision import Item, Stage, stage_source
from portal.suspensions import SuspendableKind, register_kind
from tender import hall, opening, service
from tender.transitions import ProjectStatus

ACTIVE = (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING, ProjectStatus.OPENING)


def _items(projects) -> list[dict]:
    out = []
    for p in projects[:8]:
        event = hall.next_event(p)
        note = gettext(hall.STATUS_ZH[p.status.value]) + (
            f" · {gettext(event['label'])} {clock.format_local(event['at'])}" if event else "")
        out.append({"title": p.title, "url": url_for("tender.project", project_id=p.id), "note": note})
    return out


@panel(Role.AGENCY_STAFF)
def agency_projects(user: User) -> Panel:
    return Panel(title=str(_l("我的采购项目")), empty=str(_l("还没有项目。新建项目后，会按阶段列在这里。")),
                 items=_items(service.projects_of_agency(user)), link=url_for("tender.new_project"),
                 link_text=str(_l("新建项目")))


@panel(Role.SUPPLIER)
def supplier_projects(user: User) -> Panel:
    return Panel(title=str(_l("我参与的项目")), empty=str(_l("报名项目后，投标截止时间和投标状态会显示在这里。")),
                 items=_items(service.projects_of_supplier(user)), link=url_for("tender.index"),
                 link_text=str(_l("浏览正在招标的项目")))


# What the purchasing unit waits for or does next, by the project's stage (the timed events add their time).
PURCHASER_NEXT = {
    ProjectStatus.PUBLISHED: _l("公告期内供应商报名、下载招标文件"),
    ProjectStatus.BIDDING: _l("供应商递交加密投标文件，截止时在网上开标大厅开标"),
    ProjectStatus.OPENING: _l("开标解密中，完成后由代理机构开启评审室"),
    ProjectStatus.OPENED: _l("开标完成，等待代理机构开启评审室"),
    ProjectStatus.EVALUATING: _l("评审中；评审报告送达后，请在工作台确认中标（成交）人，之后签订合同"),
    ProjectStatus.CLOSED: _l("合同已签订，项目已结束"),
    ProjectStatus.FAILED: _l("项目废标，可由代理机构重新组织采购"),
    ProjectStatus.CANCELLED: _l("项目已终止"),
}


@panel(Role.PURCHASER)
def purchaser_projects(user: User) -> Panel:
    """The purchasing unit's own projects with each one's stage and next step (issue 13)."""
    items = []
    for p in service.projects_of_purchaser(user)[:8]:
        event = hall.next_event(p)
        when = f"（{gettext(event['label'])} {clock.format_local(event['at'])}）" if event else ""
        items.append({"title": p.title, "url": url_for("tender.project", project_id=p.id),
                      "note": gettext("%(stage)s · 下一步：%(next)s", stage=gettext(hall.STATUS_ZH[p.status.value]),
                                      next=str(PURCHASER_NEXT.get(p.status, ""))) + when})
    return Panel(title=str(_l("本单位的采购项目")), items=items,
                 empty=str(_l("代理机构为本单位发布的采购项目会按阶段列在这里，并写明下一步。")),
                 link=url_for("tender.index"), link_text=str(_l("全部采购项目")))


@panel(*Role)  # any user named a custodian (the supervisor, a notary, the agency) sees the card
def custody_projects(user: User) -> Panel | None:
    projects = service.projects_of_custodian(user)
    if not projects and not user.has_role(Role.AGENCY_STAFF):
        return None  # a card only for those who hold (or, at an agency, may be given) a share
    return Panel(title=str(_l("密钥保管")),
                 empty=str(_l("您担任密钥保管人的项目会显示在这里；开标时请进入开标大厅提交份额。")),
                 items=_items(projects), link=url_for("accounts.keys"), link_text=str(_l("我的密钥")))


@needs_source
def custody_needs(user: User) -> list[Need]:
    """A custodian's share of each bid, wanted at the opening time: without it the opening stalls."""
    out = []
    for p in service.projects_of_custodian(user):
        if p.status not in ACTIVE or opening.custodian_done(user, p):
            continue
        opening_now = p.status is ProjectStatus.OPENING
        action = gettext("现在进入开标大厅提交密钥份额") if opening_now else gettext("开标时提交密钥份额")
        out.append(Need(f"tender.custody:{p.id}", action, p.title, url_for("tender.hall_page", project_id=p.id),
                        None if opening_now else p.deadline))
    return out


def next_tender_deadline(user: User | None) -> dict | None:
    """The nearest timed event of the user's active projects (agency, supplier or custodian)."""
    if user is None:
        return None
    projects = service.projects_of_custodian(user)
    if user.has_role(Role.AGENCY_STAFF):
        projects += service.projects_of_agency(user)
    elif service.is_supplier(user):
        projects += service.projects_of_supplier(user)
    if user.has_role(Role.PURCHASER):
        projects += service.projects_of_purchaser(user)
    events = [(e, p) for p in projects if p.status in ACTIVE and (e := hall.next_event(p))]
    if not events:
        return None
    event, project = min(events, key=lambda pair: pair[0]["at"])
    return {"label": gettext("%(title)s：%(event)s", title=project.title, event=gettext(event["label"])),
            "at": event["at"]}


def copy_refusals(user: User) -> list[dict]:
    """Refused relabelled copies of other suppliers' bids in the regions the user oversees (collusion
    evidence, tender.bids.refuse_copies), newest first."""
    import json

    from accounts.service import oversees
    from audit.models import AuditEvent
    from tender.models import Project

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tender.bid_copy_refused")
                                .order_by(AuditEvent.seq.desc()).limit(50)).all()
    out = []
    for event in events:
        project = db.session.get(Project, int(event.object_id)) if event.object_id else None
        if project is None or not oversees(user, project.region_code):
            continue
        payload = json.loads(event.payload)
        out.append({"project": project, "at": event.time, "org": payload.get("org"),
                    "matches_org": payload.get("matches_org")})
    return out


@panel(Role.SUPERVISOR)
def collusion_evidence(user: User) -> Panel:
    items = [{"title": item["project"].title, "url": url_for("tender.project", project_id=item["project"].id),
              "note": gettext("%(at)s 有供应商递交了与另一供应商相同的投标文件（已拒收，串通投标嫌疑）",
                              at=clock.format_local(datetime.fromisoformat(item["at"].replace("Z", "+00:00"))))}
             for item in copy_refusals(user)[:8]]
    return Panel(title=str(_l("串通投标嫌疑")), items=items,
                 empty=str(_l("供应商递交与他人相同的投标文件（更换投标人标识后复制）时，平台拒收并在此提示。")))


DEADLINE_SOURCES.append(next_tender_deadline)
nav_item(_l("采购项目"), "tender.index")


PUBLIC_KINDS = {"tender": ("tender", "correction"), "result": ("result", "failure", "contract")}


def _notice_items(kinds: tuple[str, ...]) -> list[dict]:
    return [{"title": n.title, "url": url_for("notices.notice", notice_id=n.id),
             "note": clock.format_local(n.published_at)} for n in notice_service.public_notices(kinds, limit=8)]


@public_section
def public_notices() -> list[Panel]:
    """The public home page: the newest procurement notices and result notices."""
    return [Panel(title=str(_l("采购公告")), empty=str(_l("正在公告的采购项目会列在这里。")),
                  items=_notice_items(PUBLIC_KINDS["tender"]), link=url_for("notices.index"),
                  link_text=str(_l("全部公告"))),
            Panel(title=str(_l("结果公告")), empty=str(_l("中标（成交）结果公告会列在这里。")),
                  items=_notice_items(PUBLIC_KINDS["result"]), link=url_for("notices.index"),
                  link_text=str(_l("全部公告")))]


# ---------------------------------------------------------------- supervision (portal.supervision)

LIVE = (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING, ProjectStatus.OPENING, ProjectStatus.OPENED,
        ProjectStatus.EVALUATING)


@stage_source
def live_projects(regions: set[str], now: datetime) -> list[Stage]:
    """The region's tender projects under way, by stage, the newest few of each."""
    from sqlalchemy import func

    from tender.models import Project

    counts = dict(db.session.execute(select(Project.status, func.count()).where(
        Project.status.in_(LIVE), Project.region_code.in_(sorted(regions))).group_by(Project.status)).all())
    out = []
    for status in LIVE:
        latest = db.session.scalars(select(Project).where(Project.status == status,
                                                          Project.region_code.in_(sorted(regions)))
                                    .order_by(Project.id.desc()).limit(5)) if counts.get(status) else []
        out.append(Stage(gettext("采购项目"), gettext(hall.STATUS_ZH[status.value]), counts.get(status, 0),
                         [Item(f"tender.project:{p.id}", gettext("采购项目"), p.title, p.region_code,
                               url_for("tender.project", project_id=p.id), subject=("tender_project", p.id))
                          for p in latest]))
    return out


def _project(project_id: int):
    from tender.models import Project

    return db.session.get(Project, project_id)


def _not_suspendable(project) -> str | None:
    if project.status in (ProjectStatus.DRAFT, ProjectStatus.CLOSED, ProjectStatus.FAILED, ProjectStatus.CANCELLED):
        return "项目未发布或已结束，无需暂停。"
    return None


PROJECT_HOLD = register_kind(SuspendableKind(
    "tender_project", _l("采购项目"), _project, title=lambda p: p.title,
    url=lambda p: url_for("tender.project", project_id=p.id), refusal=_not_suspendable))
