"""Real-time notices of the evaluation (call after the commit; courtesies only: everything that matters
is also on a page). Each sends through `core.tasks.notify`; a failure to send is logged, never raised."""

from __future__ import annotations

import logging

from core.db import db

log = logging.getLogger(__name__)


def _send(message: dict, *, user_ids=(), org_ids=()) -> None:
    from core.tasks import notify

    try:
        notify.delay(message, user_ids=list(user_ids) or None, org_ids=list(org_ids) or None)
    except Exception:
        log.exception("evaluation notice not sent: %s", message.get("title"))


def room_opened(committee_id: int) -> None:
    from evaluation.service import get_committee

    committee = get_committee(committee_id)
    users = [m.user_id for m in committee.members]
    _send({"title": "评审室已开启", "body": "请进入网上评审室，先签署回避声明。", "level": "info",
           "url": f"/evaluation/{committee_id}"}, user_ids=users)


def conflict_declared(committee_id: int, member_id: int) -> None:
    from evaluation.service import _project, get_committee

    committee = get_committee(committee_id)
    _send({"title": "评审专家申请回避", "body": "有成员声明存在回避情形并已离开评审室，请为其申请补抽。",
           "level": "warning", "url": f"/evaluation/{committee_id}"}, org_ids=[_project(committee).agency_org_id])


def clarification_asked(clarification_id: int) -> None:
    from evaluation.models import EvaluationClarification
    from tender.models import Bid

    item = db.session.get(EvaluationClarification, clarification_id)
    bid = db.session.get(Bid, item.bid_id)
    title = "评标委员会要求说明报价" if item.kind.value == "low_price" else "评标委员会澄清问题"
    _send({"title": title, "body": "请在规定时间内在“评审澄清”页面答复。", "level": "warning",
           "url": "/evaluation/clarifications"}, org_ids=[bid.org_id])


def invitations(invitation_ids: list[int]) -> None:
    if invitation_ids:
        try:
            from expert_draw.tasks import notify

            notify.delay(invitation_ids)
        except Exception:
            log.exception("replacement invitations not notified")


def report_sent(award_id: int) -> None:
    from evaluation.models import Award
    from evaluation.service import _project, committee_for_lot

    award = db.session.get(Award, award_id)
    committee = committee_for_lot(award.lot_id)
    _send({"title": "评审报告已送达", "body": "请在规定期限内按候选人顺序确定中标（成交）供应商。", "level": "info",
           "url": f"/evaluation/{committee.id}"}, org_ids=[_project(committee).purchaser_org_id])


def award_published(award_id: int) -> None:
    from evaluation.models import Award
    from evaluation.service import award_recipients

    award = db.session.get(Award, award_id)
    winner, others = award_recipients(award)
    _send({"title": "中标（成交）通知", "body": "贵单位被确定为中标（成交）供应商，请按通知书签订合同。",
           "level": "success", "url": "/notices"}, org_ids=[winner])
    if others:
        _send({"title": "采购结果通知", "body": "本项目评审结果已公告，详见结果公告。", "level": "info",
               "url": "/notices"}, org_ids=others)


def award_due(award_id: int, *, overdue: bool) -> None:
    """The purchaser is reminded; when overdue the finance bureau of the region is warned as well."""
    import json

    from sqlalchemy import select

    from audit.models import AuditEvent
    from evaluation.models import Award
    from evaluation.service import _project, committee_for_lot

    award = db.session.get(Award, award_id)
    committee = committee_for_lot(award.lot_id)
    project = _project(committee)
    _send({"title": "确定中标人期限" + ("已过" if overdue else "将至"),
           "body": f"{project.title}：请按评审报告推荐的候选人顺序确定中标（成交）供应商。",
           "level": "danger" if overdue else "warning", "url": f"/evaluation/{committee.id}"},
          org_ids=[project.purchaser_org_id])
    if overdue:
        payload = db.session.scalar(select(AuditEvent.payload).where(
            AuditEvent.action == "evaluation.award_overdue", AuditEvent.object_id == str(award_id)))
        finance = json.loads(payload or "{}").get("finance_orgs", [])
        if finance:
            _send({"title": "采购人逾期未确定中标人", "body": f"{project.code} {project.title}",
                   "level": "danger", "url": f"/evaluation/{committee.id}"}, org_ids=finance)
