"""Dashboard panels, navigation and next-deadline entries of the evaluation room and the award."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from core import clock
from evaluation import challenges, complaints, service
from evaluation.models import Award
from evaluation.transitions import AwardStatus
from portal.dashboard import DEADLINE_SOURCES, Panel, nav_item, panel
from portal.needs import Need, needs_source


def _lot_title(project, lot) -> str:
    return gettext("%(title)s（标项%(number)s）", title=project.title, number=lot.number)


def _items(user: User) -> list[dict]:
    from evaluation.views import committees_for

    out = []
    for c in committees_for(user)[:8]:
        project, lot = service.project_of(c), service.lot_of(c)
        award = service.award_of(c)
        note = gettext(service.STATUS_ZH[c.status.value]) + (
            f" · {gettext(service.AWARD_ZH[award.status.value])}" if award else "")
        out.append({"title": _lot_title(project, lot), "note": note,
                    "url": url_for("evaluation.room", committee_id=c.id)})
    return out


@panel(Role.EXPERT)
def my_evaluations(user: User) -> Panel:
    return Panel(title=str(_l("我的评审")), empty=str(_l("评审开始后，评审室会出现在这里；进入后先签署回避声明。")),
                 items=_items(user), link=url_for("evaluation.index"), link_text=str(_l("全部评审")))


@panel(Role.AGENCY_STAFF, Role.PURCHASER, Role.SUPERVISOR)
def evaluations(user: User) -> Panel:
    from evaluation.views import lots_ready

    items = [{"title": _lot_title(lot.project, lot), "note": str(_l("开标完成，待开启评审室")),
              "url": url_for("evaluation.index")} for lot in lots_ready(user)[:4]]
    return Panel(title=str(_l("评审与定标")), empty=str(_l("评审进度、待确定的中标人和合同会显示在这里。")),
                 items=items + _items(user), link=url_for("evaluation.index"), link_text=str(_l("网上评审")))


@panel(Role.SUPPLIER)
def supplier_clarifications(user: User) -> Panel:
    rows = [c for c in service.clarifications_of_supplier(user) if c.answered_at is None and c.due_at >= clock.now()]
    return Panel(title=str(_l("评审澄清")), empty=str(_l("评标委员会要求澄清或说明报价时，会显示在这里。")),
                 items=[{"title": c.question[:60], "note": gettext("答复期限 %(at)s", at=clock.format_local(c.due_at)),
                         "url": url_for("evaluation.clarifications")} for c in rows[:8]],
                 link=url_for("evaluation.clarifications"), link_text=str(_l("查看全部")))


@panel(Role.SUPERVISOR)
def open_complaints(user: User) -> Panel:
    rows = complaints.complaints_for_finance(user, open_only=True)
    items = [{"title": gettext("投诉 #%(id)s：%(facts)s", id=c.id, facts=c.facts[:40]),
              "note": gettext("%(status)s · 期限 %(due)s", status=gettext(complaints.STATUS_ZH[c.status.value]),
                              due=clock.format_local(complaints.next_due(c), "%Y-%m-%d")),
              "url": url_for("evaluation.complaint_list")} for c in rows[:8]]
    return Panel(title=str(_l("投诉处理")), empty=str(_l("供应商向本地区财政部门提起的投诉会显示在这里。")),
                 items=items, link=url_for("evaluation.complaint_list"), link_text=str(_l("全部投诉")))


@panel(Role.SUPERVISOR)
def overdue_awards(user: User) -> Panel:
    """Awards of the region whose purchaser let the confirmation period pass (87号令 Art 68), on the page
    itself and not only as a passing notification."""
    items = []
    for award in service.overdue_awards(user)[:8]:
        committee = service.committee_for_lot(award.lot_id)
        project, lot = service.project_of(committee), service.lot_of(committee)
        state = (gettext("已视同确定排名第一的候选人，待发布结果") if award.deemed_confirmed
                 else gettext("逾期未确定中标人"))
        items.append({"title": _lot_title(project, lot),
                      "note": gettext("%(state)s · 期限 %(due)s", state=state,
                                      due=clock.format_local(award.confirm_due_at, "%Y-%m-%d")),
                      "url": url_for("evaluation.room", committee_id=committee.id)})
    return Panel(title=str(_l("逾期确定中标人")),
                 empty=str(_l("采购人逾期未确定中标人的项目会显示在这里。")), items=items)


@panel(Role.AGENCY_STAFF)
def challenges_to_answer(user: User) -> Panel:
    items = [{"title": c.text[:60], "note": gettext("答复期限 %(at)s", at=clock.format_local(c.answer_due_at,
                                                                                       "%Y-%m-%d")),
              "url": url_for("evaluation.award_challenges", award_id=c.award_id)}
             for c in challenges.pending_answers(user)[:8]]
    return Panel(title=str(_l("待答复的质疑")),
                 empty=str(_l("供应商对采购结果提出的质疑会显示在这里，请在 7 个工作日内答复。")), items=items)


def next_evaluation_deadline(user: User | None) -> dict | None:
    """A purchaser's winner confirmation, a supplier's clarification answer, the agency's answer to a
    challenge, or finance's acceptance or decision of a complaint, whichever is nearest."""
    if user is None or not user.is_authenticated:
        return None
    found = []
    if user.has_role(Role.SUPPLIER):
        found += [{"label": gettext("评标委员会澄清答复期限"), "at": c.due_at}
                  for c in service.clarifications_of_supplier(user)
                  if c.answered_at is None and c.due_at >= clock.now()]
    if user.has_role(Role.PURCHASER) and user.org_id is not None:
        from sqlalchemy import select

        from core.db import db
        from tender.models import Lot, Project

        rows = db.session.scalars(select(Award).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id ==
                                                                                      Lot.project_id)
                                  .where(Project.purchaser_org_id == user.org_id,
                                         Award.status == AwardStatus.PENDING))
        found += [{"label": gettext("确定中标（成交）供应商期限"), "at": a.confirm_due_at} for a in rows]
    found += [{"label": gettext("质疑答复期限"), "at": c.answer_due_at} for c in challenges.pending_answers(user)]
    if user.has_role(Role.SUPERVISOR):
        found += [{"label": gettext("投诉受理期限") if c.status.value == "filed" else gettext("投诉处理期限"),
                   "at": complaints.next_due(c)} for c in complaints.complaints_for_finance(user, open_only=True)]
    return min(found, key=lambda d: d["at"]) if found else None


DEADLINE_SOURCES.append(next_evaluation_deadline)
nav_item(_l("网上评审"), "evaluation.index", Role.EXPERT, Role.AGENCY_STAFF, Role.PURCHASER, Role.SUPERVISOR)
nav_item(_l("评审澄清"), "evaluation.clarifications", Role.SUPPLIER)
# complaints waiting for finance are on 网上监管 (and the dashboard); the full list under 更多
nav_item(_l("投诉处理"), "evaluation.complaint_list", Role.SUPERVISOR, more=True)


# ---------------------------------------------------------------- needs ("需要您处理")

def _member_needs(user: User) -> list[Need]:
    """An expert's (or the purchaser representative's) steps in each room: declare, score, sign."""
    from sqlalchemy import select

    from core.db import db
    from evaluation.models import Committee, CommitteeMember
    from evaluation.transitions import CommitteeStatus, MemberStatus

    rows = db.session.execute(select(Committee, CommitteeMember).join(
        CommitteeMember, CommitteeMember.committee_id == Committee.id).where(
        CommitteeMember.user_id == user.id, Committee.status.in_(
            (CommitteeStatus.DECLARING, CommitteeStatus.SCORING, CommitteeStatus.REPORTING)))).all()
    out = []
    for c, m in rows:
        title = _lot_title(service.project_of(c), service.lot_of(c))
        url = url_for("evaluation.room", committee_id=c.id)
        if c.status is CommitteeStatus.DECLARING and m.status is MemberStatus.SEATED:
            out.append(Need(f"evaluation.declare:{m.id}", gettext("签署回避声明"), title, url))
        elif c.status is CommitteeStatus.SCORING and m.status is MemberStatus.DECLARED \
                and m.id not in service.done(c, "scoring"):
            out.append(Need(f"evaluation.score:{m.id}", gettext("提交评分"), title, url))
        elif c.status is CommitteeStatus.REPORTING and m.status is MemberStatus.DECLARED \
                and m.id not in service.done(c, "signing"):
            out.append(Need(f"evaluation.sign:{m.id}", gettext("签署评审报告"), title, url))
    return out


@needs_source
def evaluation_needs(user: User) -> list[Need]:
    """Scores, signatures, answers, challenges, complaints and winner confirmations (contracts: contracts.panels)."""
    if not user.is_authenticated:
        return []
    out = _member_needs(user)
    if user.has_role(Role.SUPPLIER):
        out += [Need(f"evaluation.clarify:{c.id}", gettext("答复评标委员会的澄清"), c.question[:40],
                     url_for("evaluation.clarifications"), c.due_at)
                for c in service.clarifications_of_supplier(user) if c.answered_at is None and c.due_at >= clock.now()]
    out += [Need(f"evaluation.challenge:{c.id}", gettext("答复供应商质疑"), c.text[:40],
                 url_for("evaluation.award_challenges", award_id=c.award_id), c.answer_due_at)
            for c in challenges.pending_answers(user)]
    if user.has_role(Role.SUPERVISOR):
        out += [Need(f"evaluation.complaint:{c.id}",
                     gettext("受理投诉") if c.status.value == "filed" else gettext("处理投诉"), c.facts[:40],
                     url_for("evaluation.complaint_list"), complaints.next_due(c))
                for c in complaints.complaints_for_finance(user, open_only=True)]
    if user.has_role(Role.PURCHASER) and user.org_id is not None:
        out += [Need(f"evaluation.confirm:{a.id}", gettext("确定中标（成交）供应商"), title,
                     url_for("evaluation.index"), a.confirm_due_at) for a, title in _awards_to_confirm(user)]
    return out


def _awards_to_confirm(user: User) -> list[tuple[Award, str]]:
    from sqlalchemy import select

    from core.db import db
    from tender.models import Lot, Project

    rows = db.session.execute(select(Award, Project, Lot).join(Lot, Lot.id == Award.lot_id)
                              .join(Project, Project.id == Lot.project_id)
                              .where(Project.purchaser_org_id == user.org_id, Award.status == AwardStatus.PENDING))
    return [(a, _lot_title(p, lot)) for a, p, lot in rows]
